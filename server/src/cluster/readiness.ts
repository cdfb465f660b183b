// Whether this node should be given work: its database answers (probed every READY_PROBE_MS, and
// marked down at once when a store call finds it unreachable) and it is not draining before a stop.
// GET /api/v1/ready and /health answer 503 while it is not ready, so a load balancer sends agents
// and admins to another node; agent upgrades are refused with EDICT_ERR_UNAVAILABLE meanwhile.
import { READY_PROBE_MS } from '../constants.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';

export class Readiness {
  private dbReachable = true;
  private lastError: string | null = null;
  draining = false;
  private readonly timer: NodeJS.Timeout;
  private probing?: Promise<void>;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    everyMs = READY_PROBE_MS,
  ) {
    this.timer = setInterval(() => void this.probe(), everyMs);
    this.timer.unref();
  }

  get ready(): boolean {
    return this.dbReachable && !this.draining;
  }

  /** Why the node is not ready (empty when it is). */
  reasons(): string[] {
    const r: string[] = [];
    if (!this.dbReachable) r.push(`database unreachable${this.lastError ? `: ${this.lastError}` : ''}`);
    if (this.draining) r.push('draining before stop');
    return r;
  }

  /** A store call just found the database unreachable: not ready until a probe succeeds. */
  markUnreachable(message: string): void {
    if (this.dbReachable) this.log.error({ message }, 'database unreachable: node not ready');
    this.dbReachable = false;
    this.lastError = message;
  }

  probe(): Promise<void> {
    this.probing ??= (async () => {
      try {
        await this.store.ping();
        if (!this.dbReachable) this.log.info('database reachable again: node ready');
        this.dbReachable = true;
        this.lastError = null;
      } catch (err) {
        this.markUnreachable((err as Error).message);
      } finally {
        this.probing = undefined;
      }
    })();
    return this.probing;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
