// Bearer-token authentication for the REST API and the agent upgrade, and role checks.
// Roles: admin (everything), auditor (read-only), helpdesk (devices and, later, exceptions).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EdictError } from '../../../shared/src/errors.js';
import type { Role, TokenRepo } from '../store/index.js';

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

export interface Caller {
  tokenId: string;
  role: Role;
  /** How the caller appears in the audit log. */
  actor: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

/** A fastify preHandler that admits callers whose token has one of `roles`. */
export function requireRole(tokens: TokenRepo, roles: readonly Role[]) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new EdictError('EDICT_ERR_UNAUTHENTICATED');
    const found = await tokens.findApiToken(token);
    if (!found) throw new EdictError('EDICT_ERR_BAD_CREDENTIAL');
    if (!roles.includes(found.role)) throw new EdictError('EDICT_ERR_FORBIDDEN', `role ${found.role}`);
    req.caller = { tokenId: found.id, role: found.role, actor: `${found.role}:${found.label}` };
  };
}

export const READERS: readonly Role[] = ['admin', 'auditor', 'helpdesk'];
export const ADMINS: readonly Role[] = ['admin'];
