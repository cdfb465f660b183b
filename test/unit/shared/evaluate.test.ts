// Policy evaluation: zoned effective instants (time zones, daylight-saving gaps) and stages.
import { describe, expect, test } from '@jest/globals';
import { evaluateTool, nextBoundary, stageOf, zonedToInstant } from '../../../shared/src/policy/evaluate.js';
import { PolicySpec, type Policy } from '../../../shared/src/policy/schema.js';

/** A published policy with no notice date (notice from publish) and the given enforce instant. */
function policy(id: string, tools: string[], enforce: string): Policy {
  const spec = PolicySpec.parse({ name: id, tools, reason: { en: 'r' }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'UTC' } } });
  return { ...spec, id, version: 1, publishedAt: '2020-01-01T00:00:00.000Z', instants: { monitor: '2020-01-01T00:00:00.000Z', notice: '2020-01-01T00:00:00.000Z', enforce } };
}
const dev = (toolId: string) => ({ toolId, deviceId: 'dev_1', tags: [] as string[] });

describe('zonedToInstant', () => {
  test('2026-07-10 00:00 Asia/Shanghai is 2026-07-09 16:00 UTC', () => {
    expect(zonedToInstant({ at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai' }).toISOString()).toBe('2026-07-09T16:00:00.000Z');
  });
  test('02:30 on the US spring-forward day (does not exist) moves forward to 03:30 EDT = 07:30 UTC', () => {
    expect(zonedToInstant({ at: '2026-03-08T02:30', timeZone: 'America/New_York' }).toISOString()).toBe('2026-03-08T07:30:00.000Z');
  });
  test('01:30 on the US fall-back day (happens twice) takes the first, EDT = 05:30 UTC', () => {
    expect(zonedToInstant({ at: '2026-11-01T01:30', timeZone: 'America/New_York' }).toISOString()).toBe('2026-11-01T05:30:00.000Z');
  });
  test('an invalid date is an error, not a silent epoch', () => {
    expect(() => zonedToInstant({ at: '2026-02-30T00:00', timeZone: 'UTC' })).toThrow(/invalid zoned time/);
  });
});

describe('stages', () => {
  const p = policy('p1', ['claude-code'], '2026-07-09T16:00:00.000Z');
  test('before the instant: notice; at and after it: enforce', () => {
    expect(stageOf(p, Date.parse('2026-07-09T15:59:59.999Z'))).toBe('notice');
    expect(stageOf(p, Date.parse('2026-07-09T16:00:00.000Z'))).toBe('enforce');
  });
  test('a tool no policy names is none; the strictest policy wins', () => {
    const later = policy('p2', ['claude-code', 'cursor'], '2030-01-01T00:00:00.000Z');
    const at = Date.parse('2027-01-01T00:00:00Z');
    expect(evaluateTool([later, p], dev('claude-code'), at)).toMatchObject({ stage: 'enforce', policy: { id: 'p1' } });
    expect(evaluateTool([later, p], dev('cursor'), at)).toMatchObject({ stage: 'notice', policy: { id: 'p2' } });
    expect(evaluateTool([later, p], dev('qoder'), at)).toEqual({ stage: 'none', action: 'report' });
  });
  test('nextBoundary is the next future effective instant', () => {
    const later = policy('p2', ['cursor'], '2030-01-01T00:00:00.000Z');
    expect(nextBoundary([p, later], Date.parse('2026-01-01T00:00:00Z'))).toBe(Date.parse('2026-07-09T16:00:00.000Z'));
    expect(nextBoundary([p, later], Date.parse('2026-08-01T00:00:00Z'))).toBe(Date.parse('2030-01-01T00:00:00.000Z'));
    expect(nextBoundary([p], Date.parse('2031-01-01T00:00:00Z'))).toBeNull();
  });
});
