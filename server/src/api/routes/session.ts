// Dashboard sessions: sign in (an API token traded for a session cookie), who am I (role, name, the
// CSRF token the page echoes on writes), sign out. The cookie authenticates every other route under
// the same role table as a bearer token (api/auth.ts guard, api/sessions.ts).
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { Schemas } from '../operations.js';
import { parseInput } from '../validate.js';

export function sessionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/session', ctx.op('POST /session'), async (req, reply) => {
    const { token } = parseInput(Schemas.signIn, req.body);
    const view = await ctx.sessions.signIn(req, reply, token.trim());
    void reply.code(201).header('cache-control', 'no-store');
    return view;
  });
  app.get('/session', ctx.op('GET /session'), async (req, reply) => {
    const c = req.caller!;
    void reply.header('cache-control', 'no-store');
    return { role: c.role, name: c.name, tokenId: c.tokenId, csrfToken: c.session?.csrf ?? null, expiresAt: c.session?.expiresAt ?? null, via: c.session ? 'session' : 'bearer' };
  });
  app.delete('/session', ctx.op('DELETE /session'), async (req, reply) => {
    await ctx.sessions.signOut(req, reply);
    void reply.code(204);
  });
}
