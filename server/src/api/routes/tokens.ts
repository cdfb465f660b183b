// API tokens with roles (admin only): create (the secret is shown once), list (name, role,
// creator, expiry, last use, state), revoke (not the last working admin token).
import type { FastifyInstance } from 'fastify';
import { parseInstant } from '../../../../shared/src/policy/instant.js';
import type { ApiContext } from '../context.js';
import { Schemas } from '../operations.js';
import { pageInMemory } from '../paging.js';
import { parseInput } from '../validate.js';

export function tokenRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/tokens', ctx.op('POST /tokens'), async (req, reply) => {
    const body = parseInput(Schemas.tokenCreate, req.body);
    const created = await ctx.tokens.create({ role: body.role, name: body.name, ...(body.expiresAt ? { expiresAt: parseInstant(body.expiresAt, 'expiresAt') } : {}) }, req.caller!.actor);
    reply.code(201);
    return created;
  });
  app.get('/tokens', ctx.op('GET /tokens'), async (req) => {
    const q = parseInput(Schemas.page, req.query);
    return pageInMemory(await ctx.tokens.list(), q, (t) => `${t.createdAt}|${t.id}`);
  });
  app.delete<{ Params: { id: string } }>('/tokens/:id', ctx.op('DELETE /tokens/{id}'), async (req, reply) => {
    await ctx.tokens.revoke(req.params.id, req.caller!.actor);
    reply.code(204);
  });
}
