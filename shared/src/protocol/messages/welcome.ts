// welcome (server → agent): answers hello. Carries server time (for the agent's clock offset)
// and the heartbeat cadence.
import { z } from 'zod';
import { Timestamp } from '../common.js';

export const Welcome = z.strictObject({
  type: z.literal('welcome'),
  protocolVersion: z.number().int().positive(),
  deviceId: z.string().min(1).max(64),
  serverTime: Timestamp,
  heartbeatIntervalMs: z.number().int().positive(),
});
export type Welcome = z.infer<typeof Welcome>;
