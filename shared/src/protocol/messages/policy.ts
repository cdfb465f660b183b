// policy (server → agent): one signed part of what the agent enforces: `catalog` (the tool
// catalog), `policies` (the bans in force) or `device` (this device's id, tags and exceptions).
// Sent after hello for each part whose version differs from the one the agent holds, and whenever
// a part changes. The agent verifies the signature against its pinned key, checks the part is not
// older than the one it holds (and, for `device`, that it names this device), then confirms with
// policy-applied.
import { z } from 'zod';
import { PART_NAMES, SignedBundle } from '../../policy/schema.js';

export const PolicyMessage = z.strictObject({
  type: z.literal('policy'),
  /** Which part `signed` holds (the signed text says it too; the two must agree). */
  part: z.enum(PART_NAMES),
  signed: SignedBundle,
});
export type PolicyMessage = z.infer<typeof PolicyMessage>;
