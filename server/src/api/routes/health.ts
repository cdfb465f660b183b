// GET /health: liveness and versions, no authentication (for load balancers and `npm start`).
import type { FastifyInstance } from 'fastify';
import { PROTOCOL_VERSION } from '../../../../shared/src/protocol/version.js';
import type { ApiContext } from '../context.js';

export function healthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/health', async () => ({
    ok: true,
    protocolVersion: PROTOCOL_VERSION,
    versions: ctx.policies.versions(),
    connectedAgents: ctx.gateway.registry.size,
    detail: ctx.gateway.detail(),
  }));
}
