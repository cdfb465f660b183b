// Who is calling, and may they? A bearer API token (admin / auditor / helpdesk) is looked up by
// its hash (or a dashboard session cookie made from one, api/sessions.ts); a revoked or expired one is refused with its own code; the role must be one the
// operation's entry in operations.ts allows. Last use is noted in memory and written in batches.
// The agent upgrade uses bearerToken() for its device credential (a device credential is never an
// API token, and the reverse).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EdictError } from '../../../shared/src/errors.js';
import type { Role, TokenRepo } from '../store/index.js';
import { OPERATIONS, type OperationKey } from './operations.js';

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

export interface Caller {
  tokenId: string;
  role: Role;
  name: string;
  /** How the caller appears in the audit log: role and token name. */
  actor: string;
  /** Set when the request came with a dashboard session cookie instead of a bearer token. */
  session?: { csrf: string; expiresAt: string };
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

/** Last use of each token, kept in memory and written every few seconds (no write per request). */
export class TokenUsage {
  private pending = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly tokens: TokenRepo,
    flushEveryMs = 10_000,
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), flushEveryMs);
    this.timer.unref();
  }

  used(id: string): void {
    this.pending.set(id, new Date().toISOString());
  }

  /** A use not written yet (token lists show it). */
  lastUse(id: string): string | undefined {
    return this.pending.get(id);
  }

  async flush(): Promise<void> {
    if (!this.pending.size) return;
    const batch = [...this.pending].map(([id, at]) => ({ id, at }));
    this.pending = new Map();
    await this.tokens.recordApiTokenUse(batch);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

/** Resolves a bearer API token to its caller, or throws the documented error. */
export async function authenticate(tokens: TokenRepo, header: string | undefined, now = Date.now()): Promise<Caller> {
  const token = bearerToken(header);
  if (!token) throw new EdictError('EDICT_ERR_UNAUTHENTICATED');
  const row = await tokens.findApiToken(token);
  if (!row) throw new EdictError('EDICT_ERR_BAD_CREDENTIAL');
  if (row.revokedAt) throw new EdictError('EDICT_ERR_TOKEN_REVOKED', `token ${row.name} was revoked at ${row.revokedAt}`);
  if (row.expiresAt && Date.parse(row.expiresAt) <= now) throw new EdictError('EDICT_ERR_TOKEN_EXPIRED', `token ${row.name} expired at ${row.expiresAt}`);
  return { tokenId: row.id, role: row.role, name: row.name, actor: `${row.role}:${row.name}` };
}

/** How a request made with a dashboard session cookie is authenticated (api/sessions.ts). */
export interface SessionAuthenticator {
  cookieOf(req: FastifyRequest): string | undefined;
  authenticate(req: FastifyRequest, secret: string): Promise<Caller>;
}

/**
 * The role check of one operation, as a fastify preHandler (the roles come from operations.ts). The
 * caller is a bearer API token, or else a dashboard session cookie (its writes CSRF-checked); the
 * same role table applies to both.
 */
export function guard(tokens: TokenRepo, usage: TokenUsage, op: OperationKey, sessions?: SessionAuthenticator) {
  const access = OPERATIONS[op].access;
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (access === 'public' || access === 'enrollment') return;
    const cookie = req.headers.authorization === undefined ? sessions?.cookieOf(req) : undefined;
    const caller = cookie !== undefined && sessions ? await sessions.authenticate(req, cookie) : await authenticate(tokens, req.headers.authorization);
    if (!(access as readonly Role[]).includes(caller.role)) throw new EdictError('EDICT_ERR_FORBIDDEN', `role ${caller.role} may not ${op}`);
    usage.used(caller.tokenId);
    req.caller = caller;
  };
}
