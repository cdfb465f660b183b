// Dashboard sessions: an API token (admin, auditor or helpdesk) traded for a session cookie
// (HttpOnly, SameSite=Strict, Secure behind https, expiring with the session), so the browser never
// keeps the token. Every request with the cookie is checked against the session and its token (a
// revoked or expired token ends the session at once, even before the revocation event arrives);
// every write must carry the session's CSRF token in `x-edict-csrf` and, when the browser says
// where it comes from, come from this origin. Sign-in and sign-out are in the audit log.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EdictError } from '../../../shared/src/errors.js';
import { DASHBOARD_SESSION_TTL_MS } from '../constants.js';
import type { Store } from '../store/index.js';
import { authenticate, type Caller, type TokenUsage } from './auth.js';

export const SESSION_COOKIE = 'edict_session';
export const CSRF_HEADER = 'x-edict-csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of one cookie in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface SessionView {
  role: Caller['role'];
  name: string;
  tokenId: string;
  csrfToken: string | null;
  expiresAt: string | null;
  via: 'session' | 'bearer';
}

export class DashboardSessions {
  constructor(
    private readonly store: Store,
    private readonly usage: TokenUsage,
    /** Mark cookies Secure (the server is reached over https, directly or behind a TLS proxy). */
    private readonly secureCookies: boolean,
    private readonly ttlMs = DASHBOARD_SESSION_TTL_MS,
  ) {}

  /** Whether the request carries a session cookie (and no bearer token, which wins). */
  cookieOf(req: FastifyRequest): string | undefined {
    return readCookie(req.headers.cookie, SESSION_COOKIE);
  }

  /** The caller of a request made with a session cookie; writes must pass the CSRF check. */
  async authenticate(req: FastifyRequest, secret: string, now = Date.now()): Promise<Caller> {
    const s = await this.store.sessions.find(secret);
    if (!s || s.endedAt || Date.parse(s.expiresAt) <= now) throw new EdictError('EDICT_ERR_SESSION_ENDED');
    const token = await this.store.tokens.getApiToken(s.tokenId);
    if (!token || token.revokedAt) throw new EdictError('EDICT_ERR_SESSION_ENDED', 'its API token was revoked');
    if (token.expiresAt && Date.parse(token.expiresAt) <= now) throw new EdictError('EDICT_ERR_SESSION_ENDED', 'its API token expired');
    if (!SAFE_METHODS.has(req.method)) this.checkCsrf(req, s.csrf);
    return { tokenId: token.id, role: token.role, name: token.name, actor: `${token.role}:${token.name}`, session: { csrf: s.csrf, expiresAt: s.expiresAt } };
  }

  private checkCsrf(req: FastifyRequest, csrf: string): void {
    const given = req.headers[CSRF_HEADER];
    if (typeof given !== 'string' || !sameText(given, csrf)) throw new EdictError('EDICT_ERR_CSRF', `header ${CSRF_HEADER} missing or wrong`);
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (host !== req.headers.host) throw new EdictError('EDICT_ERR_CSRF', `request from another origin (${origin.slice(0, 100)})`);
    } else if (origin === 'null') {
      throw new EdictError('EDICT_ERR_CSRF', 'request from an opaque origin');
    }
  }

  /** Trades an API token for a session; sets the cookie on the reply. */
  async signIn(req: FastifyRequest, reply: FastifyReply, token: string): Promise<SessionView> {
    // Only a same-origin page signs in (a cross-site form cannot log a victim into the attacker's token).
    const origin = req.headers.origin;
    if (origin !== undefined && (origin === 'null' || safeHost(origin) !== req.headers.host)) throw new EdictError('EDICT_ERR_CSRF', 'sign-in from another origin');
    const caller = await authenticate(this.store.tokens, `Bearer ${token}`);
    const row = (await this.store.tokens.getApiToken(caller.tokenId))!;
    const now = Date.now();
    const expiresMs = Math.min(now + this.ttlMs, row.expiresAt ? Date.parse(row.expiresAt) : Infinity);
    const expiresAt = new Date(expiresMs).toISOString();
    const { secret, csrf } = await this.store.tx(async (r) => {
      const made = await r.sessions.create(caller.tokenId, expiresAt);
      await r.audit.append(caller.actor, 'session.start', caller.tokenId, { expiresAt, userAgent: String(req.headers['user-agent'] ?? '').slice(0, 200) });
      return made;
    });
    this.usage.used(caller.tokenId);
    void reply.header('set-cookie', this.cookie(secret, Math.max(1, Math.floor((expiresMs - now) / 1000))));
    return { role: caller.role, name: caller.name, tokenId: caller.tokenId, csrfToken: csrf, expiresAt, via: 'session' };
  }

  /** Ends the request's session (if it was made with one) and clears the cookie. */
  async signOut(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const secret = this.cookieOf(req);
    if (secret && req.caller?.session) {
      await this.store.tx(async (r) => {
        if (await r.sessions.end(secret, new Date().toISOString())) await r.audit.append(req.caller!.actor, 'session.end', req.caller!.tokenId, {});
      });
    }
    void reply.header('set-cookie', this.cookie('', 0));
  }

  /** A revoked token's sessions end now (they would be refused anyway; this keeps the table honest). */
  async endForToken(tokenId: string): Promise<number> {
    return this.store.sessions.endForToken(tokenId, new Date().toISOString());
  }

  async purgeOld(): Promise<void> {
    await this.store.sessions.purge(new Date(Date.now() - 7 * 86400_000).toISOString());
  }

  private cookie(value: string, maxAgeSec: number): string {
    return `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSec}${this.secureCookies ? '; Secure' : ''}`;
  }
}

function safeHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
