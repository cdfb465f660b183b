// hello: checks the protocol version, records device facts, answers welcome, and sends the
// policy bundle when the agent's cached version differs from the one in force.
import { PROTOCOL_VERSION } from '../../../../shared/src/protocol/version.js';
import type { Hello } from '../../../../shared/src/protocol/index.js';
import { HEARTBEAT_INTERVAL_MS } from '../../../../shared/src/constants.js';
import { decisionMessage } from '../decision.js';
import type { Handler } from './index.js';

export const handleHello: Handler<Hello> = async (ctx, conn, msg) => {
  if (msg.protocolVersion !== PROTOCOL_VERSION) {
    conn.fail('EDICT_ERR_PROTOCOL_VERSION', `agent speaks ${msg.protocolVersion}, server speaks ${PROTOCOL_VERSION}`);
    return;
  }
  await ctx.store.devices.recordHello(conn.deviceId, {
    hostname: msg.device.hostname,
    platform: msg.device.platform,
    osRelease: msg.device.osRelease,
    arch: msg.device.arch,
    agentVersion: msg.agentVersion,
    policyVersion: msg.policyVersion,
  });
  conn.helloDone = true;
  ctx.registry.register(conn);
  conn.send({
    type: 'welcome',
    protocolVersion: PROTOCOL_VERSION,
    deviceId: conn.deviceId,
    serverTime: new Date().toISOString(),
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  });
  const version = ctx.policies.version();
  if (msg.policyVersion !== version) {
    conn.send({ type: 'policy', signed: await ctx.policies.bundleFor(conn.deviceId) });
    await ctx.store.devices.recordPolicyVersion(conn.deviceId, version);
  }
  // Decisions on exception requests made while the device was away.
  for (const row of await ctx.store.exceptions.undeliveredDecisions(conn.deviceId)) {
    conn.send(decisionMessage(row));
    await ctx.store.exceptions.markDecisionSent(row.id);
  }
  conn.log.info({ agentVersion: msg.agentVersion, policyVersion: msg.policyVersion }, 'agent hello');
};
