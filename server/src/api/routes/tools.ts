// The tool catalog: list and show for every role; add/override (PUT, stored as `custom`) and
// delete of custom entries for admins. Every change bumps the bundle version and is pushed to
// connected agents, which use the new signatures without an upgrade.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Tool } from '../../../../shared/src/catalog/schema.js';
import { EdictError } from '../../../../shared/src/errors.js';
import { ADMINS, READERS, requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { pageInMemory, PageParams } from '../paging.js';
import { parseInput } from '../validate.js';

export function toolRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const readers = requireRole(ctx.store.tokens, READERS);
  const admin = requireRole(ctx.store.tokens, ADMINS);
  app.get('/tools', { preHandler: readers }, async (req) => {
    const q = parseInput(z.strictObject(PageParams), req.query);
    return { ...pageInMemory([...ctx.policies.current().catalog], q, (t) => t.id), catalogVersion: ctx.policies.current().version };
  });
  app.get<{ Params: { id: string } }>('/tools/:id', { preHandler: readers }, async (req) => {
    const row = await ctx.store.policies.toolRow(req.params.id);
    if (!row) throw new EdictError('EDICT_ERR_NOT_FOUND', `tool ${req.params.id}`);
    return row;
  });
  app.put<{ Params: { id: string } }>('/tools/:id', { preHandler: admin }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw new EdictError('EDICT_ERR_VALIDATION', 'body must be a tool object');
    if (body.id !== undefined && body.id !== req.params.id) throw new EdictError('EDICT_ERR_VALIDATION', `id: body says ${String(body.id)}, path says ${req.params.id}`);
    const tool = parseInput(Tool, { ...body, id: req.params.id });
    const r = await ctx.policies.putTool(tool, req.caller!.actor);
    reply.code(r.created ? 201 : 200);
    return { tool: r.tool, source: r.source, catalogVersion: ctx.policies.current().version };
  });
  app.delete<{ Params: { id: string } }>('/tools/:id', { preHandler: admin }, async (req) => {
    const r = await ctx.policies.deleteTool(req.params.id, req.caller!.actor);
    return { ...r, catalogVersion: ctx.policies.current().version };
  });
}
