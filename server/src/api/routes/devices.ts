// Devices: list (paged by hostname, searchable, by tag), show (with live connection state, the
// newest presence and the policy parts it confirmed), set tags (policy scope, recorded in the tag
// history), revoke (ends the live connection too).
import type { FastifyInstance } from 'fastify';
import { EdictError } from '../../../../shared/src/errors.js';
import type { DeviceRow } from '../../store/index.js';
import type { ApiContext } from '../context.js';
import { Schemas } from '../operations.js';
import { decodeCursor, page } from '../paging.js';
import { parseInput } from '../validate.js';

export function deviceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const view = (d: DeviceRow) => ({ ...ctx.gateway.presence.overlay(d), connected: ctx.gateway.registry.isConnected(d.id) });

  app.get('/devices', ctx.op('GET /devices'), async (req) => {
    const q = parseInput(Schemas.devices, req.query);
    const rows = await ctx.store.devices.list({ limit: q.limit, after: decodeCursor<[string, string]>(q.cursor, 2), search: q.search, tag: q.tag });
    const p = page(rows, q.limit, (d) => [d.hostname, d.id]);
    return { items: p.items.map(view), next: p.next };
  });
  app.get<{ Params: { id: string } }>('/devices/:id', ctx.op('GET /devices/{id}'), async (req) => {
    const d = await ctx.store.devices.get(req.params.id);
    if (!d) throw new EdictError('EDICT_ERR_NOT_FOUND', `device ${req.params.id}`);
    return { ...view(d), tagHistory: await ctx.store.devices.tagHistory(d.id) };
  });
  app.put<{ Params: { id: string } }>('/devices/:id/tags', ctx.op('PUT /devices/{id}/tags'), async (req) => {
    const { tags } = parseInput(Schemas.tags, req.body);
    return view(await ctx.devices.setTags(req.params.id, tags, req.caller!.actor));
  });
  app.post<{ Params: { id: string } }>('/devices/:id/revoke', ctx.op('POST /devices/{id}/revoke'), async (req) => {
    const d = await ctx.devices.revoke(req.params.id, req.caller!.actor);
    ctx.gateway.disconnect(req.params.id, 'EDICT_ERR_DEVICE_REVOKED');
    return view(d);
  });
}
