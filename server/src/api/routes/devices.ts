// Devices: list, show (with live connection state and compliance), set tags (policy scope),
// revoke (ends the live connection too).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { EdictError } from '../../../../shared/src/errors.js';
import type { DeviceRow } from '../../store/index.js';
import { ADMINS, READERS, requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { parseInput } from '../validate.js';

export function deviceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const readers = requireRole(ctx.store.tokens, READERS);
  const admin = requireRole(ctx.store.tokens, ADMINS);
  const view = (d: DeviceRow) => ({ ...d, connected: ctx.gateway.registry.isConnected(d.id) });

  app.get('/devices', { preHandler: readers }, async () => ({ items: (await ctx.store.devices.list()).map(view) }));
  app.get<{ Params: { id: string } }>('/devices/:id', { preHandler: readers }, async (req) => {
    const d = await ctx.store.devices.get(req.params.id);
    if (!d) throw new EdictError('EDICT_ERR_NOT_FOUND', `device ${req.params.id}`);
    return view(d);
  });
  app.put<{ Params: { id: string } }>('/devices/:id/tags', { preHandler: admin }, async (req) => {
    const { tags } = parseInput(z.strictObject({ tags: z.array(z.string().min(1).max(64)).max(100) }), req.body);
    if (!(await ctx.store.devices.get(req.params.id))) throw new EdictError('EDICT_ERR_NOT_FOUND', `device ${req.params.id}`);
    // Scope may now match differently: a new bundle for the device and its states, all in one commit.
    await ctx.store.tx(async (r) => {
      await r.devices.setTags(req.params.id, tags);
      await r.audit.append(req.caller!.actor, 'device.tags', req.params.id, { tags });
      await ctx.policies.touchInTx();
      await ctx.compliance.reconcileDevice(req.params.id, new Date().toISOString(), 'device-tags');
    });
    await ctx.policies.refresh([req.params.id]);
    return view((await ctx.store.devices.get(req.params.id))!);
  });
  app.post<{ Params: { id: string } }>('/devices/:id/revoke', { preHandler: admin }, async (req) => {
    const ok = await ctx.store.tx(async (r) => {
      const revoked = await r.devices.revoke(req.params.id);
      if (revoked) await r.audit.append(req.caller!.actor, 'device.revoke', req.params.id);
      return revoked;
    });
    if (!ok) throw new EdictError('EDICT_ERR_NOT_FOUND', `device ${req.params.id} (or already revoked)`);
    ctx.gateway.disconnect(req.params.id, 'EDICT_ERR_DEVICE_REVOKED');
    return view((await ctx.store.devices.get(req.params.id))!);
  });
}
