// Policies: create (published at once and pushed to connected agents), list, show. The catalog is in tools.ts.
import type { FastifyInstance } from 'fastify';
import { EdictError } from '../../../../shared/src/errors.js';
import { PolicySpec } from '../../../../shared/src/policy/schema.js';
import { ADMINS, READERS, requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { parseInput } from '../validate.js';

export function policyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const readers = requireRole(ctx.store.tokens, READERS);
  const admin = requireRole(ctx.store.tokens, ADMINS);
  app.post('/policies', { preHandler: admin }, async (req, reply) => {
    const spec = parseInput(PolicySpec, req.body);
    const policy = ctx.policies.create(spec, req.caller!.actor);
    reply.code(201);
    return policy;
  });
  app.get('/policies', { preHandler: readers }, async () => ({ items: ctx.policies.current().policies, bundleVersion: ctx.policies.current().version }));
  app.get<{ Params: { id: string } }>('/policies/:id', { preHandler: readers }, async (req) => {
    const p = ctx.store.policies.get(req.params.id);
    if (!p) throw new EdictError('EDICT_ERR_NOT_FOUND', `policy ${req.params.id}`);
    return p;
  });
}
