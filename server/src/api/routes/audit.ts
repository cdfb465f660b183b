// The audit log for auditors: entries (paged, oldest or newest first, filtered by actor, action,
// subject and time), verification of the hash chain and of every signed
// checkpoint, the checkpoints the server made, and a fresh checkpoint to keep outside the server.
import type { FastifyInstance } from 'fastify';
import { EdictError } from '../../../../shared/src/errors.js';
import { parseInstant } from '../../../../shared/src/policy/instant.js';
import type { ApiContext } from '../context.js';
import { Schemas } from '../operations.js';
import { parseInput } from '../validate.js';

export function auditRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/audit', ctx.op('GET /audit'), async (req) => {
    const q = parseInput(Schemas.audit, req.query);
    const from = q.from ? parseInstant(q.from, 'from').toISOString() : undefined;
    const to = q.to ? parseInstant(q.to, 'to').toISOString() : undefined;
    if (q.order === 'asc' && !q.actor && !q.action && !q.subject && !from && !to) {
      const items = await ctx.store.audit.list(q.limit, q.cursor ?? q.after ?? 0);
      return { items, next: items.length === q.limit ? String(items[items.length - 1].seq) : null };
    }
    if (q.order === 'asc') throw new EdictError('EDICT_ERR_VALIDATION', 'order: filters need order=desc (newest first)');
    const items = await ctx.store.audit.search({ limit: q.limit, beforeSeq: q.cursor ?? q.after, actor: q.actor, action: q.action, subject: q.subject, from, to });
    return { items, next: items.length === q.limit ? String(items[items.length - 1].seq) : null };
  });
  app.get('/audit/verify', ctx.op('GET /audit/verify'), async (req, reply) => {
    const q = parseInput(Schemas.auditVerify, req.query);
    if (q.async === 'false') return ctx.audit.verify();
    const r = await ctx.audit.verifyInBackground(q.fresh === 'true');
    if (r.status === 'running') void reply.code(202);
    return r;
  });
  app.get('/audit/checkpoints', ctx.op('GET /audit/checkpoints'), async () => ({ items: await ctx.store.audit.checkpoints() }));
  app.get('/audit/checkpoint', ctx.op('GET /audit/checkpoint'), async () => {
    const c = await ctx.audit.checkpoint(false);
    return c ?? { seq: 0, hash: null, note: 'the audit log is empty' };
  });
}
