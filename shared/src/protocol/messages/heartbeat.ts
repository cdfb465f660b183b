// heartbeat (agent → server): agent health only: how much is queued and when it last scanned.
import { z } from 'zod';
import { Timestamp } from '../common.js';

export const Heartbeat = z.strictObject({
  type: z.literal('heartbeat'),
  sentAt: Timestamp,
  health: z.strictObject({
    outboxPending: z.number().int().nonnegative(),
    lastScanAt: Timestamp.nullable(),
    uptimeSec: z.number().int().nonnegative(),
  }),
});
export type Heartbeat = z.infer<typeof Heartbeat>;
