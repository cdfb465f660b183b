// heartbeat (agent → server): agent health only: how much is queued, when it last scanned, and
// which collectors could not complete their last look (so "nothing found" from a failed collector
// is never taken for "removed": the server shows these per device).
import { z } from 'zod';
import { Timestamp } from '../common.js';

/** Collectors a heartbeat lists at most (the agent has about a dozen). */
export const MAX_COLLECTOR_ERRORS = 50;

export const CollectorError = z.strictObject({
  /** Collector id, e.g. `python-package`, `process`. */
  collector: z.string().min(1).max(64),
  /** Error code of the first problem: `EACCES`, `EMFILE`, `ETIMEDOUT`… or `error`. */
  code: z.string().min(1).max(64),
  /** The first problem, e.g. `EACCES: permission denied, scandir '/home/ann/.local/lib'`. */
  message: z.string().max(300),
  /** Problems in its last run. */
  count: z.number().int().positive(),
  /** When it started failing (it has failed on every run since). */
  since: Timestamp,
});
export type CollectorError = z.infer<typeof CollectorError>;

export const Heartbeat = z.strictObject({
  type: z.literal('heartbeat'),
  sentAt: Timestamp,
  health: z.strictObject({
    outboxPending: z.number().int().nonnegative(),
    lastScanAt: Timestamp.nullable(),
    uptimeSec: z.number().int().nonnegative(),
    /** Collectors whose last run did not complete (empty when all did). Their earlier findings are kept, never reported absent. */
    collectorErrors: z.array(CollectorError).max(MAX_COLLECTOR_ERRORS),
  }),
});
export type Heartbeat = z.infer<typeof Heartbeat>;
