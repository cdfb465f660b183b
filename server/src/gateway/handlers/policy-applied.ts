// policy-applied: the agent verified and now enforces these part versions (rollout progress).
import type { PolicyApplied } from '../../../../shared/src/protocol/index.js';
import type { Handler } from './index.js';

export const handlePolicyApplied: Handler<PolicyApplied> = async (ctx, conn, msg) => {
  ctx.presence.confirmed(conn.deviceId, msg.held);
};
