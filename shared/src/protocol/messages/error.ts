// error (server → agent): a stable error code from the catalogue (docs/errors.md). When the code
// has a WebSocket close code, the server closes the connection right after sending it.
import { z } from 'zod';
import { LongText } from '../common.js';

export const ErrorMessage = z.strictObject({
  type: z.literal('error'),
  code: z.string().regex(/^EDICT_ERR_[A-Z_]+$/),
  message: LongText,
  /** The batchId or message type the error is about, when there is one. */
  ref: z.string().max(100).optional(),
});
export type ErrorMessage = z.infer<typeof ErrorMessage>;
