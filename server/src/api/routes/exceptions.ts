// Exceptions: list (paged, with each device's hostname); grant directly (admin, helpdesk); approve or deny an employee's
// request; revoke. Each decision is audited with its reason, shows in the device's timeline and
// reaches the agent.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { Schemas } from '../operations.js';
import { decodeCursor, page } from '../paging.js';
import { parseInput } from '../validate.js';

export function exceptionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/exceptions', ctx.op('GET /exceptions'), async (req) => {
    const q = parseInput(Schemas.exceptions, req.query);
    const rows = await ctx.store.exceptions.page({ limit: q.limit, after: decodeCursor<[string, string]>(q.cursor, 2), deviceId: q.deviceId, status: q.status });
    const names = await ctx.store.devices.hostnames(rows.map((r) => r.deviceId));
    const p = page(rows, q.limit, (e) => [e.requestedAt, e.id]);
    return { items: p.items.map((e) => ({ ...e, hostname: names[e.deviceId] ?? null })), next: p.next };
  });
  app.post('/exceptions', ctx.op('POST /exceptions'), async (req, reply) => {
    const body = parseInput(Schemas.exceptionGrant, req.body);
    reply.code(201);
    return ctx.exceptions.grant(body, req.caller!.actor);
  });
  app.post<{ Params: { id: string } }>('/exceptions/:id/approve', ctx.op('POST /exceptions/{id}/approve'), async (req) =>
    ctx.exceptions.approve(req.params.id, parseInput(Schemas.exceptionApprove, req.body), req.caller!.actor),
  );
  app.post<{ Params: { id: string } }>('/exceptions/:id/deny', ctx.op('POST /exceptions/{id}/deny'), async (req) =>
    ctx.exceptions.deny(req.params.id, parseInput(Schemas.exceptionDeny, req.body), req.caller!.actor),
  );
  app.post<{ Params: { id: string } }>('/exceptions/:id/revoke', ctx.op('POST /exceptions/{id}/revoke'), async (req) => ctx.exceptions.revoke(req.params.id, req.caller!.actor));
}
