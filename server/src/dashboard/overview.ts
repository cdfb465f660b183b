// The overview the dashboard keeps open all day, and GET /summary: for every ban in force its stage
// now and the next date, devices in scope by compliance state (clickable counts that add up to the
// devices in scope), how many of each were not seen for N days, the rollout, and the exception
// requests waiting. Computing it reads the fleet a slice of devices at a time; the result is kept
// and recomputed only when a cheap watermark (timeline, devices, tags, audit, exceptions) moved, or
// every LIVE_REFRESH_MS (presence and "not seen" move without it), never more often than every
// LIVE_MIN_INTERVAL_MS however many dashboards watch. Dashboards subscribe (Server-Sent Events) and
// get each new version pushed, so counts change within seconds of agents reporting, without reload.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { nextBoundary, stageOf } from '../../../shared/src/policy/evaluate.js';
import type { Policy } from '../../../shared/src/policy/schema.js';
import { COUNT_SLICE_DEVICES, LIVE_CHECK_MS, LIVE_REFRESH_MS } from '../constants.js';
import type { Logger } from '../log.js';
import type { RolloutProgress, Rollouts } from '../policy/rollouts.js';
import type { PolicyService } from '../policy/service.js';
import type { StateCounts, Store } from '../store/index.js';
import { foreground } from './foreground.js';

/** Recomputes are at least this far apart, whatever moves (a busy fleet changes every second). */
export const LIVE_MIN_INTERVAL_MS = 2_000;

export interface BanOverview {
  policyId: string;
  name: string;
  version: number;
  tools: string[];
  stage: string;
  nextBoundary: string | null;
  /** The stage that starts at nextBoundary. */
  nextStage: string | null;
  /** Each stage date as written (wall time and zone) with its instant. */
  stages: { stage: string; at: string | null; timeZone: string | null; instant: string }[];
  publishedAt: string;
  inScope: number;
  counts: StateCounts;
  /** Of the devices in each state, how many were last seen before `notSeenSince` (or never). */
  notSeen: StateCounts;
  rollout: RolloutProgress;
}

export interface Overview {
  at: string;
  devices: number;
  staleDays: number;
  notSeenSince: string;
  /** Employee exception requests waiting for a decision. */
  requestedExceptions: number;
  policies: BanOverview[];
}

interface Subscriber {
  staleDays: number;
  send(o: Overview): void;
  /** Whether the subscriber may still receive (its session still valid). */
  valid(): Promise<boolean>;
  end(): void;
}

export class LiveOverview {
  private readonly cache = new Map<number, { mark: string; at: number; value: Overview }>();
  private readonly inflight = new Map<number, Promise<Overview>>();
  private readonly subscribers = new Set<Subscriber>();
  private timer?: NodeJS.Timeout;
  private checking = false;

  constructor(
    private readonly store: Store,
    private readonly policies: PolicyService,
    private readonly rollouts: Rollouts,
    private readonly log: Logger,
  ) {}

  /** The overview with "not seen for `staleDays` days" counts: the kept one while nothing moved. */
  async get(staleDays: number): Promise<Overview> {
    const mark = await this.store.rollups.watermark();
    const c = this.cache.get(staleDays);
    if (c && ((c.mark === mark && Date.now() - c.at < LIVE_REFRESH_MS) || Date.now() - c.at < LIVE_MIN_INTERVAL_MS)) return c.value;
    return this.compute(staleDays, mark);
  }

  private compute(staleDays: number, mark: string): Promise<Overview> {
    let p = this.inflight.get(staleDays);
    if (!p) {
      p = foreground(() => this.build(staleDays))
        .then((value) => {
          this.cache.set(staleDays, { mark, at: Date.now(), value });
          return value;
        })
        .finally(() => this.inflight.delete(staleDays));
      this.inflight.set(staleDays, p);
    }
    return p;
  }

