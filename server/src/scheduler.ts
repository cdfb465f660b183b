// Boundary scheduler (node-cron): one task per upcoming instant at which a verdict can change — a
// stage date of a policy in force or an exception's expiry. At a stage boundary the server
// recomputes every device's compliance state and pushes a fresh bundle to connected agents (which
// also flip on their own, offline included); at an expiry it ends the exception. Rebuilt whenever
// policies or exceptions change. On start, missed expiries are caught up.
import cron, { type ScheduledTask } from 'node-cron';
import type { ComplianceService } from './compliance/service.js';
import type { ExceptionService } from './compliance/exceptions.js';
import type { Logger } from './log.js';
import type { PolicyService } from './policy/service.js';
import type { Store } from './store/index.js';

/** Fewest-first cap on scheduled tasks; later boundaries are picked up at the next rebuild. */
const MAX_TASKS = 500;

export class BoundaryScheduler {
  private tasks: ScheduledTask[] = [];
  private scheduled = '';

  constructor(
    private readonly store: Store,
    private readonly policies: PolicyService,
    private readonly compliance: ComplianceService,
    private readonly exceptions: ExceptionService,
    private readonly log: Logger,
  ) {}

  start(): void {
    const now = new Date();
    // Boundaries that passed while the server was stopped are applied at their own instants, so
    // the timeline says when a device became violating, not when the server came back.
    const since = this.store.policies.meta('boundaries_processed_until');
    let missed = 0;
    if (since) {
      const instants = new Set<string>();
      for (const p of this.policies.active()) {
        for (const [stage, iso] of Object.entries(p.instants)) if (stage !== 'monitor' && iso && iso > since && iso <= now.toISOString()) instants.add(iso);
      }
      for (const iso of [...instants].sort()) missed += this.compliance.recomputeAll(iso, 'stage-boundary');
    }
    const expired = this.exceptions.expireOverdue(now);
    const changed = this.compliance.recomputeAll(now.toISOString(), 'server-start');
    this.markProcessed(now.getTime());
    if (missed || expired || changed) this.log.info({ missed, expired, changed }, 'caught up on boundaries missed while stopped');
    this.rebuild();
    this.policies.on('changed', () => this.rebuild());
    // A heartbeat for the catch-up marker, so a crash loses at most a minute of "processed".
    this.tick = cron.schedule('0 * * * * *', () => this.markProcessed(Date.now()), { name: 'boundary-watermark' });
  }

  private tick?: ScheduledTask;

  private markProcessed(ms: number): void {
    this.store.policies.setMeta('boundaries_processed_until', new Date(ms).toISOString());
  }

  /** Re-creates the cron tasks for every future boundary (cheap; idempotent when nothing moved). */
  rebuild(): void {
    const now = Date.now();
    const boundaries = new Map<number, { kind: 'stage' | 'expiry'; id: string }[]>();
    const add = (iso: string | undefined, entry: { kind: 'stage' | 'expiry'; id: string }) => {
      if (!iso) return;
      const t = Math.ceil(Date.parse(iso) / 1000) * 1000; // cron fires on whole seconds
      if (t <= now) return;
      boundaries.set(t, [...(boundaries.get(t) ?? []), entry]);
    };
    // A stage that starts at publish (notice without a date) is no boundary: publishing already recomputed.
    for (const p of this.policies.active()) {
      for (const [stage, iso] of Object.entries(p.instants)) if (stage !== 'monitor' && iso !== p.instants.monitor) add(iso, { kind: 'stage', id: `${p.id}:${stage}` });
    }
    for (const e of this.store.exceptions.upcomingExpiries(new Date(now).toISOString())) add(e.expiresAt, { kind: 'expiry', id: e.id });
    const times = [...boundaries.keys()].sort((a, b) => a - b).slice(0, MAX_TASKS);
    const signature = times.map((t) => `${t}:${boundaries.get(t)!.map((e) => e.id).join(',')}`).join(';');
    if (signature === this.scheduled) return;
    this.stopTasks();
    this.scheduled = signature;
    for (const t of times) {
      const d = new Date(t);
      const expr = `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`;
      const task = cron.schedule(expr, () => {
        // A cron expression repeats yearly; act only in the minute it was meant for.
        if (Math.abs(Date.now() - t) > 60_000) return;
        void task.destroy();
        this.fire(t, boundaries.get(t)!);
      }, { timezone: 'Etc/UTC', name: `boundary-${t}` });
      this.tasks.push(task);
    }
  }

  private fire(t: number, entries: { kind: 'stage' | 'expiry'; id: string }[]): void {
    const atIso = new Date(t).toISOString();
    try {
      for (const e of entries.filter((x) => x.kind === 'expiry')) this.exceptions.expire(e.id);
      if (entries.some((x) => x.kind === 'stage')) {
        const changed = this.compliance.recomputeAll(atIso, 'stage-boundary');
        this.markProcessed(t);
        this.log.info({ at: atIso, boundaries: entries.map((e) => e.id), changed }, 'stage boundary reached');
        this.policies.touch();
      }
    } catch (err) {
      this.log.error({ err, at: atIso }, 'boundary handling failed');
    }
  }

  private stopTasks(): void {
    for (const t of this.tasks) void t.destroy();
    this.tasks = [];
  }

  stop(): void {
    this.stopTasks();
    void this.tick?.destroy();
  }
}
