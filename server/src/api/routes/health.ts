// GET /health (no authentication: load balancers and `npm start`) and GET /keys (the server's
// public signing key, for verifying policy parts, evidence packs and audit checkpoints offline).
import type { FastifyInstance } from 'fastify';
import { PROTOCOL_VERSION } from '../../../../shared/src/protocol/version.js';
import type { ApiContext } from '../context.js';

export function healthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/health', ctx.op('GET /health'), async () => ({
    ok: true,
    protocolVersion: PROTOCOL_VERSION,
    versions: ctx.policies.versions(),
    connectedAgents: ctx.gateway.registry.size,
    detail: ctx.gateway.detail(),
  }));
  app.get('/keys', ctx.op('GET /keys'), async () => ({ items: [{ keyId: ctx.key.keyId, algorithm: 'Ed25519', publicKeyPem: ctx.key.publicKeyPem }] }));
}
