// Impact preview for a draft: which devices and users would be noticed, violating, exempt... now
// and at each of the draft's stage dates, as if it were published now, from current detections.
// It runs the same evaluation the compliance engine records with, so what it shows is what happens.
import type { ComplianceState } from '../../../shared/src/policy/compliance.js';
import type { PolicyService } from '../policy/service.js';
import type { Store } from '../store/index.js';
import type { ComplianceService } from './service.js';

export interface PreviewPoint {
  label: 'now' | 'notice' | 'enforce' | 'hard';
  at: string;
  devices: { deviceId: string; hostname: string; toolId: string; users: string[]; state: ComplianceState }[];
  counts: Partial<Record<ComplianceState, number>>;
}

export async function previewDraft(store: Store, policies: PolicyService, compliance: ComplianceService, policyId: string, now = new Date()): Promise<{ policyId: string; points: PreviewPoint[] }> {
  const row = await policies.require(policyId);
  const candidate = policies.asPublished(policyId, row.draft, (row.latestVersion ?? 0) + 1, now);
  const set = [...policies.active().filter((p) => p.id !== policyId), candidate];
  const instants: [PreviewPoint['label'], string | undefined][] = [
    ['now', now.toISOString()],
    ['notice', candidate.instants.notice > now.toISOString() ? candidate.instants.notice : undefined],
    ['enforce', candidate.instants.enforce],
    ['hard', candidate.instants.hard],
  ];
  const present = await store.detections.present({ toolIds: candidate.tools });
  const pairs = [...new Map(present.map((p) => [`${p.deviceId}|${p.toolId}`, p])).values()];
  const hostnames = new Map<string, string>();
  for (const { deviceId } of pairs) if (!hostnames.has(deviceId)) hostnames.set(deviceId, (await store.devices.get(deviceId))?.hostname ?? deviceId);
  const points: PreviewPoint[] = [];
  for (const [label, at] of instants) {
    if (!at) continue;
    const point: PreviewPoint = { label, at, devices: [], counts: {} };
    for (const { deviceId, toolId } of pairs) {
      const { state, facts } = await compliance.evaluateNow(deviceId, toolId, Date.parse(at), set);
      point.devices.push({ deviceId, hostname: hostnames.get(deviceId)!, toolId, users: facts.users, state });
      point.counts[state] = (point.counts[state] ?? 0) + 1;
    }
    points.push(point);
  }
  return { policyId, points };
}
