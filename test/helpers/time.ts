// Wall-clock strings for policy stage dates in tests: `zoned(ms)` is { at, timeZone: 'UTC' } for
// an instant, to the second (the policy format allows seconds).
export function zoned(ms: number, timeZone = 'UTC'): { at: string; timeZone: string } {
  if (timeZone !== 'UTC') throw new Error('zoned() builds UTC wall times only');
  const iso = new Date(Math.ceil(ms / 1000) * 1000).toISOString();
  return { at: iso.slice(0, 19), timeZone };
}

/** The instant `zoned(ms)` names. */
export function zonedMs(ms: number): number {
  return Math.ceil(ms / 1000) * 1000;
}
