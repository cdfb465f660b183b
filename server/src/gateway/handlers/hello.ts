// hello: checks the protocol version, notes the device facts and the policy parts the agent holds
// (in memory, written in batches: no fsync per hello), answers welcome, and sends each part whose
// version differs from the one in force, then any exception decision made while it was away.
import { HEARTBEAT_INTERVAL_MS } from '../../../../shared/src/constants.js';
import type { PartName } from '../../../../shared/src/policy/schema.js';
import type { Hello } from '../../../../shared/src/protocol/index.js';
import { PROTOCOL_VERSION } from '../../../../shared/src/protocol/version.js';
import { decisionMessage } from '../decision.js';
import type { Handler } from './index.js';

export const handleHello: Handler<Hello> = async (ctx, conn, msg) => {
  if (msg.protocolVersion !== PROTOCOL_VERSION) {
    conn.fail('EDICT_ERR_PROTOCOL_VERSION', `agent speaks ${msg.protocolVersion}, server speaks ${PROTOCOL_VERSION}`);
    return;
  }
  const { hostname, platform, osRelease, arch } = msg.device;
  ctx.presence.hello(conn.deviceId, { hostname, platform, osRelease, arch, agentVersion: msg.agentVersion }, msg.held);
  conn.helloDone = true;
  if (conn.socket) ctx.caps.greeted(conn.socket);
  ctx.registry.register(conn);
  conn.send({
    type: 'welcome',
    protocolVersion: PROTOCOL_VERSION,
    deviceId: conn.deviceId,
    serverTime: new Date().toISOString(),
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  });
  const v = ctx.policies.versions();
  const device = await ctx.store.devices.get(conn.deviceId);
  const stale: PartName[] = [];
  if (msg.held.catalog !== v.catalog) stale.push('catalog');
  if (msg.held.policies !== v.policies) stale.push('policies');
  if (device && msg.held.device !== device.partVersion) stale.push('device');
  await ctx.fanout.sendNow(conn, stale, device);
  // Decisions on exception requests made while the device was away.
  for (const row of await ctx.store.exceptions.undeliveredDecisions(conn.deviceId)) {
    conn.send(decisionMessage(row));
    await ctx.store.exceptions.markDecisionSent(row.id);
  }
  conn.log.debug({ agentVersion: msg.agentVersion, held: msg.held, sent: stale }, 'agent hello');
};
