// Compliance, from the recorded state: every device × banned tool now or as of an instant
// (paged), the devices violating a ban now with what is present, and one device's timeline (paged;
// the summary of every ban in force is in overview.ts).
import type { FastifyInstance } from 'fastify';
import { EdictError } from '../../../../shared/src/errors.js';
import { parseInstant } from '../../../../shared/src/policy/instant.js';
import type { ApiContext } from '../context.js';
import { Schemas } from '../operations.js';
import { decodeCursor, page } from '../paging.js';
import { parseInput } from '../validate.js';

export function complianceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/compliance', ctx.op('GET /compliance'), async (req) => {
    const q = parseInput(Schemas.compliance, req.query);
    const asOf = q.asOf ? parseInstant(q.asOf, 'asOf').toISOString() : undefined;
    const rows = await ctx.store.compliance.list({ limit: q.limit, after: decodeCursor<[string, string]>(q.cursor, 2), toolId: q.toolId, deviceId: q.deviceId, state: q.state, asOf });
    return { asOf: asOf ?? new Date().toISOString(), ...page(rows, q.limit, (r) => [r.deviceId, r.toolId]) };
  });
  app.get('/violations', ctx.op('GET /violations'), async (req) => {
    const q = parseInput(Schemas.violations, req.query);
    const rows = await ctx.store.compliance.list({ limit: q.limit, after: decodeCursor<[string, string]>(q.cursor, 2), toolId: q.toolId, deviceId: q.deviceId, state: 'violating' });
    const findings = rows.length ? await ctx.store.detections.currentFindings([...new Set(rows.map((r) => r.deviceId))], [...new Set(rows.map((r) => r.toolId))]) : [];
    const p = page(rows, q.limit, (r) => [r.deviceId, r.toolId]);
    return {
      items: p.items.map((r) => {
        const present = findings.filter((f) => f.deviceId === r.deviceId && f.toolId === r.toolId);
        return { ...r, users: [...new Set(present.map((f) => f.user))].sort(), findings: present.map(({ deviceId: _d, toolId: _t, ...f }) => f) };
      }),
      next: p.next,
    };
  });
  app.get<{ Params: { id: string } }>('/devices/:id/timeline', ctx.op('GET /devices/{id}/timeline'), async (req) => {
    if (!(await ctx.store.devices.get(req.params.id))) throw new EdictError('EDICT_ERR_NOT_FOUND', `device ${req.params.id}`);
    const q = parseInput(Schemas.timeline, req.query);
    const items = await ctx.store.compliance.timeline(req.params.id, q.toolId, { after: decodeCursor<[string, number]>(q.cursor, 2), limit: q.limit });
    return page(items, q.limit, (t) => [t.at, t.seq]);
  });
}
