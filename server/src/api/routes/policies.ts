// Policies: drafts are created and edited; publish freezes a numbered version (carried to agents
// by a new policies part, fanned out off the request path); preview shows the impact of a draft
// before publishing; rollout says how far the latest version got; retire ends a policy.
import type { FastifyInstance } from 'fastify';
import { previewDraft } from '../../compliance/preview.js';
import type { PolicyRow } from '../../store/index.js';
import type { ApiContext } from '../context.js';
import { Schemas } from '../operations.js';
import { pageInMemory } from '../paging.js';
import { parseInput } from '../validate.js';

export function policyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const view = (row: PolicyRow) => ({ ...row, published: ctx.policies.active().find((p) => p.id === row.id) ?? null });

  app.post('/policies', ctx.op('POST /policies'), async (req, reply) => {
    const spec = parseInput(Schemas.policySpec, req.body);
    reply.code(201);
    return view(await ctx.policies.createDraft(spec, req.caller!.actor));
  });
  app.put<{ Params: { id: string } }>('/policies/:id', ctx.op('PUT /policies/{id}'), async (req) => {
    const spec = parseInput(Schemas.policySpec, req.body);
    return view(await ctx.policies.updateDraft(req.params.id, spec, req.caller!.actor));
  });
  app.post<{ Params: { id: string } }>('/policies/:id/publish', ctx.op('POST /policies/{id}/publish'), async (req) => {
    // Answers at once: the new policies part reaches agents through the paced fan-out, and devices
    // with the tool present change state from the publish instant (a recompute queued in the same
    // transaction as the publish, run right after, off the request path).
    const policy = await ctx.policies.publish(req.params.id, req.caller!.actor);
    ctx.compliance.kick();
    ctx.rollup.kick();
    return { ...policy, rolloutId: `${policy.id}@${policy.version}` };
  });
  app.post<{ Params: { id: string } }>('/policies/:id/retire', ctx.op('POST /policies/{id}/retire'), async (req) => {
    await ctx.policies.retire(req.params.id, req.caller!.actor);
    ctx.compliance.kick();
    return view(await ctx.policies.require(req.params.id));
  });
  app.get<{ Params: { id: string } }>('/policies/:id/preview', ctx.op('GET /policies/{id}/preview'), async (req, reply) => {
    const q = parseInput(Schemas.preview, req.query);
    if (q.async === 'false') return previewDraft(ctx.store, ctx.policies, ctx.compliance, req.params.id, { devicesLimit: q.devicesLimit });
    const r = await ctx.previews.get(req.params.id, q.devicesLimit);
    if (r.status === 'running') void reply.code(202);
    return r;
  });
  app.get<{ Params: { id: string } }>('/policies/:id/rollout', ctx.op('GET /policies/{id}/rollout'), async (req) => ctx.rollouts.progress(req.params.id));
  app.get('/policies', ctx.op('GET /policies'), async (req) => {
    const q = parseInput(Schemas.page, req.query);
    const p = pageInMemory(await ctx.store.policies.list(), q, (r) => `${r.createdAt}|${r.id}`);
    return { items: p.items.map(view), next: p.next, policiesVersion: ctx.policies.versions().policies };
  });
  app.get<{ Params: { id: string } }>('/policies/:id', ctx.op('GET /policies/{id}'), async (req) => ({
    ...view(await ctx.policies.require(req.params.id)),
    versions: await ctx.store.policies.versions(req.params.id),
  }));
}
