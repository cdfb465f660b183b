// heartbeat: records the agent's health and last-seen time.
import type { Heartbeat } from '../../../../shared/src/protocol/index.js';
import type { Handler } from './index.js';

export const handleHeartbeat: Handler<Heartbeat> = (ctx, conn, msg) => {
  ctx.store.devices.recordHeartbeat(conn.deviceId, msg.health);
};
