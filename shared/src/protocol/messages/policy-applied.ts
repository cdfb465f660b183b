// policy-applied (agent → server): the versions of the three policy parts the agent has verified
// and now enforces. Sent after it applied a part the server pushed; a rollout counts a device as
// delivered only from this confirmation (or from hello, which says the same on reconnect).
import { z } from 'zod';
import { PartVersions } from '../../policy/schema.js';
import { Timestamp } from '../common.js';

export const PolicyApplied = z.strictObject({
  type: z.literal('policy-applied'),
  /** Versions of the parts in force on the agent now. */
  held: PartVersions,
  /** Agent clock when it applied them. */
  appliedAt: Timestamp,
});
export type PolicyApplied = z.infer<typeof PolicyApplied>;
