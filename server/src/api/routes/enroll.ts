// POST /enroll: an agent trades an enrollment token for its own device credential. The token
// use is counted and the device created (with the token's tags) in one transaction; the credential
// is shown only here.
import type { FastifyInstance } from 'fastify';
import { PROTOCOL_VERSION } from '../../../../shared/src/protocol/version.js';
import type { ApiContext } from '../context.js';
import { Schemas } from '../operations.js';
import { parseInput } from '../validate.js';

export function enrollRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/enroll', ctx.op('POST /enroll'), async (req, reply) => {
    const body = parseInput(Schemas.enroll, req.body);
    const { deviceId, credential } = await ctx.devices.enroll(body.token, body.hostname);
    reply.code(201);
    // The agent pins this key: from now on it accepts only policy parts signed with it.
    return { deviceId, credential, protocolVersion: PROTOCOL_VERSION, serverTime: new Date().toISOString(), serverPublicKey: ctx.key.publicKeyPem, keyId: ctx.key.keyId };
  });
}
