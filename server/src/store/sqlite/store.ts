// The embedded SQLite store behind the repository interfaces. better-sqlite3 is synchronous; this
// class makes it safe behind an async interface: every call and every transaction runs through one
// queue, so a transaction whose callback awaits never has another caller's statements slip into
// it, and a caller never reads another caller's uncommitted writes. Store calls made inside a
// transaction's async context join it (AsyncLocalStorage), so services can call the store freely.
// A call that wrote resolves only once its commit is on disk (WalSync, durability.ts); the queue
// moves on meanwhile, so commits made during one fsync share the next.
import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { EdictError } from '../../../../shared/src/errors.js';
import { LocalCluster } from '../local-cluster.js';
import type { Repos, Store } from '../types.js';
import { SqliteAudit } from './audit.js';
import { SqliteCompliance } from './compliance.js';
import { openConnection, useAsyncDurability, type SqliteConnection } from './connection.js';
import { WalCheckpointer, WalSync } from './durability.js';
import { SqliteDetections } from './detections.js';
import { SqliteDevices } from './devices.js';
import { SqliteExceptions } from './exceptions.js';
import { SqlitePolicies } from './policies.js';
import { SqliteReports } from './reports.js';
import { SqliteRollups } from './rollups.js';
import { SqliteSessions } from './sessions.js';
import { SqliteTokens } from './tokens.js';

interface TxState {
  open: boolean;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly cluster;
  readonly tokens;
  readonly devices;
  readonly detections;
  readonly compliance;
  readonly policies;
  readonly exceptions;
  readonly audit;
  readonly reports;
  readonly sessions;
  readonly rollups;
  private readonly inner: Repos;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly txContext = new AsyncLocalStorage<TxState>();
  private closed = false;
  private readonly wal: WalSync;
  private readonly checkpointer: WalCheckpointer;

  constructor(
    readonly conn: SqliteConnection,
    readonly file: string,
    onBackgroundError: (message: string) => void = () => undefined,
    nodeId = 'embedded',
  ) {
    this.cluster = new LocalCluster(nodeId);
    useAsyncDurability(conn);
    this.wal = new WalSync(`${file}-wal`);
    this.checkpointer = new WalCheckpointer(file, onBackgroundError);
    this.inner = {
      tokens: new SqliteTokens(conn),
      devices: new SqliteDevices(conn),
      detections: new SqliteDetections(conn),
      compliance: new SqliteCompliance(conn),
      policies: new SqlitePolicies(conn),
      exceptions: new SqliteExceptions(conn),
      audit: new SqliteAudit(conn),
      reports: new SqliteReports(conn),
      sessions: new SqliteSessions(conn),
      rollups: new SqliteRollups(conn),
    };
    this.tokens = this.facade(this.inner.tokens);
    this.devices = this.facade(this.inner.devices);
    this.detections = this.facade(this.inner.detections);
    this.compliance = this.facade(this.inner.compliance);
    this.policies = this.facade(this.inner.policies);
    this.exceptions = this.facade(this.inner.exceptions);
    this.audit = this.facade(this.inner.audit);
    this.reports = this.facade(this.inner.reports);
    this.sessions = this.facade(this.inner.sessions);
    this.rollups = this.facade(this.inner.rollups);
  }

  static open(dataDir: string, onBackgroundError?: (message: string) => void, nodeId?: string): SqliteStore {
    const file = path.join(dataDir, 'edict.db');
    return new SqliteStore(openConnection(file), file, onBackgroundError, nodeId);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new EdictError('EDICT_ERR_UNAVAILABLE', 'store is closed');
  }

  /** fsyncs and checkpoints so far (health, benchmark). */
  get durability(): { walSyncs: number; checkpoints: number; lastCheckpointError: string | null } {
    return { walSyncs: this.wal.syncs, checkpoints: this.checkpointer.stats.runs, lastCheckpointError: this.checkpointer.stats.lastError };
  }

  private totalChanges(): number {
    return this.conn.prep('SELECT total_changes()').pluck().get() as number;
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
    const run = this.tail.then(async () => {
      if (this.closed) throw new Error('store is closed');
      const before = this.totalChanges();
      const result = await fn();
      return { result, wrote: this.totalChanges() !== before };
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    // The next caller may start now; this one hears back once its commit is durable.
    return run.then(async ({ result, wrote }) => {
      if (wrote) {
        this.checkpointer.nudge();
        await this.wal.sync();
      }
      return result;
    });
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
    if (this.closed) return;
    await this.queue(async () => {
      this.closed = true;
    });
    await this.checkpointer.close();
    await this.wal.close();
    // Everything into the database file, WAL cut to nothing: a clean file for backups and restarts.
    this.conn.db.pragma('wal_checkpoint(TRUNCATE)');
    this.conn.close();
  }
}
