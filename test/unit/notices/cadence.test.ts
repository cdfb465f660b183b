// Notice cadence with a fake clock: stage change at once, daily reminders, every 4 h in the last
// three days, at most one per window, silent in monitor / report, silent after acknowledgement
// until the next stage change.
import { describe, expect, test } from '@jest/globals';
import { decideNotice, NoticeState, recordAcknowledged, recordShown, type CadenceInput } from '../../../agent/src/notices/cadence.js';

const H = 3_600_000;
const effective = Date.parse('2026-07-09T16:00:00.000Z');
const at = (ms: number) => new Date(ms);

/** Drives decideNotice hour by hour like the agent loop would, recording every notice shown. */
function simulate(fromMs: number, toMs: number, stepMs: number, stageAt: (ms: number) => CadenceInput['stage'], action: CadenceInput['action'] = 'notify', cadence?: CadenceInput['cadence']) {
  let state: NoticeState | undefined;
  const shown: { at: string; kind: string }[] = [];
  for (let t = fromMs; t <= toMs; t += stepMs) {
    const stage = stageAt(t);
    const d = decideNotice({ state, now: at(t), stage, action, effectiveInstant: new Date(effective).toISOString(), cadence });
    if (d.due) {
      shown.push({ at: at(t).toISOString(), kind: d.kind! });
      state = NoticeState.parse(JSON.parse(JSON.stringify(recordShown(state, stage, at(t))))); // persisted and read back
    }
  }
  return shown;
}

describe('decideNotice', () => {
  test('first notice on stage change, then daily, then every 4 h in the last three days, then the enforce notice', () => {
    const start = effective - 6 * 24 * H;
    const shown = simulate(start, effective + 2 * H, 15 * 60_000, (t) => (t < effective ? 'notice' : 'enforce'));
    const offsets = shown.map((s) => (Date.parse(s.at) - effective) / H);
    // -144 (stage change), -120, -96, -72 (window start), then every 4 h to -4, then 0 (enforce).
    expect(offsets).toEqual([-144, -120, -96, -72, -68, -64, -60, -56, -52, -48, -44, -40, -36, -32, -28, -24, -20, -16, -12, -8, -4, 0]);
    expect(shown[0]!.kind).toBe('stage-change');
    expect(shown.at(-1)!.kind).toBe('stage-change');
    expect(shown.slice(1, -1).every((s) => s.kind === 'reminder')).toBe(true);
  });

  test('a daily reminder that would land inside the window is pulled forward to the window start', () => {
    const last = effective - 80 * H; // 8 h before the window
    const d = decideNotice({ state: { stage: 'notice', lastShownAt: at(last).toISOString() }, now: at(last + H), stage: 'notice', action: 'warn', effectiveInstant: at(effective).toISOString() });
    expect(d).toEqual({ due: false, nextDueAt: at(effective - 72 * H).toISOString(), why: 'waiting' });
  });

  test('policy cadence is honoured, but never faster than the floor', () => {
    const shown = simulate(effective - 30 * 24 * H, effective - 20 * 24 * H, H, () => 'notice', 'notify', { reminderEveryMs: 48 * H });
    expect(shown.length).toBe(6); // days 0,2,4,6,8,10
    const flood = simulate(effective - 30 * 24 * H, effective - 30 * 24 * H + 2 * H, 60_000, () => 'notice', 'notify', { reminderEveryMs: 1000 });
    expect(flood.length).toBe(9); // stage change + one per 15 minutes
  });

  test('silent in monitor stage and for report action', () => {
    expect(simulate(effective - 10 * 24 * H, effective, H, () => 'monitor')).toEqual([]);
    expect(simulate(effective - 10 * 24 * H, effective, H, () => 'notice', 'report')).toEqual([]);
  });

  test('acknowledged: silent until the stage changes, then one notice again', () => {
    const t0 = effective - 5 * 24 * H;
    let state = recordShown(undefined, 'notice', at(t0));
    state = recordAcknowledged(state, 'notice', at(t0 + H));
    const input = { state, stage: 'notice' as const, action: 'warn' as const, effectiveInstant: at(effective).toISOString() };
    expect(decideNotice({ ...input, now: at(t0 + 3 * 24 * H) })).toEqual({ due: false, nextDueAt: null, why: 'acknowledged' });
    const changed = decideNotice({ ...input, stage: 'enforce', now: at(effective) });
    expect(changed).toMatchObject({ due: true, kind: 'stage-change' });
    const after = recordShown(state, 'enforce', at(effective));
    expect(after.acknowledgedAt).toBeUndefined();
    expect(decideNotice({ ...input, state: after, stage: 'enforce', now: at(effective + 25 * H) })).toMatchObject({ due: true, kind: 'reminder' });
  });

  test('a stage flapping back and forth does not flood: stage notices at least 5 minutes apart', () => {
    const state = recordShown(undefined, 'notice', at(effective));
    const d = decideNotice({ state, now: at(effective + 60_000), stage: 'enforce', action: 'notify', effectiveInstant: at(effective).toISOString() });
    expect(d).toEqual({ due: false, nextDueAt: at(effective + 5 * 60_000).toISOString(), why: 'waiting' });
  });

  test('a clock moved back does not silence reminders for long', () => {
    const state = recordShown(undefined, 'notice', at(effective - 10 * H)); // "shown" in the future
    const now = effective - 20 * 24 * H;
    const d = decideNotice({ state, now: at(now), stage: 'notice', action: 'notify', effectiveInstant: at(effective).toISOString() });
    expect(d.nextDueAt).toBe(at(now + 24 * H).toISOString());
  });
});
