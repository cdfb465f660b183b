// heartbeat: records the agent's health and last-seen time.
import type { Heartbeat } from '../../../../shared/src/protocol/index.js';
import type { Handler } from './index.js';

export const handleHeartbeat: Handler<Heartbeat> = async (ctx, conn, msg) => {
  await ctx.store.devices.recordHeartbeat(conn.deviceId, msg.health);
};
