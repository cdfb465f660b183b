// The overview: GET /summary (every ban in force with its counts, kept and recomputed only when
// something moved), the same as Server-Sent Events for the dashboard (pushed on every change,
// ended when the session ends), and a ban's burn-down from the daily rollup.
import type { FastifyInstance } from 'fastify';
import { EdictError } from '../../../../shared/src/errors.js';
import { banZone } from '../../dashboard/rollup.js';
import type { ApiContext } from '../context.js';
import { Schemas } from '../operations.js';
import { parseInput } from '../validate.js';

/** A comment line every so often keeps proxies from closing an idle stream. */
const STREAM_KEEPALIVE_MS = 15_000;

export function overviewRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/summary', ctx.op('GET /summary'), async (req) => {
    const q = parseInput(Schemas.summary, req.query);
    return ctx.overview.get(q.staleDays);
  });

  app.get('/summary/stream', ctx.op('GET /summary/stream'), async (req, reply) => {
    const q = parseInput(Schemas.summary, req.query);
    const caller = req.caller!;
    const secret = ctx.sessions.cookieOf(req);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': edict overview\nretry: 2000\n\n');
    let open = true;
    const end = () => {
      if (!open) return;
      open = false;
      clearInterval(keepalive);
      unsubscribe();
      res.end();
    };
    // Still allowed? The session (or token) may have ended since the stream began.
    const valid = async () => {
      if (caller.session && secret) {
        const s = await ctx.store.sessions.find(secret);
        if (!s || s.endedAt || Date.parse(s.expiresAt) <= Date.now()) return false;
      }
      const t = await ctx.store.tokens.getApiToken(caller.tokenId);
      return !!t && !t.revokedAt && !(t.expiresAt && Date.parse(t.expiresAt) <= Date.now());
    };
    const unsubscribe = ctx.overview.subscribe(q.staleDays, (o) => open && res.write(`event: summary\ndata: ${JSON.stringify(o)}\n\n`), valid, () => {
      if (open) res.write('event: ended\ndata: {}\n\n');
      end();
    });
    const keepalive = setInterval(() => open && res.write(': keep-alive\n\n'), STREAM_KEEPALIVE_MS);
    keepalive.unref();
    req.raw.once('close', end);
  });

  app.get<{ Params: { id: string } }>('/policies/:id/burndown', ctx.op('GET /policies/{id}/burndown'), async (req) => {
    const row = await ctx.policies.require(req.params.id);
    const versions = await ctx.store.policies.versions(row.id);
    const latest = versions.at(-1);
    if (!latest) throw new EdictError('EDICT_ERR_NOT_FOUND', `policy ${row.id} was never published`);
    const days = await ctx.store.rollups.series(row.id);
    return { policyId: row.id, timeZone: banZone(latest), firstPublishedAt: versions[0].publishedAt, days: days.map(({ policyId: _p, ...d }) => d) };
  });
}
