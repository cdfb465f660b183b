// Impact preview for a draft: which devices and users would be noticed, violating, exempt... now
// and at each of the draft's stage dates, as if it were published now, from current detections.
// It runs the same evaluation the compliance engine records with, so what it shows is what happens.
// The fleet is read a slice of devices at a time (present installs and runs of the draft's tools,
// their users, tags, exceptions and acknowledgements in bulk), so a draft naming a tool found on
// 50,000 devices is previewed in one pass; each point lists at most `devicesLimit` devices (the
// most pressing first) and counts them all.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ComplianceState } from '../../../shared/src/policy/compliance.js';
import { COUNT_SLICE_DEVICES } from '../constants.js';
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
  let afterId: string | undefined;
  for (;;) {
    const slice = await store.rollups.presenceSlice(candidate.tools, { afterId, limit: COUNT_SLICE_DEVICES });
    const acks = new Map<string, string[]>();
    for (const a of await store.rollups.acknowledgementsOf([...new Set(slice.rows.map((r) => r.deviceId))], candidate.tools)) {
      const k = `${a.deviceId}|${a.toolId}`;
      acks.set(k, [...(acks.get(k) ?? []), a.at]);
    }
    for (const r of slice.rows) {
      const k = `${r.deviceId}|${r.toolId}`;
      for (const p of points) {
        // Present now, so the state before does not change the result (it only tells clear from remediated).
        const { state, facts } = compliance.evaluateAt(r.tags, r.deviceId, r.toolId, p.ms, r.users, granted.get(k) ?? [], acks.get(k) ?? [], 'clear', set);
        p.all.push({ deviceId: r.deviceId, hostname: r.hostname, toolId: r.toolId, users: facts.users, state });
        p.counts[state] = (p.counts[state] ?? 0) + 1;
        p.total++;
      }
    }
    if (!slice.lastId) break;
    afterId = slice.lastId;
    await yieldToLoop();
  }
  for (const p of points) {
    p.all.sort((a, b) => PRESSING[a.state] - PRESSING[b.state] || (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0) || (a.toolId < b.toolId ? -1 : 1));
    p.devices = p.all.slice(0, limit);
    p.truncated = p.all.length - p.devices.length;
  }
  return { policyId, instants: candidate.instants, points: points.map(({ ms: _ms, all: _all, ...p }) => p) };
}
