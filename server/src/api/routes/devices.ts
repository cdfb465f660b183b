// Devices: list (paged by hostname; search, tag, OS, compliance state, tool, a ban's scope, last
// seen), show (with live connection state, the
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
    let scope: { devices: string[]; tags: string[] } | undefined;
    let toolIds = q.tool ? [q.tool] : undefined;
    if (q.policy) {
      // The ban's scope and tools as in force (its latest published version), else as drafted.
      const row = await ctx.policies.require(q.policy);
      const spec = ctx.policies.active().find((p) => p.id === q.policy) ?? (await ctx.store.policies.versions(q.policy)).at(-1) ?? row.draft;
      scope = { devices: spec.scope.devices, tags: spec.scope.tags };
      // The state within the ban is over its tools; without a state, every device in its scope.
      if (!toolIds && q.state) toolIds = spec.tools;
    }
    const now = Date.now();
    const rows = await ctx.store.devices.list({
      limit: q.limit,
      after: decodeCursor<[string, string]>(q.cursor, 2),
      search: q.search,
      tag: q.tag,
      platform: q.os,
      state: q.state,
      toolIds,
      scope,
      // A ban counts active devices only; so does its drill-down.
      activeOnly: !!q.policy,
      seenBefore: q.notSeenDays ? new Date(now - q.notSeenDays * 86400_000).toISOString() : undefined,
      seenSince: q.seenWithinDays ? new Date(now - q.seenWithinDays * 86400_000).toISOString() : undefined,
    });
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
