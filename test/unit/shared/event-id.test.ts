// Time-ordered event ids (shared/src/event-id.ts): RFC 9562 version 7, accepted by the protocol's
// UUID schema, ordered by the millisecond they were made, and unique within one millisecond.
import { describe, expect, test } from '@jest/globals';
import { eventId } from '../../../shared/src/event-id.js';
import { Uuid } from '../../../shared/src/protocol/common.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('eventId', () => {
  test('is a version-7 UUID with the RFC variant that the wire schema accepts', () => {
    for (let i = 0; i < 1000; i++) {
      const id = eventId();
      expect(id).toMatch(V7);
      expect(Uuid.safeParse(id).success).toBe(true);
    }
  });

  test('carries the given millisecond in its first 48 bits', () => {
    for (const ms of [0, 1, 0xffff, 0x10000, Date.UTC(2026, 10, 30, 8, 0, 0, 123), 2 ** 48 - 1]) {
      const id = eventId(ms);
      expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(ms);
    }
  });

  test('sorts by the time it was made, as text and as bytes', () => {
    const times = [Date.UTC(2025, 0, 1), Date.UTC(2026, 5, 1), Date.UTC(2026, 5, 1) + 1, Date.UTC(2030, 0, 1)];
    const ids = times.map((t) => eventId(t));
    expect([...ids].sort()).toEqual(ids);
    expect(ids.map((s) => Buffer.from(s.replace(/-/g, ''), 'hex')).sort(Buffer.compare).map((b) => b.toString('hex'))).toEqual(ids.map((s) => s.replace(/-/g, '')));
  });

  test('100,000 ids made in the same millisecond are all different', () => {
    const at = Date.now();
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(eventId(at));
    expect(seen.size).toBe(100_000);
  });
});
