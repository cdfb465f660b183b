// Compliance reports: GET /reports/compliance as JSON, CSV, printable HTML or a signed evidence
// pack (zip), as of an instant and as known at another.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { Schemas } from '../operations.js';
import { parseInput } from '../validate.js';

const TYPES = { csv: 'text/csv; charset=utf-8', json: 'application/json; charset=utf-8', html: 'text/html; charset=utf-8', zip: 'application/zip' } as const;

export function reportRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/reports/compliance', ctx.op('GET /reports/compliance'), async (req, reply) => {
    const q = parseInput(Schemas.report, req.query);
    const out = await ctx.reports.compliance({ asOf: q.asOf, knownAt: q.knownAt, policy: q.policy, tool: q.tool, tag: q.tag }, q.format, req.caller!.actor);
    const stamp = out.parameters.asOf.replace(/[:.]/g, '-');
    void reply
      .type(TYPES[q.format])
      .header('content-disposition', `attachment; filename="edict-compliance-${stamp}.${q.format}"`)
      .header('cache-control', 'no-store');
    return out.body;
  });
}
