// The audit log for auditors: list entries and verify the hash chain.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LIST_MAX_LIMIT } from '../../constants.js';
import { READERS, requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { parseInput } from '../validate.js';

const Query = z.strictObject({
  limit: z.coerce.number().int().min(1).max(LIST_MAX_LIMIT).default(100),
  /** The `next` of the previous page (a sequence number); `after` is the older name for it. */
  cursor: z.coerce.number().int().min(0).optional(),
  after: z.coerce.number().int().min(0).optional(),
});

export function auditRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const readers = requireRole(ctx.store.tokens, READERS);
  app.get('/audit', { preHandler: readers }, async (req) => {
    const q = parseInput(Query, req.query);
    const items = await ctx.store.audit.list(q.limit, q.cursor ?? q.after ?? 0);
    return { items, next: items.length === q.limit ? String(items[items.length - 1].seq) : null };
  });
  app.get('/audit/verify', { preHandler: readers }, async () => ctx.store.audit.verify());
}
