// Compliance reports: GET /reports/compliance as JSON, CSV, printable HTML or a signed evidence
// pack (zip), as of an instant and as known at another; and the same built in the background
// (exports: start, poll, download), which is what the dashboard uses on a large fleet.
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
  app.post('/reports/compliance/exports', ctx.op('POST /reports/compliance/exports'), async (req, reply) => {
    const b = parseInput(Schemas.reportExport, req.body);
    const job = ctx.exports.start({ asOf: b.asOf, knownAt: b.knownAt, policy: b.policy, tool: b.tool, tag: b.tag }, b.format, req.caller!);
    void reply.code(202);
    return job;
  });
  app.get<{ Params: { id: string } }>('/reports/compliance/exports/:id', ctx.op('GET /reports/compliance/exports/{id}'), async (req) => ctx.exports.get(req.params.id, req.caller!.tokenId));
  app.get<{ Params: { id: string } }>('/reports/compliance/exports/:id/file', ctx.op('GET /reports/compliance/exports/{id}/file'), async (req, reply) => {
    const f = ctx.exports.file(req.params.id, req.caller!.tokenId);
    void reply
      .type(f.type)
      .header('content-length', String(f.bytes))
      .header('content-disposition', `attachment; filename="${f.filename}"`)
      .header('cache-control', 'no-store');
    return reply.send(f.stream);
  });
}
