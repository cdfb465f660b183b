// Field schemas reused by several messages: timestamps, ids, detections and their evidence.
// A detection is also what `edict-agent scan --json` prints, so the CLI and the wire agree.
import { z } from 'zod';
import { MAX_PATH_CHARS, MAX_TEXT_CHARS } from '../constants.js';

export const Timestamp = z.iso.datetime({ offset: true });
export const Uuid = z.uuid();
export const ToolId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'tool id: lower-case letters, digits and dashes');
export const ShortText = z.string().min(1).max(200);
export const LongText = z.string().max(MAX_TEXT_CHARS);

export const DetectionKind = z.enum(['installed', 'running', 'usage']);
export type DetectionKind = z.infer<typeof DetectionKind>;

/** What matched and where. Only facts about the catalogued tool itself; never file contents. */
export const Evidence = z.strictObject({
  /** Which collector found it, e.g. `npm-global`, `path`, `process`. */
  source: ShortText,
  /** Which catalog signature matched, e.g. `npm:@anthropic-ai/claude-code`, `process-name:claude`. */
  signature: ShortText,
  path: z.string().max(MAX_PATH_CHARS).optional(),
  version: z.string().max(100).optional(),
  pid: z.number().int().positive().optional(),
  /**
   * SHA-256 of the matched executable, when it was identified by its content (a renamed or copied
   * native binary). Lets an admin check the claim against a vendor release; it is a hash of the
   * tool's own file, never of user data.
   */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /**
   * Container the matched process runs in, as `<runtime>:<short id>` from /proc/<pid>/cgroup
   * (e.g. `docker:3f2a9c01b2d4`). Explains why `path` is a path inside the container's filesystem.
   */
  container: z.string().max(100).optional(),
});
export type Evidence = z.infer<typeof Evidence>;

export const Detection = z.strictObject({
  toolId: ToolId,
  kind: DetectionKind,
  /** OS user that owns the install or runs the process. */
  user: z.string().min(1).max(256),
  evidence: Evidence,
  /** 0..1; how sure the matcher is that this is the tool and not a lookalike. */
  confidence: z.number().min(0).max(1),
});
export type Detection = z.infer<typeof Detection>;

/** Stage a ban is in for one tool, as evaluated from the policies at an instant (`none`: no ban applies). */
export const Stage = z.enum(['none', 'monitor', 'notice', 'enforce', 'hard']);
export type Stage = z.infer<typeof Stage>;

/**
 * Identity of one finding across scans and events: same tool, kind, user and place; for a running
 * copy also the pid, so every process is its own finding (each can be stopped and each ends).
 */
export function detectionKey(d: Detection): string {
  const pid = d.kind === 'running' && d.evidence.pid ? `#${d.evidence.pid}` : '';
  return `${d.toolId}|${d.kind}|${d.user}|${d.evidence.path ?? d.evidence.signature}${pid}`;
}
