// Policy evaluation as pure functions, used unchanged by the agent (offline, on its cached
// bundle) and the server (on receipt of a report), so both ends always agree on the stage.
import { DateTime } from 'luxon';
import type { Stage } from '../protocol/common.js';
import type { Policy, ZonedTime } from './schema.js';

/**
 * The UTC instant of a wall-clock time in an IANA zone. A time that does not exist (inside a
 * daylight-saving gap) moves forward by the gap, as luxon does: 02:30 on a spring-forward day in
 * America/New_York is 03:30 EDT. An ambiguous time (autumn fall-back) takes the earlier offset.
 */
export function zonedToInstant(z: ZonedTime): Date {
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

/** The stage a policy puts its tools in at `atMs` (milliseconds since the epoch, server-corrected). */
export function stageOf(policy: Pick<Policy, 'effectiveInstant'>, atMs: number): Exclude<Stage, 'none'> {
  return atMs >= Date.parse(policy.effectiveInstant) ? 'enforce' : 'notice';
}

export interface ToolVerdict {
  stage: Stage;
  /** The policy that decided the stage (the strictest one naming the tool), if any. */
  policy?: Policy;
}

const RANK: Record<Stage, number> = { none: 0, notice: 1, enforce: 2 };

/** The strictest stage any policy puts `toolId` in at `atMs`. A tool no policy bans is `none`. */
export function evaluateTool(policies: readonly Policy[], toolId: string, atMs: number): ToolVerdict {
  let best: ToolVerdict = { stage: 'none' };
  for (const policy of policies) {
    if (!policy.tools.includes(toolId)) continue;
    const stage = stageOf(policy, atMs);
    if (RANK[stage] > RANK[best.stage]) best = { stage, policy };
  }
  return best;
}

/** Every future instant at which some tool's stage changes: when the agent must re-evaluate. */
export function nextBoundary(policies: readonly Policy[], afterMs: number): number | null {
  let next: number | null = null;
  for (const p of policies) {
    const t = Date.parse(p.effectiveInstant);
    if (t > afterMs && (next === null || t < next)) next = t;
  }
  return next;
}
