// Turns a zod parse failure on a request into EDICT_ERR_VALIDATION naming every bad field.
import type { z } from 'zod';
import { EdictError } from '../../../shared/src/errors.js';
import { describeIssues } from '../../../shared/src/protocol/index.js';

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new EdictError('EDICT_ERR_VALIDATION', describeIssues(r.error));
  return r.data;
}
