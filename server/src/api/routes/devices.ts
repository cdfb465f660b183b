// Devices: list (paged by hostname, searchable, by tag), show (with live connection state, the
// newest presence and the policy parts it confirmed), set tags (policy scope), revoke (ends the
// live connection too).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { EdictError } from '../../../../shared/src/errors.js';
import type { DeviceRow } from '../../store/index.js';
import { ADMINS, READERS, requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { decodeCursor, page, PageParams } from '../paging.js';
import { parseInput } from '../validate.js';

export function deviceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const readers = requireRole(ctx.store.tokens, READERS);
  const admin = requireRole(ctx.store.tokens, ADMINS);
  const view = (d: DeviceRow) => ({ ...ctx.gateway.presence.overlay(d), connected: ctx.gateway.registry.isConnected(d.id) });
  const Query = z.strictObject({ ...PageParams, search: z.string().min(1).max(200).optional(), tag: z.string().min(1).max(64).optional() });

  app.get('/devices', { preHandler: readers }, async (req) => {
    const q = parseInput(Query, req.query);
    const rows = await ctx.store.devices.list({ limit: q.limit, after: decodeCursor<[string, string]>(q.cursor, 2), search: q.search, tag: q.tag });
    const p = page(rows, q.limit, (d) => [d.hostname, d.id]);
    return { items: p.items.map(view), next: p.next };
  });
  app.get<{ Params: { id: string } }>('/devices/:id', { preHandler: readers }, async (req) => {
    const d = await ctx.store.devices.get(req.params.id);
    if (!d) throw new EdictError('EDICT_ERR_NOT_FOUND', `device ${req.params.id}`);
    return view(d);
  });
  app.put<{ Params: { id: string } }>('/devices/:id/tags', { preHandler: admin }, async (req) => {
    const { tags } = parseInput(z.strictObject({ tags: z.array(z.string().min(1).max(64)).max(100) }), req.body);
    return view(await ctx.devices.setTags(req.params.id, tags, req.caller!.actor));
  });
  app.post<{ Params: { id: string } }>('/devices/:id/revoke', { preHandler: admin }, async (req) => {
    const d = await ctx.devices.revoke(req.params.id, req.caller!.actor);
    ctx.gateway.disconnect(req.params.id, 'EDICT_ERR_DEVICE_REVOKED');
    return view(d);
  });
}
