// Enrollment tokens: admins create (the secret is shown once), list and revoke them.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ENROLLMENT_TOKEN_DEFAULT_MAX_USES, ENROLLMENT_TOKEN_DEFAULT_TTL_HOURS } from '../../constants.js';
import { ADMINS, requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { pageInMemory, PageParams } from '../paging.js';
import { parseInput } from '../validate.js';

const CreateBody = z.strictObject({
  label: z.string().min(1).max(200).default('enrollment'),
  ttlHours: z.number().int().min(1).max(24 * 365).default(ENROLLMENT_TOKEN_DEFAULT_TTL_HOURS),
  maxUses: z.number().int().min(1).max(1_000_000).default(ENROLLMENT_TOKEN_DEFAULT_MAX_USES),
});

export function enrollmentTokenRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const admin = requireRole(ctx.store.tokens, ADMINS);
  app.post('/enrollment-tokens', { preHandler: admin }, async (req, reply) => {
    const body = parseInput(CreateBody, req.body);
    const created = await ctx.devices.createEnrollmentToken(body, req.caller!.actor);
    reply.code(201);
    return created;
  });
  app.get('/enrollment-tokens', { preHandler: admin }, async (req) => {
    const q = parseInput(z.strictObject(PageParams), req.query);
    return pageInMemory(await ctx.store.tokens.listEnrollmentTokens(), q, (t) => `${t.createdAt}|${t.id}`);
  });
  app.delete<{ Params: { id: string } }>('/enrollment-tokens/:id', { preHandler: admin }, async (req, reply) => {
    await ctx.devices.revokeEnrollmentToken(req.params.id, req.caller!.actor);
    reply.code(204);
  });
}
