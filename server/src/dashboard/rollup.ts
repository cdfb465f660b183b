// The daily rollup behind the burn-down chart: for every ban in force, devices in its scope by
// compliance state at the end of each calendar day (in the ban's own zone, the enforce date's)
// from the day it was first published to today. Past days are computed from the timeline as known
// now (each device's tags and enrollment as of that instant, the ban version in force then) and
// kept; today's row is redone on every run until the day is over. A state change recorded since the
// last run for an earlier instant (a laptop that reported days late) makes the days from then on be
// computed again, so the chart tells what is known, not what was known. Several nodes stamp
// changes with their own clocks before they commit, so a run also counts the changes stamped in the
// ROLLUP_RECORDED_LOOKBACK_MS before its watermark: more than the last run saw there means some
// arrived late, and they are taken too.
// Runs in the background, a slice of devices per store call with a pause between slices, longer
// while an overview is being computed for someone (interactive requests go first), every
// ROLLUP_EVERY_MS and soon after a publish.
import { setTimeout as pause } from 'node:timers/promises';
import { DateTime } from 'luxon';
import type { Policy } from '../../../shared/src/policy/schema.js';
import { ROLLUP_EVERY_MS, ROLLUP_PAUSE_MS, ROLLUP_RECORDED_LOOKBACK_MS, ROLLUP_SLICE_DEVICES } from '../constants.js';
import type { Logger } from '../log.js';
import type { PolicyService } from '../policy/service.js';
import type { CountScope, DailyRollupRow, StateCounts, Store } from '../store/index.js';
import { whenNoForeground } from './foreground.js';

const WATERMARK_KEY = 'rollup_recorded_watermark';
/** How many changes the last run saw stamped in the lookback window below its watermark. */
const WINDOW_COUNT_KEY = 'rollup_recorded_window_count';

/** The zone a ban's days are counted in: its enforce date's. */
export function banZone(p: Pick<Policy, 'stages'>): string {
  return p.stages.enforce.timeZone;
}

export class DailyRollup {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly policies: PolicyService,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), ROLLUP_EVERY_MS);
    this.timer.unref();
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** Runs soon (after the current run, if one is going). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run()
      .catch((err) => this.log.error({ err }, 'daily rollup failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Waits for the current run (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async run(nowMs = Date.now()): Promise<void> {
    const since = (await this.store.policies.meta(WATERMARK_KEY)) ?? '';
    const seenInWindow = Number((await this.store.policies.meta(WINDOW_COUNT_KEY)) ?? '0');
    const below = (iso: string) => new Date(Date.parse(iso) - ROLLUP_RECORDED_LOOKBACK_MS).toISOString();
    // The next watermark, and how many changes its lookback window holds, read first: a change that
    // becomes visible after this read is counted by the next run, which then takes it.
    const recent = await this.store.rollups.changesRecordedSince(since);
    const newest = recent.newestRecordedAt;
    const next = newest && newest > since ? newest : since;
    const nextCount = next ? (await this.store.rollups.changesRecordedBetween(below(next), next)).count : 0;
    // Changes recorded after the watermark, and, if the window just below it holds more changes than
    // the last run saw there (another node's clock behind, a late commit), those too: only then are
    // the days from their instants computed again.
    let changedFrom = recent.earliestAt;
    if (since && !Number.isNaN(Date.parse(since))) {
      const w = await this.store.rollups.changesRecordedBetween(below(since), since);
      if (w.count > seenInWindow && w.earliestAt && (!changedFrom || w.earliestAt < changedFrom)) changedFrom = w.earliestAt;
    }
    for (const p of this.policies.active()) {
      if (this.stopped) return;
      await this.rollPolicy(p, changedFrom, nowMs);
    }
    if (next !== since) await this.store.policies.setMeta(WATERMARK_KEY, next);
    if (next) await this.store.policies.setMeta(WINDOW_COUNT_KEY, String(nextCount));
  }

  private async rollPolicy(latest: Policy, changedFrom: string | null, nowMs: number): Promise<void> {
    const zone = banZone(latest);
    const versions = await this.store.policies.versions(latest.id);
    if (!versions.length) return;
    const firstDay = DateTime.fromISO(versions[0].publishedAt, { zone }).startOf('day');
    const today = DateTime.fromMillis(nowMs, { zone }).startOf('day');
    const existing = new Map((await this.store.rollups.series(latest.id)).map((r) => [r.day, r]));
    const dirtyFrom = changedFrom ? DateTime.fromISO(changedFrom, { zone }).startOf('day').toISODate() : null;
    for (let d = firstDay; d <= today; d = d.plus({ days: 1 })) {
      if (this.stopped) return;
      const day = d.toISODate()!;
      const end = d.plus({ days: 1 });
      const isToday = d.equals(today);
      const row = existing.get(day);
      if (!isToday && row?.final && !(dirtyFrom && day >= dirtyFrom)) continue;
      // The end of the day (or now, today), under the version in force then.
      const atMs = isToday ? nowMs : end.toMillis() - 1;
      const version = [...versions].reverse().find((v) => Date.parse(v.publishedAt) <= atMs) ?? versions[0];
      const counts = await this.countAsOf({ toolIds: version.tools, devices: version.scope.devices, tags: version.scope.tags }, new Date(atMs).toISOString());
      const put: DailyRollupRow = { policyId: latest.id, day, inScope: counts.inScope, counts: counts.counts, computedAt: new Date(nowMs).toISOString(), final: nowMs >= end.toMillis() };
      await this.store.rollups.put(put);
    }
  }

  private async countAsOf(scope: CountScope, atIso: string): Promise<{ inScope: number; counts: StateCounts }> {
    const counts: StateCounts = { clear: 0, noticed: 0, acknowledged: 0, violating: 0, remediated: 0, exempt: 0 };
    let inScope = 0;
    let afterId: string | undefined;
    for (;;) {
      const r = await this.store.rollups.countAsOf(scope, atIso, { afterId, limit: ROLLUP_SLICE_DEVICES });
      inScope += r.inScope;
      for (const k of Object.keys(counts) as (keyof StateCounts)[]) counts[k] += r.counts[k];
      if (!r.lastId) return { inScope, counts };
      afterId = r.lastId;
      await pause(ROLLUP_PAUSE_MS);
      await whenNoForeground();
    }
  }
}
