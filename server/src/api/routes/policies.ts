// Policies: drafts are created and edited; publish freezes a numbered version (signed into every
// device's bundle and pushed at once); preview shows the impact of a draft before publishing;
// retire ends a policy. Listing shows each policy's draft, status and latest published version.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PolicySpec } from '../../../../shared/src/policy/schema.js';
import { previewDraft } from '../../compliance/preview.js';
import type { PolicyRow } from '../../store/index.js';
import { ADMINS, READERS, requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { pageInMemory, PageParams } from '../paging.js';
import { parseInput } from '../validate.js';

export function policyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const readers = requireRole(ctx.store.tokens, READERS);
  const admin = requireRole(ctx.store.tokens, ADMINS);
  const view = (row: PolicyRow) => ({ ...row, published: ctx.policies.active().find((p) => p.id === row.id) ?? null });

  app.post('/policies', { preHandler: admin }, async (req, reply) => {
    const spec = parseInput(PolicySpec, req.body);
    reply.code(201);
    return view(await ctx.policies.createDraft(spec, req.caller!.actor));
  });
  app.put<{ Params: { id: string } }>('/policies/:id', { preHandler: admin }, async (req) => {
    const spec = parseInput(PolicySpec, req.body);
    return view(await ctx.policies.updateDraft(req.params.id, spec, req.caller!.actor));
  });
  app.post<{ Params: { id: string } }>('/policies/:id/publish', { preHandler: admin }, async (req) => {
    // Answers at once: the new policies part reaches agents through the paced fan-out, and devices
    // with the tool present change state from the publish instant (a recompute queued in the same
    // transaction as the publish, run right after, off the request path).
    const policy = await ctx.policies.publish(req.params.id, req.caller!.actor);
    ctx.compliance.kick();
    return { ...policy, rolloutId: `${policy.id}@${policy.version}` };
  });
  app.post<{ Params: { id: string } }>('/policies/:id/retire', { preHandler: admin }, async (req) => {
    await ctx.policies.retire(req.params.id, req.caller!.actor);
    ctx.compliance.kick();
    return view(await ctx.policies.require(req.params.id));
  });
  app.get<{ Params: { id: string } }>('/policies/:id/preview', { preHandler: readers }, async (req) => {
    return previewDraft(ctx.store, ctx.policies, ctx.compliance, req.params.id);
  });
  app.get('/policies', { preHandler: readers }, async (req) => {
    const q = parseInput(z.strictObject(PageParams), req.query);
    const p = pageInMemory(await ctx.store.policies.list(), q, (r) => `${r.createdAt}|${r.id}`);
    return { items: p.items.map(view), next: p.next, policiesVersion: ctx.policies.versions().policies };
  });
  app.get<{ Params: { id: string } }>('/policies/:id/rollout', { preHandler: readers }, async (req) => ctx.rollouts.progress(req.params.id));
  app.get('/summary', { preHandler: readers }, async () => ctx.rollouts.summary());
  app.get<{ Params: { id: string } }>('/policies/:id', { preHandler: readers }, async (req) => ({
    ...view(await ctx.policies.require(req.params.id)),
    versions: await ctx.store.policies.versions(req.params.id),
  }));
}
