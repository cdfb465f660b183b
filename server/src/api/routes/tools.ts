// The tool catalog: list and show for every role; add/override (PUT, stored as `custom`) and
// delete of custom entries for admins. Every change raises the catalog part version and reaches
// connected agents, which use the new signatures without an upgrade.
import type { FastifyInstance } from 'fastify';
import { EdictError } from '../../../../shared/src/errors.js';
import type { ApiContext } from '../context.js';
import { Schemas } from '../operations.js';
import { pageInMemory } from '../paging.js';
import { parseInput } from '../validate.js';

export function toolRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/tools', ctx.op('GET /tools'), async (req) => {
    const q = parseInput(Schemas.page, req.query);
    const p = pageInMemory([...ctx.policies.current().catalog], q, (t) => t.id);
    // Built-in or custom (an admin's addition or override), for each tool of the page.
    const items = await Promise.all(p.items.map(async (t) => ({ ...t, source: (await ctx.store.policies.toolRow(t.id))?.source ?? 'builtin' })));
    return { items, next: p.next, catalogVersion: ctx.policies.current().version };
  });
  app.get<{ Params: { id: string } }>('/tools/:id', ctx.op('GET /tools/{id}'), async (req) => {
    const row = await ctx.store.policies.toolRow(req.params.id);
    if (!row) throw new EdictError('EDICT_ERR_NOT_FOUND', `tool ${req.params.id}`);
    return row;
  });
  app.put<{ Params: { id: string } }>('/tools/:id', ctx.op('PUT /tools/{id}'), async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw new EdictError('EDICT_ERR_VALIDATION', 'body must be a tool object');
    if (body.id !== undefined && body.id !== req.params.id) throw new EdictError('EDICT_ERR_VALIDATION', `id: body says ${String(body.id)}, path says ${req.params.id}`);
    const tool = parseInput(Schemas.tool, { ...body, id: req.params.id });
    const r = await ctx.policies.putTool(tool, req.caller!.actor);
    reply.code(r.created ? 201 : 200);
    return { tool: r.tool, source: r.source, catalogVersion: ctx.policies.current().version };
  });
  app.delete<{ Params: { id: string } }>('/tools/:id', ctx.op('DELETE /tools/{id}'), async (req) => {
    const r = await ctx.policies.deleteTool(req.params.id, req.caller!.actor);
    return { ...r, catalogVersion: ctx.policies.current().version };
  });
}
