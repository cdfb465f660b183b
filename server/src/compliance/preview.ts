// Impact preview for a draft: which devices and users would be noticed, violating, exempt... now
// and at each of the draft's stage dates, as if it were published now, from current detections.
// It runs the same evaluation the compliance engine records with, so what it shows is what happens.
// The fleet is read a slice of devices at a time (present installs and runs of the draft's tools,
// their users, tags, exceptions and acknowledgements in bulk), with the event loop free between
// slices, so a draft naming a tool found on 50,000 devices is previewed in one pass. Pairs whose
// state can only depend on the device's tags (no acknowledgement, no exception, no policy scoped to
// device ids or users) are evaluated once per tag set. Each point lists at most `devicesLimit`
// devices (the most pressing first) and counts them all. PreviewRuns runs it in the background for
// the dashboard (a large fleet takes longer than a page should wait on one request).
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ComplianceState } from '../../../shared/src/policy/compliance.js';
import { JOB_SLICE_MS } from '../constants.js';
import type { PolicyService } from '../policy/service.js';
import type { ExceptionRow, Store } from '../store/index.js';
import type { ComplianceService } from './service.js';

export interface PreviewDevice {
  deviceId: string;
  hostname: string;
  toolId: string;
  users: string[];
  state: ComplianceState;
}

export interface PreviewPoint {
  label: 'now' | 'notice' | 'enforce' | 'hard';
  at: string;
  devices: PreviewDevice[];
  counts: Partial<Record<ComplianceState, number>>;
  /** Device × tool pairs evaluated (every present install or run of the draft's tools). */
  total: number;
  /** Pairs left out of `devices` (beyond devicesLimit). */
  truncated: number;
}

/** Devices read per store call: a few milliseconds each on a large fleet. */
const PREVIEW_SLICE_DEVICES = 250;

const PRESSING: Record<ComplianceState, number> = { violating: 0, noticed: 1, acknowledged: 2, exempt: 3, remediated: 4, clear: 5 };