  private async build(staleDays: number, now = Date.now()): Promise<Overview> {
    const notSeenSince = new Date(now - staleDays * 86400_000).toISOString();
    const out: BanOverview[] = [];
    for (const p of this.policies.active()) {
      const zero = (): StateCounts => ({ clear: 0, noticed: 0, acknowledged: 0, violating: 0, remediated: 0, exempt: 0 });
      const counts = zero();
      const notSeen = zero();
      let inScope = 0;
      let afterId: string | undefined;
      for (;;) {
        const r = await this.store.rollups.countNow({ toolIds: p.tools, devices: p.scope.devices, tags: p.scope.tags }, notSeenSince, { afterId, limit: COUNT_SLICE_DEVICES });
        inScope += r.inScope;
        for (const k of Object.keys(counts) as (keyof StateCounts)[]) {
          counts[k] += r.counts[k];
          notSeen[k] += r.notSeen[k];
        }
        if (!r.lastId) break;
        afterId = r.lastId;
        await yieldToLoop();
      }
      const next = nextBoundary([p], now);
      out.push({
        policyId: p.id,
        name: p.name,
        version: p.version,
        tools: p.tools,
        stage: stageOf(p, now),
        nextBoundary: next === null ? null : new Date(next).toISOString(),
        nextStage: next === null ? null : stageOf(p, next),
        stages: stagesOf(p),
        publishedAt: p.publishedAt,
        inScope,
        counts,
        notSeen,
        rollout: await this.rollouts.progress(p.id),
      });
    }
    const requested = await this.store.rollups.requestedExceptions();
    return {
      at: new Date(now).toISOString(),
      devices: await this.store.devices.countActive(),
      staleDays,
      notSeenSince,
      requestedExceptions: requested,
      policies: out,
    };
  }

  /** Pushes every new overview to `send` until the returned function is called or `valid()` says no. */
  subscribe(staleDays: number, send: (o: Overview) => void, valid: () => Promise<boolean>, end: () => void): () => void {
    const s: Subscriber = { staleDays, send, valid, end };
    this.subscribers.add(s);
    this.ensureTimer();
    // What is kept is sent at once (the next check pushes a newer one if anything moved).
    const kept = this.cache.get(staleDays)?.value;
    void (kept ? Promise.resolve(kept) : this.get(staleDays))
      .then((o) => send(o))
      .catch((err) => this.log.warn({ err }, 'overview for a new subscriber failed'));
    return () => {
      this.subscribers.delete(s);
      if (!this.subscribers.size) this.stopTimer();
    };
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), LIVE_CHECK_MS);
    this.timer.unref();
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Once a second while someone watches: recompute what moved and push it. */
  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const s of [...this.subscribers]) {
        if (!(await s.valid().catch(() => false))) {
          this.subscribers.delete(s);
          s.end();
        }
      }
      const wanted = new Set([...this.subscribers].map((s) => s.staleDays));
      for (const days of wanted) {
        const before = this.cache.get(days)?.value;
        const o = await this.get(days);
        if (o === before) continue;
        for (const s of this.subscribers) if (s.staleDays === days) s.send(o);
      }
      if (!this.subscribers.size) this.stopTimer();
    } catch (err) {
      this.log.warn({ err }, 'live overview check failed');
    } finally {
      this.checking = false;
    }
  }

  /** Ends every stream (server shutdown). */
  close(): void {
    this.stopTimer();
    for (const s of this.subscribers) s.end();
    this.subscribers.clear();
  }
}

function stagesOf(p: Policy): BanOverview['stages'] {
  const out: BanOverview['stages'] = [{ stage: 'monitor', at: null, timeZone: null, instant: p.instants.monitor }];
  for (const s of ['notice', 'enforce', 'hard'] as const) {
    const spec = p.stages[s];
    const instant = p.instants[s];
    if (!instant) continue;
    out.push({ stage: s, at: spec?.at ?? null, timeZone: spec?.timeZone ?? null, instant });
  }
  return out;
}
