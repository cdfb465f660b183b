// POST /enroll: an agent trades an enrollment token for its own device credential. The token
// use is counted and the device created in one transaction; the credential is shown only here.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PROTOCOL_VERSION } from '../../../../shared/src/protocol/version.js';
import { ShortText } from '../../../../shared/src/protocol/common.js';
import type { ApiContext } from '../context.js';
import { parseInput } from '../validate.js';

const EnrollBody = z.strictObject({ token: z.string().min(1).max(200), hostname: ShortText });

export function enrollRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/enroll', async (req, reply) => {
    const body = parseInput(EnrollBody, req.body);
    const { deviceId, credential } = await ctx.devices.enroll(body.token, body.hostname);
    reply.code(201);
    // The agent pins this key: from now on it accepts only policy bundles signed with it.
    return { deviceId, credential, protocolVersion: PROTOCOL_VERSION, serverTime: new Date().toISOString(), serverPublicKey: ctx.key.publicKeyPem, keyId: ctx.key.keyId };
  });
}
