// API tokens with roles: created by an admin (the secret is shown once and stored as a hash),
// listed with their name, creator, expiry and last use, revoked (which also ends the dashboard
// sessions made from them). The last working admin token cannot be revoked, so nobody locks the
// organisation out. Every action is in the audit log under the acting token's name.
import { EventEmitter } from 'node:events';
import { EdictError } from '../../../shared/src/errors.js';
import type { ApiTokenRow, Role, Store } from '../store/index.js';
import type { TokenUsage } from '../api/auth.js';

export class TokenService extends EventEmitter<{ revoked: [string] }> {
  constructor(
    private readonly store: Store,
    private readonly usage: TokenUsage,
  ) {
    super();
  }

  async create(input: { role: Role; name: string; expiresAt?: Date }, actor: string): Promise<{ id: string; role: Role; name: string; token: string; expiresAt: string | null }> {
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new EdictError('EDICT_ERR_VALIDATION', 'expiresAt: must be in the future');
    const expiresAt = input.expiresAt?.toISOString() ?? null;
    const t = await this.store.tx(async (r) => {
      const created = await r.tokens.createApiToken(input.role, input.name, { expiresAt, createdBy: actor });
      await r.audit.append(actor, 'api-token.create', created.id, { role: input.role, name: input.name, expiresAt });
      return created;
    });
    return { id: t.id, role: input.role, name: input.name, token: t.token, expiresAt };
  }

  async list(): Promise<(ApiTokenRow & { state: 'active' | 'expired' | 'revoked' })[]> {
    const now = new Date().toISOString();
    return (await this.store.tokens.listApiTokens()).map((t) => ({
      ...t,
      lastUsedAt: this.usage.lastUse(t.id) ?? t.lastUsedAt,
      state: t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt <= now ? 'expired' : 'active',
    }));
  }

  async revoke(id: string, actor: string): Promise<void> {
    await this.store.tx(async (r) => {
      const t = await r.tokens.getApiToken(id);
      if (!t || t.revokedAt) throw new EdictError('EDICT_ERR_NOT_FOUND', `API token ${id}${t ? ' (already revoked)' : ''}`);
      const active = !t.expiresAt || t.expiresAt > new Date().toISOString();
      if (t.role === 'admin' && active && (await r.tokens.countActiveApiTokens('admin')) <= 1) throw new EdictError('EDICT_ERR_LAST_ADMIN_TOKEN', `token ${t.name}`);
      await r.tokens.revokeApiToken(id);
      await r.audit.append(actor, 'api-token.revoke', id, { role: t.role, name: t.name });
    });
    this.emit('revoked', id);
  }
}
