// policy (server → agent): the full policy bundle in force: bans and the tool catalog they use.
// Sent after welcome when the agent's cached version differs, and pushed whenever it changes.
import { z } from 'zod';
import { PolicyBundle } from '../../policy/schema.js';

export const PolicyMessage = z.strictObject({
  type: z.literal('policy'),
  bundle: PolicyBundle,
});
export type PolicyMessage = z.infer<typeof PolicyMessage>;
