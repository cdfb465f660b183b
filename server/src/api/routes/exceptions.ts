// Exceptions: list; grant directly (admin, helpdesk); approve or deny an employee's request;
// revoke. Each decision is audited, shows in the device's timeline and reaches the agent.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MAX_TEXT_CHARS } from '../../../../shared/src/constants.js';
import { Timestamp, ToolId } from '../../../../shared/src/protocol/common.js';
import { requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { decodeCursor, page, PageParams } from '../paging.js';
import { parseInput } from '../validate.js';

const Grant = z.strictObject({
  toolId: ToolId,
  deviceId: z.string().min(1).max(64),
  user: z.string().min(1).max(256).optional(),
  reason: z.string().min(1).max(MAX_TEXT_CHARS),
  expiresAt: Timestamp,
});
const Approve = z.strictObject({ expiresAt: Timestamp, note: z.string().max(MAX_TEXT_CHARS).optional() });
const Deny = z.strictObject({ note: z.string().max(MAX_TEXT_CHARS).optional() });
const Query = z.strictObject({
  ...PageParams,
  deviceId: z.string().max(64).optional(),
  status: z.enum(['requested', 'granted', 'denied', 'revoked', 'expired']).optional(),
});

export function exceptionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const readers = requireRole(ctx.store.tokens, ['admin', 'auditor', 'helpdesk']);
  const deciders = requireRole(ctx.store.tokens, ['admin', 'helpdesk']);
  app.get('/exceptions', { preHandler: readers }, async (req) => {
    const q = parseInput(Query, req.query);
    const rows = await ctx.store.exceptions.page({ limit: q.limit, after: decodeCursor<[string, string]>(q.cursor, 2), deviceId: q.deviceId, status: q.status });
    return page(rows, q.limit, (e) => [e.requestedAt, e.id]);
  });
  app.post('/exceptions', { preHandler: deciders }, async (req, reply) => {
    const body = parseInput(Grant, req.body);
    reply.code(201);
    return ctx.exceptions.grant(body, req.caller!.actor);
  });
  app.post<{ Params: { id: string } }>('/exceptions/:id/approve', { preHandler: deciders }, async (req) =>
    ctx.exceptions.approve(req.params.id, parseInput(Approve, req.body), req.caller!.actor),
  );
  app.post<{ Params: { id: string } }>('/exceptions/:id/deny', { preHandler: deciders }, async (req) =>
    ctx.exceptions.deny(req.params.id, parseInput(Deny, req.body), req.caller!.actor),
  );
  app.post<{ Params: { id: string } }>('/exceptions/:id/revoke', { preHandler: deciders }, async (req) => ctx.exceptions.revoke(req.params.id, req.caller!.actor));
}
