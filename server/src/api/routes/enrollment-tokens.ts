// Enrollment tokens: admins create (the secret is shown once; optional tags that enrolled devices
// inherit), list and revoke them.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { Schemas } from '../operations.js';
import { pageInMemory } from '../paging.js';
import { parseInput } from '../validate.js';

export function enrollmentTokenRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/enrollment-tokens', ctx.op('POST /enrollment-tokens'), async (req, reply) => {
    const body = parseInput(Schemas.enrollmentTokenCreate, req.body);
    const created = await ctx.devices.createEnrollmentToken(body, req.caller!.actor);
    reply.code(201);
    return created;
  });
  app.get('/enrollment-tokens', ctx.op('GET /enrollment-tokens'), async (req) => {
    const q = parseInput(Schemas.page, req.query);
    return pageInMemory(await ctx.store.tokens.listEnrollmentTokens(), q, (t) => `${t.createdAt}|${t.id}`);
  });
  app.delete<{ Params: { id: string } }>('/enrollment-tokens/:id', ctx.op('DELETE /enrollment-tokens/{id}'), async (req, reply) => {
    await ctx.devices.revokeEnrollmentToken(req.params.id, req.caller!.actor);
    reply.code(204);
  });
}
