// Compliance: the state of every device x banned tool now or as of any past instant (recomputed
// from the timeline), and one device's timeline with every state change and its cause.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { EdictError } from '../../../../shared/src/errors.js';
import { Timestamp } from '../../../../shared/src/protocol/common.js';
import { READERS, requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { parseInput } from '../validate.js';

const AsOf = z.strictObject({ asOf: Timestamp.optional(), toolId: z.string().max(64).optional() });

export function complianceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const readers = requireRole(ctx.store.tokens, READERS);
  app.get('/compliance', { preHandler: readers }, async (req) => {
    const q = parseInput(AsOf, req.query);
    const asOf = q.asOf ? new Date(q.asOf).toISOString() : undefined;
    const items = [];
    for (const p of (await ctx.store.compliance.statePairs()).filter((x) => !q.toolId || x.toolId === q.toolId)) {
      const device = await ctx.store.devices.get(p.deviceId);
      const state = asOf ? await ctx.store.compliance.stateAsOf(p.deviceId, p.toolId, asOf) : (await ctx.store.compliance.current(p.deviceId, p.toolId))?.state;
      items.push({ deviceId: p.deviceId, hostname: device?.hostname ?? null, toolId: p.toolId, state: state ?? 'clear' });
    }
    return { asOf: asOf ?? new Date().toISOString(), items };
  });
  app.get<{ Params: { id: string } }>('/devices/:id/timeline', { preHandler: readers }, async (req) => {
    if (!(await ctx.store.devices.get(req.params.id))) throw new EdictError('EDICT_ERR_NOT_FOUND', `device ${req.params.id}`);
    const q = parseInput(z.strictObject({ toolId: z.string().max(64).optional() }), req.query);
    return { items: await ctx.store.compliance.timeline(req.params.id, q.toolId) };
  });
}
