// The outbox's size bound, as a pure plan: which queued events to drop when the outbox is over its
// bound, so that no evidence disappears silently. In order:
//   1. collapse: a `present` that restates a finding already present earlier in the queue (same
//      detection key, no `absent` in between) carries nothing new for the server: dropped, not counted;
//   2. drop the oldest events whose loss leaves every finding's final state intact: a detection
//      event that has a later event about the same finding, a finding whose whole life (present …
//      absent) is in the queue, and notices and enforcement steps (facts, counted);
//   3. last resort, the oldest remaining events, final states included (the agent then restates the
//      findings it still sees, so the server errs towards "still present", never "remediated").
// Steps 2 and 3 are counted in a gap event (how many, which period, which tools) the server records
// in the device's timeline. An employee's acknowledgements and exception requests are never dropped.
import { detectionKey, type GapEvent, type ReportEvent } from '../../../shared/src/protocol/index.js';

export interface QueuedEvent {
  event: ReportEvent;
  /** Bytes this event takes on disk (its share of its batch file). */
  bytes: number;
}

export interface BoundPlan {
  /** Indexes (into the queued list) of events to remove. */
  remove: Set<number>;
  /** Of those, the ones counted in the gap (steps 2 and 3). */
  counted: ReportEvent[];
  /** Detection keys whose final state was dropped (step 3): the agent restates what it still sees. */
  lostFinalState: Set<string>;
  /** Bytes freed. */
  freed: number;
}

const PROTECTED = new Set<ReportEvent['type']>(['acknowledgement', 'exception-request', 'gap']);

/** Plans removals freeing at least `toFree` bytes (fewer only when nothing more may go). */
export function planBound(queue: readonly QueuedEvent[], toFree: number): BoundPlan {
  const plan: BoundPlan = { remove: new Set(), counted: [], lostFinalState: new Set(), freed: 0 };
  const drop = (i: number, counted: boolean) => {
    plan.remove.add(i);
    plan.freed += queue[i]!.bytes;
    if (counted) plan.counted.push(queue[i]!.event);
  };

  // Per finding: where its events are, first and last.
  const byKey = new Map<string, number[]>();
  queue.forEach((q, i) => {
    if (q.event.type !== 'detection') return;
    const k = detectionKey(q.event.detection);
    const list = byKey.get(k);
    if (list) list.push(i);
    else byKey.set(k, [i]);
  });

  // 1. Collapse restated presents.
  for (const list of byKey.values()) {
    let present = false;
    for (const i of list) {
      const e = queue[i]!.event as Extract<ReportEvent, { type: 'detection' }>;
      if (e.state === 'present' && present) drop(i, false);
      present = e.state === 'present';
    }
  }
  if (plan.freed >= toFree) return plan;

  // 2. Oldest first, keeping every finding's final state.
  const last = new Map<string, number>();
  const wholeLife = new Set<string>();
  for (const [k, list] of byKey) {
    const live = list.filter((i) => !plan.remove.has(i));
    if (!live.length) continue;
    last.set(k, live[live.length - 1]!);
    const first = queue[live[0]!]!.event as Extract<ReportEvent, { type: 'detection' }>;
    const end = queue[live[live.length - 1]!]!.event as Extract<ReportEvent, { type: 'detection' }>;
    if (first.state === 'present' && end.state === 'absent') wholeLife.add(k);
  }
  for (let i = 0; i < queue.length && plan.freed < toFree; i++) {
    if (plan.remove.has(i)) continue;
    const e = queue[i]!.event;
    if (PROTECTED.has(e.type)) continue;
    if (e.type === 'detection') {
      const k = detectionKey(e.detection);
      if (last.get(k) === i && !wholeLife.has(k)) continue;
    }
    drop(i, true);
  }
  if (plan.freed >= toFree) return plan;

  // 3. Last resort: final states too.
  for (let i = 0; i < queue.length && plan.freed < toFree; i++) {
    if (plan.remove.has(i)) continue;
    const e = queue[i]!.event;
    if (PROTECTED.has(e.type)) continue;
    if (e.type === 'detection') plan.lostFinalState.add(detectionKey(e.detection));
    drop(i, true);
  }
  return plan;
}

/**
 * The gap event for `dropped` events. Each bound enforcement makes its own gap event (never merged
 * into an earlier one, which the server may already have stored under its id).
 */
export function gapEvent(dropped: readonly ReportEvent[], eventId: string, observedAt: string): GapEvent {
  const byType: GapEvent['byType'] = {};
  const tools = new Set<string>();
  let from: string | undefined;
  let to: string | undefined;
  for (const e of dropped) {
    if (e.type === 'gap' || e.type === 'acknowledgement' || e.type === 'exception-request') continue; // never dropped
    byType[e.type] = (byType[e.type] ?? 0) + 1;
    tools.add(e.type === 'detection' ? e.detection.toolId : e.toolId);
    if (!from || Date.parse(e.observedAt) < Date.parse(from)) from = e.observedAt;
    if (!to || Date.parse(e.observedAt) > Date.parse(to)) to = e.observedAt;
  }
  return {
    eventId,
    type: 'gap',
    observedAt,
    reason: 'outbox-full',
    dropped: dropped.length,
    from: from ?? observedAt,
    to: to ?? observedAt,
    byType,
    tools: [...tools].sort().slice(0, 200),
  };
}
