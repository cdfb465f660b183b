// API tokens (admin / auditor / helpdesk) and enrollment tokens in SQLite. Only hashes are stored;
// the plain secret is returned once, at creation.
import { EdictError } from '../../../../shared/src/errors.js';
import { hashSecret, newId, newSecret, type SecretKind } from '../../secrets.js';
import type { ApiTokenRow, EnrollmentTokenRow, Role, TokenRepo } from '../types.js';
import type { SqliteConnection } from './connection.js';

const ROLE_PREFIX: Record<Role, SecretKind> = { admin: 'adm', auditor: 'aud', helpdesk: 'hlp' };
const API_COLUMNS = `id, role, label AS name, created_at AS createdAt, created_by AS createdBy, expires_at AS expiresAt, last_used_at AS lastUsedAt, revoked_at AS revokedAt`;
const ENR_COLUMNS = `id, label, created_at AS createdAt, expires_at AS expiresAt, max_uses AS maxUses, uses, revoked_at AS revokedAt, tags`;
const decodeEnr = (r: Omit<EnrollmentTokenRow, 'tags'> & { tags: string }): EnrollmentTokenRow => ({ ...r, tags: JSON.parse(r.tags) as string[] });

export class SqliteTokens implements TokenRepo {
  constructor(private readonly c: SqliteConnection) {}

  async createApiToken(role: Role, name: string, opts: { expiresAt?: string | null; createdBy?: string } = {}): Promise<{ id: string; token: string }> {
    const token = newSecret(ROLE_PREFIX[role]);
    const id = newId('tok');
    this.c
      .prep('INSERT INTO api_tokens(id, role, token_hash, label, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, role, hashSecret(token), name, new Date().toISOString(), opts.createdBy ?? 'system', opts.expiresAt ?? null);
    return { id, token };
  }

  async countActiveApiTokens(role: Role, now = new Date()): Promise<number> {
    return this.c.prep('SELECT count(*) FROM api_tokens WHERE role = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)').pluck().get(role, now.toISOString()) as number;
  }

  async findApiToken(token: string): Promise<ApiTokenRow | undefined> {
    return this.c.prep(`SELECT ${API_COLUMNS} FROM api_tokens WHERE token_hash = ?`).get(hashSecret(token)) as ApiTokenRow | undefined;
  }

  async getApiToken(id: string): Promise<ApiTokenRow | undefined> {
    return this.c.prep(`SELECT ${API_COLUMNS} FROM api_tokens WHERE id = ?`).get(id) as ApiTokenRow | undefined;
  }

  async listApiTokens(): Promise<ApiTokenRow[]> {
    return this.c.prep(`SELECT ${API_COLUMNS} FROM api_tokens ORDER BY created_at, id`).all() as ApiTokenRow[];
  }

  async revokeApiToken(id: string): Promise<boolean> {
    return this.c.prep('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(new Date().toISOString(), id).changes > 0;
  }

  async recordApiTokenUse(uses: readonly { id: string; at: string }[]): Promise<void> {
    const s = this.c.prep('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)');
    for (const u of uses) s.run(u.at, u.id, u.at);
  }

  async createEnrollmentToken(label: string, ttlHours: number, maxUses: number, tags: readonly string[] = []): Promise<EnrollmentTokenRow & { token: string }> {
    const token = newSecret('enr');
    const now = new Date();
    const row: EnrollmentTokenRow = {
      id: newId('enr'),
      label,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlHours * 3600_000).toISOString(),
      maxUses,
      uses: 0,
      revokedAt: null,
      tags: [...new Set(tags)].sort(),
    };
    this.c
      .prep('INSERT INTO enrollment_tokens(id, token_hash, label, created_at, expires_at, max_uses, tags) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(row.id, hashSecret(token), label, row.createdAt, row.expiresAt, maxUses, JSON.stringify(row.tags));
    return { ...row, token };
  }

  async listEnrollmentTokens(): Promise<EnrollmentTokenRow[]> {
    return (this.c.prep(`SELECT ${ENR_COLUMNS} FROM enrollment_tokens ORDER BY created_at, id`).all() as (Omit<EnrollmentTokenRow, 'tags'> & { tags: string })[]).map(decodeEnr);
  }

  async revokeEnrollmentToken(id: string): Promise<boolean> {
    return this.c.prep('UPDATE enrollment_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(new Date().toISOString(), id).changes > 0;
  }

  async consumeEnrollmentToken(token: string, now = new Date()): Promise<{ id: string; tags: string[] }> {
    const hash = hashSecret(token);
    // One conditional UPDATE counts the use only while the token is valid: two enrollments racing
    // for the last use cannot both get it, whatever the database's isolation.
    const used = this.c
      .prep('UPDATE enrollment_tokens SET uses = uses + 1 WHERE token_hash = ? AND revoked_at IS NULL AND uses < max_uses AND expires_at > ? RETURNING id, tags')
      .get(hash, now.toISOString()) as { id: string; tags: string } | undefined;
    if (used) return { id: used.id, tags: JSON.parse(used.tags) as string[] };
    const row = this.c.prep('SELECT expires_at AS expiresAt, max_uses AS maxUses, uses, revoked_at AS revokedAt FROM enrollment_tokens WHERE token_hash = ?').get(hash) as
      | Pick<EnrollmentTokenRow, 'expiresAt' | 'maxUses' | 'uses' | 'revokedAt'>
      | undefined;
    if (row && !row.revokedAt && row.uses < row.maxUses && Date.parse(row.expiresAt) <= now.getTime()) throw new EdictError('EDICT_ERR_ENROLLMENT_TOKEN_EXPIRED');
    throw new EdictError('EDICT_ERR_ENROLLMENT_TOKEN_INVALID');
  }
}
