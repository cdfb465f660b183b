// exception-decision (server → agent): an admin's answer to an employee's exception request, so
// the agent can tell the employee. A granted exception also arrives in the next policy bundle,
// which is what the agent enforces from.
import { z } from 'zod';
import { MAX_TEXT_CHARS } from '../../constants.js';
import { Timestamp, ToolId, Uuid } from '../common.js';

export const ExceptionDecision = z.strictObject({
  type: z.literal('exception-decision'),
  /** eventId of the exception-request event this answers. */
  requestId: Uuid,
  toolId: ToolId,
  user: z.string().min(1).max(256),
  granted: z.boolean(),
  /** The approver's note (why granted or denied). */
  note: z.string().max(MAX_TEXT_CHARS).optional(),
  expiresAt: Timestamp.optional(),
});
export type ExceptionDecision = z.infer<typeof ExceptionDecision>;
