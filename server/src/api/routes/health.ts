// GET /health and GET /ready (no authentication: load balancers and `npm start`) and GET /keys (the
// server's public signing key, for verifying policy parts, evidence packs and audit checkpoints
// offline). /ready answers 200 when this node can take agents and admins (its database answers, it
// is not draining) and 503 with the reasons otherwise; /health says the same in its status code.
import type { FastifyInstance } from 'fastify';
import { PROTOCOL_VERSION } from '../../../../shared/src/protocol/version.js';
import type { ApiContext } from '../context.js';

export function healthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const node = () => ({ id: ctx.store.cluster.nodeId, store: ctx.store.kind, leader: ctx.store.cluster.isLeader });
  app.get('/ready', ctx.op('GET /ready'), async (_req, reply) => {
    const ready = ctx.readiness.ready;
    return reply.code(ready ? 200 : 503).send({ ready, reasons: ctx.readiness.reasons(), node: node() });
  });
  app.get('/health', ctx.op('GET /health'), async (_req, reply) => {
    const ready = ctx.readiness.ready;
    return reply.code(ready ? 200 : 503).send({
      ok: true,
      ready,
      reasons: ctx.readiness.reasons(),
      node: node(),
      protocolVersion: PROTOCOL_VERSION,
      versions: ctx.policies.versions(),
      connectedAgents: ctx.gateway.registry.size,
      detail: { ...ctx.gateway.detail(), compliance: { recomputing: await ctx.compliance.recomputing() } },
    });
  });
  app.get('/keys', ctx.op('GET /keys'), async () => ({ items: [{ keyId: ctx.key.keyId, algorithm: 'Ed25519', publicKeyPem: ctx.key.publicKeyPem }] }));
}