export async function previewDraft(
  store: Store,
  policies: PolicyService,
  compliance: ComplianceService,
  policyId: string,
  opts: { devicesLimit?: number } = {},
  now = new Date(),
): Promise<{ policyId: string; instants: Record<string, string>; points: PreviewPoint[] }> {
  const limit = opts.devicesLimit ?? 100;
  const row = await policies.require(policyId);
  const candidate = policies.asPublished(policyId, row.draft, (row.latestVersion ?? 0) + 1, now);
  const set = [...policies.active().filter((p) => p.id !== policyId), candidate];
  const instants: [PreviewPoint['label'], string | undefined][] = [
    ['now', now.toISOString()],
    ['notice', candidate.instants.notice > now.toISOString() ? candidate.instants.notice : undefined],
    ['enforce', candidate.instants.enforce],
    ['hard', candidate.instants.hard],
  ];
  const points: (PreviewPoint & { ms: number; all: PreviewDevice[] })[] = instants
    .filter((x): x is [PreviewPoint['label'], string] => !!x[1])
    .map(([label, at]) => ({ label, at, ms: Date.parse(at), devices: [], all: [], counts: {}, total: 0, truncated: 0 }));

  // Exceptions ever granted for these tools (few, fleet-wide), by device × tool.
  const granted = new Map<string, ExceptionRow[]>();
  for (const status of ['granted', 'revoked', 'expired'] as const) {
    for (const e of await store.exceptions.list({ status })) {
      if (!candidate.tools.includes(e.toolId) || e.decidedAt === null) continue;
      const k = `${e.deviceId}|${e.toolId}`;
      granted.set(k, [...(granted.get(k) ?? []), e]);
    }
  }
  // When no policy of the set names devices or users, a pair without acknowledgements or exceptions
  // has the state its tags give: evaluated once per tool × tag set.
  const byTagsOnly = !set.some((p) => p.tools.some((t) => candidate.tools.includes(t)) && (p.scope.devices.length > 0 || p.scope.users.length > 0));
  const memo = new Map<string, { state: ComplianceState; users: string[] }>();
  let afterId: string | undefined;
  let sliceStart = performance.now();
  for (;;) {
    const slice = await store.rollups.presenceSlice(candidate.tools, { afterId, limit: PREVIEW_SLICE_DEVICES });
    const acks = new Map<string, string[]>();
    for (const a of await store.rollups.acknowledgementsOf([...new Set(slice.rows.map((r) => r.deviceId))], candidate.tools)) {
      const k = `${a.deviceId}|${a.toolId}`;
      acks.set(k, [...(acks.get(k) ?? []), a.at]);
    }
    for (const r of slice.rows) {
      const k = `${r.deviceId}|${r.toolId}`;
      const ex = granted.get(k) ?? [];
      const ak = acks.get(k) ?? [];
      const plain = byTagsOnly && !ex.length && !ak.length;
      for (const [i, p] of points.entries()) {
        // Present now, so the state before does not change the result (it only tells clear from remediated).
        const mk = plain ? `${i}|${r.toolId}|${r.tags.join(',')}` : undefined;
        let v = mk ? memo.get(mk) : undefined;
        if (!v) {
          const { state, facts } = compliance.evaluateAt(r.tags, r.deviceId, r.toolId, p.ms, r.users, ex, ak, 'clear', set);
          v = { state, users: facts.users };
          if (mk) memo.set(mk, v);
        }
        p.all.push({ deviceId: r.deviceId, hostname: r.hostname, toolId: r.toolId, users: r.users, state: v.state });
        p.counts[v.state] = (p.counts[v.state] ?? 0) + 1;
        p.total++;
      }
    }
    if (!slice.lastId) break;
    afterId = slice.lastId;
    if (performance.now() - sliceStart > JOB_SLICE_MS) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
  for (const p of points) {
    await yieldToLoop();
    p.all.sort((a, b) => PRESSING[a.state] - PRESSING[b.state] || (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0) || (a.toolId < b.toolId ? -1 : 1));
    p.devices = p.all.slice(0, limit);
    p.truncated = p.all.length - p.devices.length;
  }
  return { policyId, instants: candidate.instants, points: points.map(({ ms: _ms, all: _all, ...p }) => p) };
}

type PreviewResult = Awaited<ReturnType<typeof previewDraft>>;

/**
 * Previews run in the background for the dashboard: the first ask starts one and answers
 * `running`; later asks get the result once done. A result is kept for PREVIEW_KEEP_MS for the same
 * draft (its updatedAt) and the same policies and detections (a watermark), then made again.
 */
export class PreviewRuns {
  private readonly runs = new Map<string, { startedAt: string; done?: { at: number; mark: string; result: PreviewResult }; error?: unknown; running?: Promise<void> }>();

  constructor(
    private readonly store: Store,
    private readonly policies: PolicyService,
    private readonly compliance: ComplianceService,
  ) {}

  async get(policyId: string, devicesLimit: number): Promise<{ status: 'running'; startedAt: string } | ({ status: 'done' } & PreviewResult)> {
    const row = await this.policies.require(policyId);
    const mark = `${await this.store.rollups.watermark()}|${this.policies.versions().policies}`;
    const key = `${policyId}|${row.updatedAt}|${devicesLimit}`;
    const run = this.runs.get(key);
    if (run?.done && run.done.mark === mark && Date.now() - run.done.at < PREVIEW_KEEP_MS) return { status: 'done', ...run.done.result };
    if (run?.error && !run.running) {
      this.runs.delete(key);
      throw run.error;
    }
    if (run?.running) return { status: 'running', startedAt: run.startedAt };
    for (const [k, r] of this.runs) if (!r.running && (!r.done || Date.now() - r.done.at > PREVIEW_KEEP_MS)) this.runs.delete(k);
    const entry: { startedAt: string; done?: { at: number; mark: string; result: PreviewResult }; error?: unknown; running?: Promise<void> } = { startedAt: new Date().toISOString() };
    entry.running = previewDraft(this.store, this.policies, this.compliance, policyId, { devicesLimit })
      .then((result) => void (entry.done = { at: Date.now(), mark, result }))
      .catch((err) => void (entry.error = err))
      .finally(() => (entry.running = undefined));
    this.runs.set(key, entry);
    return { status: 'running', startedAt: entry.startedAt };
  }
}

/** How long a finished preview is served again (for the same draft, policies and detections). */
export const PREVIEW_KEEP_MS = 60_000;
