// The audit log for auditors: list entries and verify the hash chain.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LIST_MAX_LIMIT } from '../../constants.js';
import { READERS, requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { parseInput } from '../validate.js';

const Query = z.strictObject({
  limit: z.coerce.number().int().min(1).max(LIST_MAX_LIMIT).default(100),
  after: z.coerce.number().int().min(0).default(0),
});

export function auditRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const readers = requireRole(ctx.store.tokens, READERS);
  app.get('/audit', { preHandler: readers }, async (req) => {
    const q = parseInput(Query, req.query);
    return { items: await ctx.store.audit.list(q.limit, q.after) };
  });
  app.get('/audit/verify', { preHandler: readers }, async () => ctx.store.audit.verify());
}
