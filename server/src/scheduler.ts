// Boundary scheduler. A node-cron task ticks every second and processes, in order, every instant
// that has come due since the last one processed (the watermark, kept in the database): stage
// dates of the policies in force and exception expiries. At a stage boundary the server recomputes
// every device's compliance state at that very instant and pushes a fresh bundle to connected
// agents (which also flip on their own, offline included); at an expiry it ends the exception.
// The watermark moves only after an instant was processed, so a late tick, a crash or a stopped
// server never loses a boundary: the next tick (or the next start) catches up, at the right instant.
import cron, { type ScheduledTask } from 'node-cron';
import type { ComplianceService } from './compliance/service.js';
import type { ExceptionService } from './compliance/exceptions.js';
import type { Logger } from './log.js';
import type { PolicyService } from './policy/service.js';
import type { Store } from './store/index.js';

const WATERMARK = 'boundaries_processed_until';

interface Due {
  at: string;
  stages: string[];
  expiries: string[];
}

export class BoundaryScheduler {
  private task?: ScheduledTask;

  constructor(
    private readonly store: Store,
    private readonly policies: PolicyService,
    private readonly compliance: ComplianceService,
    private readonly exceptions: ExceptionService,
    private readonly log: Logger,
  ) {}

  start(): void {
    const now = new Date();
    const first = !this.store.policies.meta(WATERMARK);
    const caught = first ? 0 : this.processDue(now.getTime());
    const changed = this.compliance.recomputeAll(now.toISOString(), 'server-start');
    this.store.policies.setMeta(WATERMARK, now.toISOString());
    if (caught || changed) this.log.info({ boundaries: caught, changed }, 'caught up on boundaries missed while stopped');
    this.task = cron.schedule('* * * * * *', () => {
      try {
        this.processDue(Date.now());
      } catch (err) {
        this.log.error({ err }, 'boundary processing failed; retried next second');
      }
    }, { name: 'stage-boundaries', noOverlap: true });
  }

  /** Every instant in (watermark, nowMs], oldest first. */
  private due(nowMs: number): Due[] {
    const since = this.store.policies.meta(WATERMARK) ?? new Date(0).toISOString();
    const until = new Date(nowMs).toISOString();
    const byAt = new Map<string, Due>();
    const add = (at: string | undefined, kind: 'stages' | 'expiries', id: string) => {
      // A granted exception past its expiry is always due, even behind the watermark: it must end.
      if (!at || (kind === 'stages' && at <= since) || at > until) return;
      const d = byAt.get(at) ?? { at, stages: [], expiries: [] };
      d[kind].push(id);
      byAt.set(at, d);
    };
    for (const p of this.policies.active()) {
      // A stage that starts at publish (notice without a date) is no boundary: publishing recomputed.
      for (const [stage, at] of Object.entries(p.instants)) if (stage !== 'monitor' && at !== p.instants.monitor) add(at, 'stages', `${p.id}:${stage}`);
    }
    for (const e of this.store.exceptions.list({ status: 'granted' })) add(e.expiresAt ?? undefined, 'expiries', e.id);
    return [...byAt.values()].sort((a, b) => (a.at < b.at ? -1 : 1));
  }

  /** Processes what came due; returns how many instants. The watermark follows each one processed. */
  processDue(nowMs: number): number {
    const due = this.due(nowMs);
    for (const d of due) {
      for (const id of d.expiries) this.exceptions.expire(id);
      if (d.stages.length) {
        const changed = this.compliance.recomputeAll(d.at, 'stage-boundary');
        this.log.info({ at: d.at, boundaries: d.stages, changed }, 'stage boundary reached');
      }
      this.store.policies.setMeta(WATERMARK, d.at);
      if (d.stages.length) this.policies.touch();
    }
    return due.length;
  }

  stop(): void {
    void this.task?.destroy();
  }
}
