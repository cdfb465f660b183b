// The outbox bound: the pure plan (collapse restated presents first, then the oldest events that
// keep every finding's last state, then the rest; an employee's requests never) and the Outbox on
// a real folder staying under its bound, with one gap event counting what was dropped.
import { afterAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ReportEvent } from '../../../shared/src/protocol/index.js';
import { gapEvent, planBound, type QueuedEvent } from '../../../agent/src/state/outbox-bound.js';
import { Outbox } from '../../../agent/src/state/outbox.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';

afterAll(cleanupTempDirs);

let clock = Date.parse('2026-11-01T00:00:00Z');
const at = () => new Date((clock += 1000)).toISOString();
const det = (state: 'present' | 'absent', p: string, pid?: number): ReportEvent => ({
  eventId: randomUUID(),
  type: 'detection',
  state,
  observedAt: at(),
  stage: 'enforce',
  detection: { toolId: 'claude-code', kind: pid ? 'running' : 'installed', user: 'ann', evidence: { source: pid ? 'process' : 'npm-global', signature: 's', path: p, ...(pid ? { pid } : {}) }, confidence: 0.9 },
});
const ack = (): ReportEvent => ({ eventId: randomUUID(), type: 'acknowledgement', observedAt: at(), toolId: 'claude-code', user: 'ann', stage: 'notice' });
const notice = (): ReportEvent => ({ eventId: randomUUID(), type: 'notice', observedAt: at(), toolId: 'claude-code', user: 'ann', stage: 'notice', reason: 'reminder', locale: 'en', channel: 'freedesktop-dbus', delivered: true });
const q = (events: ReportEvent[]): QueuedEvent[] => events.map((event) => ({ event, bytes: 100 }));

describe('planBound', () => {
  test('collapses a present that only restates a finding, without counting it', () => {
    const events = [det('present', '/a'), det('present', '/a'), det('absent', '/a'), det('present', '/a')];
    const plan = planBound(q(events), 100);
    expect([...plan.remove]).toEqual([1]);
    expect(plan.counted).toEqual([]);
  });

  test("then drops the oldest events that keep every finding's last state, counting them", () => {
    // /old: present then absent (whole life queued) · /kept: present only (its last state) · a notice · an ack
    const events = [det('present', '/old'), det('present', '/kept'), notice(), ack(), det('absent', '/old'), det('present', '/x', 7), det('absent', '/x', 7)];
    const plan = planBound(q(events), 400);
    expect([...plan.remove].sort()).toEqual([0, 2, 4, 5]);
    expect(plan.counted.map((e) => e.eventId)).toEqual([events[0], events[2], events[4], events[5]].map((e) => e!.eventId));
    expect(plan.lostFinalState.size).toBe(0);
  });

  test('last resort: final states too (reported for restatement); acknowledgements and exception requests never', () => {
    const events = [ack(), det('present', '/a'), det('present', '/b'), ack()];
    const plan = planBound(q(events), 1000);
    expect([...plan.remove].sort()).toEqual([1, 2]);
    expect([...plan.lostFinalState].length).toBe(2);
  });

  test('the gap event counts by type and names the period and the tools', () => {
    const dropped = [det('present', '/a'), notice(), det('absent', '/a')];
    const g = gapEvent(dropped, randomUUID(), '2026-11-02T00:00:00.000Z');
    expect(g).toMatchObject({ type: 'gap', reason: 'outbox-full', dropped: 3, from: dropped[0]!.observedAt, to: dropped[2]!.observedAt, byType: { detection: 2, notice: 1 }, tools: ['claude-code'] });
  });
});

describe('Outbox bound on disk', () => {
  const bytesOf = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.json')).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);

  test('stays under maxBytes, keeps every finding still present and the acknowledgements, and queues one gap per enforcement', () => {
    const dir = tempDir();
    const o = new Outbox(dir, undefined, 64 * 1024);
    const acks = [ack(), ack()];
    o.enqueue([det('present', '/steady'), acks[0]!]);
    const gaps: any[] = [];
    for (let round = 0; round < 60; round++) {
      const pid = 1000 + round;
      const r1 = o.enqueue([det('present', `/run${round}`, pid), det('present', `/run${round}b`, pid + 1000)]);
      const r2 = o.enqueue([det('absent', `/run${round}`, pid), det('absent', `/run${round}b`, pid + 1000)]);
      for (const r of [r1, r2]) if (r?.gap) gaps.push(r.gap);
      expect(bytesOf(dir)).toBeLessThanOrEqual(64 * 1024);
    }
    o.enqueue([acks[1]!]);
    const all = o.all().flatMap((b) => b.events);
    expect(gaps.length).toBeGreaterThan(0);
    expect(all.filter((e) => e.type === 'gap').map((e) => e.eventId).sort()).toEqual(gaps.map((g) => g.eventId).sort());
    expect(all.filter((e) => e.type === 'acknowledgement').map((e) => e.eventId)).toEqual(acks.map((a) => a.eventId));
    expect(all.some((e) => e.type === 'detection' && e.detection.evidence.path === '/steady' && e.state === 'present')).toBe(true);
    // What was dropped plus what is queued is everything that was enqueued (nothing silently lost).
    const dropped = gaps.reduce((n, g) => n + g.dropped, 0);
    expect(dropped + all.filter((e) => e.type !== 'gap').length).toBe(2 + 60 * 4 + 1);
    expect(o.pendingEvents()).toBe(all.length);
    expect(new Outbox(dir, undefined, 64 * 1024).pendingBytes).toBe(bytesOf(dir)); // the count survives a restart
  });

  test('the batch in flight is never rewritten', () => {
    const dir = tempDir();
    const o = new Outbox(dir, undefined, 64 * 1024);
    o.enqueue([det('present', '/first', 1), det('absent', '/first', 1)]);
    const inFlight = o.peek()!;
    o.inFlight = inFlight.batchId;
    for (let i = 0; i < 300; i++) o.enqueue([det('present', `/p${i}`, i + 10), det('absent', `/p${i}`, i + 10)]);
    expect(o.all()[0]).toEqual(inFlight);
  });
});
