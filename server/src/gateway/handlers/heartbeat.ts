// heartbeat: records the agent's health and last-seen time (in memory, written in batches).
import type { Heartbeat } from '../../../../shared/src/protocol/index.js';
import type { Handler } from './index.js';

export const handleHeartbeat: Handler<Heartbeat> = async (ctx, conn, msg) => {
  ctx.presence.heartbeat(conn.deviceId, msg.health);
};
