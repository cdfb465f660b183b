// Turns a zod parse failure on a request into EDICT_ERR_VALIDATION naming every bad field, in the
// message (one line) and as `fields` (path and message each), so a form can show each at its field.
import type { z } from 'zod';
import { EdictError, type FieldError } from '../../../shared/src/errors.js';
import { describeIssues } from '../../../shared/src/protocol/index.js';

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.slice(0, 50).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new EdictError('EDICT_ERR_VALIDATION', describeIssues(r.error), fieldErrors(r.error));
  return r.data;
}
