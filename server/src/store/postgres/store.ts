// The PostgreSQL store behind the repository interfaces, for several server nodes on one database.
// Calls outside a transaction run on the pool; Store.tx(fn) runs fn in one transaction and every
// store call made in fn's async context joins it (AsyncLocalStorage), as with the SQLite store, so
// services read the same either way. A call that fails because the database cannot be reached
// throws EDICT_ERR_UNAVAILABLE (retryable: nothing was committed), and the node reports not-ready.
import { AsyncLocalStorage } from 'node:async_hooks';
import { EdictError } from '../../../../shared/src/errors.js';
import type { ClusterLink, Repos, Store } from '../types.js';
import { PgAudit } from './audit.js';
import { PgCluster } from './cluster.js';
import { PgCompliance } from './compliance.js';
import { checkConnection, createSql, isConnectionError, migrate, type PgOptions, type Sql, type TxSql } from './connection.js';
import { Db } from './db.js';
import { PgDetections } from './detections.js';
import { PgDevices } from './devices.js';
import { PgExceptions } from './exceptions.js';
import { PgPolicies } from './policies.js';
import { PgReports } from './reports.js';
import { PgRollups } from './rollups.js';
import { PgSessions } from './sessions.js';
import { PgTokens } from './tokens.js';

interface TxState {
  tx: TxSql;
  open: boolean;
}

const PING_TIMEOUT_MS = 5000;

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
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
  private readonly txContext = new AsyncLocalStorage<TxState>();
  private closed = false;
  private down = false;
  private downReason?: string;
  private readonly waiting = new Set<(err: Error) => void>();
  /** Connection failures seen (health). */
  readonly stats = { unavailable: 0, transactions: 0 };

  private constructor(
    readonly sql: Sql,
    readonly cluster: ClusterLink,
    /** A connection of its own for ping(): a pool busy with work must not look like a lost database. */
    private readonly probeSql: Sql,
  ) {
    const db = new Db(() => {
      const s = this.txContext.getStore();
      return s?.open ? s.tx : this.sql;
    });
    this.inner = {
      tokens: new PgTokens(db),
      devices: new PgDevices(db),
      detections: new PgDetections(db),
      compliance: new PgCompliance(db),
      policies: new PgPolicies(db),
      exceptions: new PgExceptions(db),
      audit: new PgAudit(db),
      reports: new PgReports(db),
      sessions: new PgSessions(db),
      rollups: new PgRollups(db),
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

  /** Connects, checks the login, applies pending migrations (or refuses a newer database), joins the cluster. */
  static async open(o: PgOptions & { nodeId: string; migrate?: boolean }): Promise<PostgresStore> {
    const sql = createSql(o);
    try {
      await checkConnection(sql, o.url);
      if (o.migrate !== false) await migrate(sql);
      const cluster = new PgCluster(sql, o, o.nodeId);
      return new PostgresStore(sql, cluster, createSql(o, { max: 1 }));
    } catch (err) {
      await sql.end({ timeout: 1 }).catch(() => undefined);
      throw err;
    }
  }

  private unavailable(err: unknown): never {
    if (isConnectionError(err)) {
      this.stats.unavailable++;
      throw new EdictError('EDICT_ERR_UNAVAILABLE', `database unreachable (${(err as { code?: string }).code})`);
    }
    if (err instanceof EdictError && err.code === 'EDICT_ERR_UNAVAILABLE') this.stats.unavailable++;
    throw err;
  }

  /**
   * While the database is known to be unreachable, calls fail at once; a call already waiting (for
   * a connection that will not come) fails when that becomes known. postgres.js would otherwise keep
   * it queued until the database is back, holding up everything behind it (ingest is serial).
   */
  private guard<T>(p: Promise<T>, onAbandon?: () => void): Promise<T> {
    if (this.down) {
      onAbandon?.();
      p.catch(() => undefined);
      return Promise.reject(this.downError());
    }
    return new Promise<T>((resolve, reject) => {
      const abandon = (err: Error) => {
        onAbandon?.();
        reject(err);
      };
      this.waiting.add(abandon);
      p.then(
        (v) => {
          this.waiting.delete(abandon);
          resolve(v);
        },
        (err) => {
          this.waiting.delete(abandon);
          reject(err);
        },
      );
    });
  }

  private downError(): EdictError {
    return new EdictError('EDICT_ERR_UNAVAILABLE', `database unreachable${this.downReason ? ` (${this.downReason})` : ''}`);
  }

  private markDown(reason: string): void {
    this.down = true;
    this.downReason = reason;
    const err = this.downError();
    for (const abandon of this.waiting) abandon(err);
    this.waiting.clear();
  }

  /** Wraps a repository so a lost database surfaces as EDICT_ERR_UNAVAILABLE. */
  private facade<T extends object>(repo: T): T {
    return new Proxy(repo, {
      get: (target, prop, receiver) => {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (this.closed) return Promise.reject(new Error('store is closed'));
          // Inside a transaction the transaction's own guard applies.
          const call = (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          return (this.txContext.getStore()?.open ? call : this.guard(call)).catch((err: unknown) => this.unavailable(err));
        };
      },
    });
  }

  async tx<T>(fn: (r: Repos) => Promise<T>): Promise<T> {
    if (this.txContext.getStore()?.open) return fn(this.inner);
    if (this.closed) throw new Error('store is closed');
    this.stats.transactions++;
    // A transaction given up on (the database was found unreachable while it waited) must not run
    // later, when the database is back: its caller was told nothing was kept.
    let abandoned = false;
    try {
      const run = this.sql.begin((tx) => {
        if (abandoned) throw new Error('transaction abandoned while the database was unreachable');
        const state: TxState = { tx, open: true };
        return this.txContext.run(state, async () => {
          try {
            return await fn(this.inner);
          } finally {
            state.open = false;
          }
        });
      });
      return (await this.guard(run, () => (abandoned = true))) as T;
    } catch (err) {
      return this.unavailable(err);
    }
  }

  /** Asks the database for an answer within PING_TIMEOUT_MS; marks it down (or up again) by the outcome. */
  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const probe = this.probeSql.unsafe('SELECT 1');
    probe.catch(() => undefined);
    try {
      await Promise.race([
        probe,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error('no answer in time'), { code: 'CONNECT_TIMEOUT' })), PING_TIMEOUT_MS);
        }),
      ]);
      this.down = false;
      this.downReason = undefined;
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      this.markDown(String((err as { code?: string }).code));
      throw this.downError();
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.cluster.stop();
    await this.probeSql.end({ timeout: 1 }).catch(() => undefined);
    await this.sql.end({ timeout: 5 });
  }
}
