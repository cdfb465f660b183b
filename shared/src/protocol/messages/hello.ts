// hello (agent → server): the first message on every connection. Says which protocol the agent
// speaks, the device facts policy needs, and which policy bundle it already holds.
import { z } from 'zod';
import { PartVersions } from '../../policy/schema.js';
import { ShortText, Timestamp } from '../common.js';

export const Hello = z.strictObject({
  type: z.literal('hello'),
  protocolVersion: z.number().int().positive(),
  agentVersion: ShortText,
  device: z.strictObject({
    hostname: ShortText,
    platform: z.enum(['linux', 'darwin', 'win32', 'other']),
    osRelease: ShortText,
    arch: ShortText,
  }),
  /** Versions of the policy parts the agent holds (verified, on disk); null for a part it has none of. */
  held: PartVersions,
  /** Agent's clock at send time; the server answers with its own so the agent can measure its offset. */
  sentAt: Timestamp,
});
export type Hello = z.infer<typeof Hello>;
