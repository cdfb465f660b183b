// Compliance: the state of every device x banned tool now or as of any past instant (recomputed
// from the timeline), and one device's timeline with every state change and its cause.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { EdictError } from '../../../../shared/src/errors.js';
import { ComplianceState } from '../../../../shared/src/policy/compliance.js';
import { Timestamp } from '../../../../shared/src/protocol/common.js';
import { READERS, requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { decodeCursor, page, PageParams } from '../paging.js';
import { parseInput } from '../validate.js';

const AsOf = z.strictObject({
  ...PageParams,
  asOf: Timestamp.optional(),
  toolId: z.string().max(64).optional(),
  deviceId: z.string().max(64).optional(),
  state: ComplianceState.optional(),
});

export function complianceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const readers = requireRole(ctx.store.tokens, READERS);
  app.get('/compliance', { preHandler: readers }, async (req) => {
    const q = parseInput(AsOf, req.query);
    const asOf = q.asOf ? new Date(q.asOf).toISOString() : undefined;
    const rows = await ctx.store.compliance.list({ limit: q.limit, after: decodeCursor<[string, string]>(q.cursor, 2), toolId: q.toolId, deviceId: q.deviceId, state: q.state, asOf });
    return { asOf: asOf ?? new Date().toISOString(), ...page(rows, q.limit, (r) => [r.deviceId, r.toolId]) };
  });
  app.get<{ Params: { id: string } }>('/devices/:id/timeline', { preHandler: readers }, async (req) => {
    if (!(await ctx.store.devices.get(req.params.id))) throw new EdictError('EDICT_ERR_NOT_FOUND', `device ${req.params.id}`);
    const q = parseInput(z.strictObject({ toolId: z.string().max(64).optional() }), req.query);
    return { items: await ctx.store.compliance.timeline(req.params.id, q.toolId) };
  });
}
