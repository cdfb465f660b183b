// Boundary scheduler. A node-cron task ticks every second and processes, in order, every instant
// that has come due since the last one processed (the watermark, kept in the database): stage
// dates of the policies in force and exception expiries. At a stage boundary the server queues a
// recompute of every affected device's state at that very instant (a durable compliance job, run
// in short slices); nothing is sent to agents, which hold the dates and flip on their own (offline
// included). At an expiry it ends the exception. The watermark moves in the same
// transaction that queued an instant's work, so a late tick, a crash or a stopped server never loses
// a boundary: the next tick (or the next start) catches up, at the right instant.
// With several nodes on one database only the leader ticks (ClusterLink.isLeader), and the
// watermark only ever moves forward by a conditional write: an instant is processed exactly once
// even if two nodes briefly both believe they lead. Each boundary is recorded in the audit log.
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
  tools: Set<string>;
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

  async start(): Promise<void> {
    const now = new Date();
    // The first node ever started sets the watermark; one starting later catches up from it.
    if (!(await this.store.policies.claimMeta(WATERMARK, now.toISOString())) && this.store.cluster.isLeader) {
      const caught = await this.processDue(now.getTime());
      if (caught) this.log.info({ boundaries: caught }, 'caught up on boundaries missed while stopped');
    }
    this.compliance.kick();
    this.onLeader = () => {
      this.log.info({ node: this.store.cluster.nodeId }, 'this node leads: it runs stage boundaries, expiries and compliance jobs');
      void this.tick();
    };
    this.store.cluster.on('leader', this.onLeader);
    this.task = cron.schedule('* * * * * *', () => this.tick(), { name: 'stage-boundaries', noOverlap: true });
  }

  private onLeader?: () => void;

  private async tick(): Promise<void> {
    if (!this.store.cluster.isLeader) return;
    try {
      await this.processDue(Date.now());
      this.compliance.kick();
    } catch (err) {
      // The database being unreachable is logged once by the readiness probe, not every second here.
      if ((err as { code?: string }).code === 'EDICT_ERR_UNAVAILABLE') return;
      this.log.error({ err }, 'boundary processing failed; retried next second');
    }
  }

  /** Every instant in (watermark, nowMs], oldest first. */
  private async due(nowMs: number): Promise<Due[]> {
    const since = (await this.store.policies.meta(WATERMARK)) ?? new Date(0).toISOString();
    const until = new Date(nowMs).toISOString();
    const byAt = new Map<string, Due>();
    const at = (iso: string) => byAt.get(iso) ?? (byAt.set(iso, { at: iso, stages: [], tools: new Set(), expiries: [] }), byAt.get(iso)!);
    for (const p of this.policies.active()) {
      // A stage that starts at publish (notice without a date) is no boundary: publishing recomputed.
      for (const [stage, iso] of Object.entries(p.instants)) {
        if (stage === 'monitor' || iso === p.instants.monitor || iso <= since || iso > until) continue;
        const d = at(iso);
        d.stages.push(`${p.id}:${stage}`);
        for (const t of p.tools) d.tools.add(t);
      }
    }
    // A granted exception past its expiry is always due, even behind the watermark: it must end.
    for (const e of await this.store.exceptions.list({ status: 'granted' })) if (e.expiresAt && e.expiresAt <= until) at(e.expiresAt).expiries.push(e.id);
    return [...byAt.values()].sort((a, b) => (a.at < b.at ? -1 : 1));
  }

  /** Processes what came due; returns how many instants. */
  async processDue(nowMs: number): Promise<number> {
    // The stage dates come from this node's policy cache: re-read it first if the database holds a
    // newer version (published on another node whose notice has not arrived). Otherwise a later
    // instant (an expiry) could move the watermark past a boundary this node did not know of yet.
    await this.policies.catchUp();
    // The version `due` is computed from (the cache can move on meanwhile: an expiry's reconcile catches up too).
    const dueFrom = this.policies.versions().policies;
    const due = await this.due(nowMs);
    for (const d of due) {
      if (!this.store.cluster.isLeader) break;
      for (const id of d.expiries) await this.exceptions.expire(id);
      const recorded = await this.store.tx(async (r) => {
        // A publish committed since the catch-up above: stop here, the next tick re-reads first.
        if ((await r.policies.partVersion('policies')) !== dueFrom) return 'stale';
        // Only the writer that moves the watermark past this instant processes it (exactly once).
        if (!(await r.policies.advanceMeta(WATERMARK, d.at))) return false;
        if (d.stages.length) {
          await this.compliance.addJob(d.at, 'stage-boundary', [...d.tools].sort());
          for (const stage of d.stages) {
            const [policyId, name] = stage.split(':');
            await r.audit.append('system', 'policy.stage-boundary', policyId, { stage: name, at: d.at, node: this.store.cluster.nodeId });
          }
        }
        return true;
      });
      if (recorded === 'stale') break;
      if (recorded && d.stages.length) {
        this.log.info({ at: d.at, boundaries: d.stages }, 'stage boundary reached');
        this.compliance.kick();
      }
    }
    return due.length;
  }

  stop(): void {
    void this.task?.destroy();
    if (this.onLeader) this.store.cluster.off('leader', this.onLeader);
  }
}
