// gap events in a report: the agent's bounded outbox had to drop events while the server was
// unreachable. The gap becomes a `report-gap` fact in the device's timeline for every tool the
// dropped events were about (or `*` when none is named), so whoever reads a tool's history sees
// that, between `from` and `to`, `dropped` events are missing. It changes no compliance state.
// Kept apart from the pipeline so it moves with whatever store the pipeline uses.
import type { GapEvent } from '../../../shared/src/protocol/index.js';
import type { Repos } from '../store/index.js';

/** Records the gap (in the caller's transaction). Returns false when its event id was stored before. */
export async function recordGap(r: Pick<Repos, 'compliance'>, deviceId: string, event: GapEvent, at: string): Promise<boolean> {
  const detail = { dropped: event.dropped, from: event.from, to: event.to, byType: event.byType, reason: event.reason };
  const cause = `${event.dropped} agent events from ${event.from} to ${event.to} were dropped (agent outbox full while offline)`;
  let isNew = false;
  for (const toolId of event.tools.length ? event.tools : ['*']) {
    // One timeline row per tool; each row's event id is unique, so a replayed gap adds nothing.
    isNew = (await r.compliance.fact(deviceId, toolId, at, 'report-gap', cause, detail, `${event.eventId}/${toolId}`)) || isNew;
  }
  return isNew;
}
