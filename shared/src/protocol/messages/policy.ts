// policy (server → agent): the signed policy bundle for this device: bans in force, the tool
// catalog and the device's exceptions, as exact JSON text plus the server's Ed25519 signature.
// The agent verifies the signature with the key it pinned at enrollment before using anything.
// Sent after welcome when the agent's cached version differs, and pushed whenever it changes.
import { z } from 'zod';
import { SignedBundle } from '../../policy/schema.js';

export const PolicyMessage = z.strictObject({
  type: z.literal('policy'),
  signed: SignedBundle,
});
export type PolicyMessage = z.infer<typeof PolicyMessage>;
