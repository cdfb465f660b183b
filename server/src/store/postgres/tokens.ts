// API tokens and enrollment tokens in PostgreSQL. Only hashes are stored; the plain secret is
// returned once, at creation. A use of an enrollment token is counted by one conditional UPDATE
// (the row lock makes two enrollments racing for the last use from two nodes get it once).
import { EdictError } from '../../../../shared/src/errors.js';
import { hashSecret, newId, newSecret, type SecretKind } from '../../secrets.js';
import type { ApiTokenRow, EnrollmentTokenRow, Role, TokenRepo } from '../types.js';
import type { Db } from './db.js';

const ROLE_PREFIX: Record<Role, SecretKind> = { admin: 'adm', auditor: 'aud', helpdesk: 'hlp' };
const API_COLUMNS = `id, role, label AS name, created_at AS "createdAt", created_by AS "createdBy", expires_at AS "expiresAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;
const ENR_COLUMNS = `id, label, created_at AS "createdAt", expires_at AS "expiresAt", max_uses AS "maxUses", uses, revoked_at AS "revokedAt", tags`;
const decodeEnr = (r: Omit<EnrollmentTokenRow, 'tags'> & { tags: string }): EnrollmentTokenRow => ({ ...r, tags: JSON.parse(r.tags) as string[] });

export class PgTokens implements TokenRepo {
  constructor(private readonly db: Db) {}

  async createApiToken(role: Role, name: string, opts: { expiresAt?: string | null; createdBy?: string } = {}): Promise<{ id: string; token: string }> {
    const token = newSecret(ROLE_PREFIX[role]);
    const id = newId('tok');
    await this.db.run('INSERT INTO api_tokens(id, role, token_hash, label, created_at, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      id,
      role,
      hashSecret(token),
      name,
      new Date().toISOString(),
      opts.createdBy ?? 'system',
      opts.expiresAt ?? null,
    ]);
    return { id, token };
  }

  async countActiveApiTokens(role: Role, now = new Date()): Promise<number> {
    return (await this.db.value<number>('SELECT count(*) FROM api_tokens WHERE role = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)', [role, now.toISOString()])) ?? 0;
  }

  async findApiToken(token: string): Promise<ApiTokenRow | undefined> {
    return this.db.one(`SELECT ${API_COLUMNS} FROM api_tokens WHERE token_hash = $1`, [hashSecret(token)]);
  }

  async getApiToken(id: string): Promise<ApiTokenRow | undefined> {
    return this.db.one(`SELECT ${API_COLUMNS} FROM api_tokens WHERE id = $1`, [id]);
  }

  async listApiTokens(): Promise<ApiTokenRow[]> {
    return this.db.all(`SELECT ${API_COLUMNS} FROM api_tokens ORDER BY created_at, id`);
  }

  async revokeApiToken(id: string): Promise<boolean> {
    return (await this.db.run('UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [new Date().toISOString(), id])) > 0;
  }

  async recordApiTokenUse(uses: readonly { id: string; at: string }[]): Promise<void> {
    if (!uses.length) return;
    await this.db.run(
      `UPDATE api_tokens t SET last_used_at = u.at FROM jsonb_to_recordset($1::text::jsonb) AS u(id text, at timestamptz)
       WHERE t.id = u.id AND (t.last_used_at IS NULL OR t.last_used_at < u.at)`,
      [JSON.stringify([...uses].sort((a, b) => (a.id < b.id ? -1 : 1)))],
    );
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
    await this.db.run('INSERT INTO enrollment_tokens(id, token_hash, label, created_at, expires_at, max_uses, tags) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      row.id,
      hashSecret(token),
      label,
      row.createdAt,
      row.expiresAt,
      maxUses,
      JSON.stringify(row.tags),
    ]);
    return { ...row, token };
  }

  async listEnrollmentTokens(): Promise<EnrollmentTokenRow[]> {
    return (await this.db.all<Omit<EnrollmentTokenRow, 'tags'> & { tags: string }>(`SELECT ${ENR_COLUMNS} FROM enrollment_tokens ORDER BY created_at, id`)).map(decodeEnr);
  }

  async revokeEnrollmentToken(id: string): Promise<boolean> {
    return (await this.db.run('UPDATE enrollment_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [new Date().toISOString(), id])) > 0;
  }

  async consumeEnrollmentToken(token: string, now = new Date()): Promise<{ id: string; tags: string[] }> {
    const hash = hashSecret(token);
    const used = await this.db.one<{ id: string; tags: string }>(
      'UPDATE enrollment_tokens SET uses = uses + 1 WHERE token_hash = $1 AND revoked_at IS NULL AND uses < max_uses AND expires_at > $2 RETURNING id, tags',
      [hash, now.toISOString()],
    );
    if (used) return { id: used.id, tags: JSON.parse(used.tags) as string[] };
    const row = await this.db.one<Pick<EnrollmentTokenRow, 'expiresAt' | 'maxUses' | 'uses' | 'revokedAt'>>(
      'SELECT expires_at AS "expiresAt", max_uses AS "maxUses", uses, revoked_at AS "revokedAt" FROM enrollment_tokens WHERE token_hash = $1',
      [hash],
    );
    if (row && !row.revokedAt && row.uses < row.maxUses && Date.parse(row.expiresAt) <= now.getTime()) throw new EdictError('EDICT_ERR_ENROLLMENT_TOKEN_EXPIRED');
    throw new EdictError('EDICT_ERR_ENROLLMENT_TOKEN_INVALID');
  }
}
