// heartbeat (agent → server): agent health only: how much is queued, when it last scanned, and
// which collectors failed in their latest scan (shown on the device's page in the dashboard).
import { z } from 'zod';
import { Timestamp } from '../common.js';

/** Most collector failures one heartbeat carries, and the longest message (a failing collector names what it could not read). */
export const MAX_COLLECTOR_ERRORS = 20;
export const MAX_COLLECTOR_ERROR_CHARS = 300;

export const CollectorError = z.strictObject({
  /** Collector id (e.g. `npm-globals`, `processes`). */
  collector: z.string().min(1).max(64),
  message: z.string().max(MAX_COLLECTOR_ERROR_CHARS),
  /** When the scan that failed finished. */
  at: Timestamp,
});

export const Heartbeat = z.strictObject({
  type: z.literal('heartbeat'),
  sentAt: Timestamp,
  health: z.strictObject({
    outboxPending: z.number().int().nonnegative(),
    lastScanAt: Timestamp.nullable(),
    uptimeSec: z.number().int().nonnegative(),
    /** Collectors that failed in the latest scan of their phase (absent or empty: none failed). */
    collectorErrors: z.array(CollectorError).max(MAX_COLLECTOR_ERRORS).optional(),
  }),
});
export type Heartbeat = z.infer<typeof Heartbeat>;
