// ack (server → agent): the report with this batchId is committed to disk. `accepted` events are
// new; `duplicates` were already stored (a replay). Either way the agent may drop the batch.
import { z } from 'zod';
import { Uuid } from '../common.js';

export const Ack = z.strictObject({
  type: z.literal('ack'),
  batchId: Uuid,
  accepted: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
});
export type Ack = z.infer<typeof Ack>;
