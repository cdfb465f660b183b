// The embedded SQLite store behind the repository interfaces. better-sqlite3 is synchronous; this
// class makes it safe behind an async interface: every call and every transaction runs through one
// queue, so a transaction whose callback awaits never has another caller's statements slip into
// it, and a caller never reads another caller's uncommitted writes. Store calls made inside a
// transaction's async context join it (AsyncLocalStorage), so services can call the store freely.
import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import type { Repos, Store } from '../types.js';
import { SqliteAudit } from './audit.js';
import { SqliteCompliance } from './compliance.js';
import { openConnection, type SqliteConnection } from './connection.js';
import { SqliteDetections } from './detections.js';
import { SqliteDevices } from './devices.js';
import { SqliteExceptions } from './exceptions.js';
import { SqlitePolicies } from './policies.js';
import { SqliteTokens } from './tokens.js';

interface TxState {
  open: boolean;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly tokens;
  readonly devices;
  readonly detections;
  readonly compliance;
  readonly policies;
  readonly exceptions;
  readonly audit;
  private readonly inner: Repos;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly txContext = new AsyncLocalStorage<TxState>();
  private closed = false;

  constructor(readonly conn: SqliteConnection) {
    this.inner = {
      tokens: new SqliteTokens(conn),
      devices: new SqliteDevices(conn),
      detections: new SqliteDetections(conn),
      compliance: new SqliteCompliance(conn),
      policies: new SqlitePolicies(conn),
      exceptions: new SqliteExceptions(conn),
      audit: new SqliteAudit(conn),
    };
    this.tokens = this.facade(this.inner.tokens);
    this.devices = this.facade(this.inner.devices);
    this.detections = this.facade(this.inner.detections);
    this.compliance = this.facade(this.inner.compliance);
    this.policies = this.facade(this.inner.policies);
    this.exceptions = this.facade(this.inner.exceptions);
    this.audit = this.facade(this.inner.audit);
  }

  static open(dataDir: string): SqliteStore {
    return new SqliteStore(openConnection(path.join(dataDir, 'edict.db')));
  }

  /** Wraps a repository so each call waits its turn (or joins the caller's open transaction). */
  private facade<T extends object>(repo: T): T {
    return new Proxy(repo, {
      get: (target, prop, receiver) => {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => this.call(() => (v as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      },
    });
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.txContext.getStore()?.open) return fn();
    return this.queue(fn);
  }

  private queue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      if (this.closed) throw new Error('store is closed');
      return fn();
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  tx<T>(fn: (r: Repos) => Promise<T>): Promise<T> {
    if (this.txContext.getStore()?.open) return fn(this.inner);
    return this.queue(() => {
      const state: TxState = { open: true };
      return this.txContext.run(state, async () => {
        const db = this.conn.db;
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(this.inner);
          db.exec('COMMIT');
          return result;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        } finally {
          state.open = false;
        }
      });
    });
  }

  async close(): Promise<void> {
    await this.queue(async () => {
      this.closed = true;
      this.conn.close();
    });
  }
}
