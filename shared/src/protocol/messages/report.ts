// report (agent → server): a batch of detection events from the agent's durable outbox. Each
// event has a unique id made by the agent; the server stores each id once, so a batch replayed
// after a lost ack changes nothing. The server answers with ack only after the batch is committed.
import { z } from 'zod';
import { MAX_EVENTS_PER_REPORT } from '../../constants.js';
import { Detection, Stage, Timestamp, Uuid } from '../common.js';

export const DetectionEvent = z.strictObject({
  eventId: Uuid,
  type: z.literal('detection'),
  /** `present`: the tool was found; `absent`: a detection reported before is gone. */
  state: z.enum(['present', 'absent']),
  /** When the agent observed it, on the agent's server-corrected clock. */
  observedAt: Timestamp,
  /** Stage the agent evaluated locally from its cached policy at observedAt. */
  stage: Stage,
  detection: Detection,
});
export type DetectionEvent = z.infer<typeof DetectionEvent>;

export const Report = z.strictObject({
  type: z.literal('report'),
  batchId: Uuid,
  events: z.array(DetectionEvent).min(1).max(MAX_EVENTS_PER_REPORT),
});
export type Report = z.infer<typeof Report>;
