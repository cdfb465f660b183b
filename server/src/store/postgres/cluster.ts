// How the nodes on one PostgreSQL database find out about each other's changes and agree who runs
// the schedules. Notices go over LISTEN/NOTIFY on one channel as small JSON (ids and versions,
// chunked below the 8,000-byte payload limit), sent only after the change committed, never from the
// ingest path. NOTIFY is at most once: a node whose listening connection dropped hears `resync` when
// it is back and catches up from versions in the database. The leader holds a session advisory
// lock on a connection of its own; when that node dies its session ends and the lock with it, and
// another node's next try (every LEADER_POLL_MS) takes over. A leader that cannot confirm it still
// holds the lock steps down at once.
import { EventEmitter } from 'node:events';
import type { ClusterLink, ClusterNotice } from '../types.js';
import { createSql, LOCKS, LOCK_NS, type PgOptions, type Sql } from './connection.js';

export const CLUSTER_CHANNEL = 'edict_cluster';
/** How often a follower tries for the leadership, and a leader checks it still holds it. */
export const LEADER_POLL_MS = 2000;
const MAX_PAYLOAD = 7000;

export class PgCluster extends EventEmitter implements ClusterLink {
  private leader = false;
  private leaderSql?: Sql;
  private leaderPid?: number;
  private timer?: NodeJS.Timeout;
  private listening?: { unlisten: () => Promise<void> };
  private started = false;
  private stopped = false;
  private polling?: Promise<void>;
  readonly stats = { sent: 0, received: 0, resyncs: 0, leaderChanges: 0 };

  constructor(
    private readonly sql: Sql,
    private readonly opts: PgOptions,
    readonly nodeId: string,
  ) {
    super();
  }

  get isLeader(): boolean {
    return this.leader;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    let first = true;
    this.listening = await this.sql.listen(
      CLUSTER_CHANNEL,
      (payload) => this.onPayload(payload),
      () => {
        // Called on every (re)connection of the listening connection.
        if (first) first = false;
        else {
          this.stats.resyncs++;
          this.emit('resync');
        }
      },
    );
    this.leaderSql = createSql(this.opts, { max: 1 });
    await this.poll();
    this.timer = setInterval(() => void this.poll(), LEADER_POLL_MS);
    this.timer.unref();
  }

  private onPayload(payload: string): void {
    let m: { from?: string; n?: ClusterNotice };
    try {
      m = JSON.parse(payload) as typeof m;
    } catch {
      return; // not ours
    }
    if (!m.n || m.from === this.nodeId) return;
    this.stats.received++;
    this.emit('notice', m.n);
  }

  async notify(n: ClusterNotice): Promise<void> {
    if (this.stopped) return;
    const chunks: ClusterNotice[] = [];
    if ((n.kind === 'part') && n.deviceIds && JSON.stringify(n).length > MAX_PAYLOAD) {
      const per = 150;
      for (let i = 0; i < n.deviceIds.length; i += per) chunks.push({ ...n, deviceIds: n.deviceIds.slice(i, i + per) });
    } else chunks.push(n);
    for (const c of chunks) {
      await this.sql.notify(CLUSTER_CHANNEL, JSON.stringify({ from: this.nodeId, n: c }));
      this.stats.sent++;
    }
  }

  /** One leadership round: try to take the lock, or check it is still ours. */
  private poll(): Promise<void> {
    this.polling ??= (async () => {
      try {
        const s = this.leaderSql!;
        if (!this.leader) {
          const [r] = await s.unsafe<{ got: boolean; pid: number }[]>('SELECT pg_try_advisory_lock($1, $2) AS got, pg_backend_pid() AS pid', [LOCK_NS, LOCKS.leader]);
          if (r?.got && !this.stopped) {
            this.leaderPid = r.pid;
            this.setLeader(true);
          }
        } else {
          // The lock lives with the session: a reconnected session (another pid) no longer holds it.
          const [r] = await s.unsafe<{ held: boolean }[]>(
            `SELECT pg_backend_pid() = $3 AND EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2
               AND pid = pg_backend_pid() AND granted) AS held`,
            [LOCK_NS, LOCKS.leader, this.leaderPid ?? -1],
          );
          if (!r?.held) this.setLeader(false);
        }
      } catch {
        if (this.leader) this.setLeader(false);
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  private setLeader(v: boolean): void {
    if (this.leader === v) return;
    this.leader = v;
    this.stats.leaderChanges++;
    this.emit(v ? 'leader' : 'follower');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.polling;
    this.leader = false;
    await this.listening?.unlisten().catch(() => undefined);
    // Ending the session releases the leadership at once (another node takes over on its next try).
    await this.leaderSql?.end({ timeout: 2 }).catch(() => undefined);
  }
}
