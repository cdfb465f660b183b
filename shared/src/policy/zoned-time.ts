// Wall-clock time in an IANA zone → UTC instant, the one rule every date in Edict goes through
// (policy validation, publishing, agents, previews), so they can never disagree on an instant.
import { DateTime } from 'luxon';

/**
 * The UTC instant of a wall-clock time in an IANA zone. A time that does not exist (inside a
 * daylight-saving gap) moves forward by the gap, as luxon does: 02:30 on a spring-forward day in
 * America/New_York is 03:30 EDT. An ambiguous time (autumn fall-back) takes its first occurrence.
 */
export function zonedToInstant(z: { at: string; timeZone: string }): Date {
  const dt = DateTime.fromISO(z.at, { zone: z.timeZone });
  if (!dt.isValid) throw new Error(`invalid zoned time ${z.at} ${z.timeZone}: ${dt.invalidExplanation ?? dt.invalidReason}`);
  // luxon resolves an ambiguous wall time to the later offset; a ban should start the first time
  // the wall clock shows it, so look for an earlier instant (by a DST shift) with the same wall time.
  const wall = (ms: number) => DateTime.fromMillis(ms, { zone: z.timeZone }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
  const t = dt.toMillis();
  for (const shiftMs of [3_600_000, 1_800_000]) {
    if (wall(t - shiftMs) === wall(t)) return new Date(t - shiftMs);
  }
  return dt.toJSDate();
}

