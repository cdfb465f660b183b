// API tokens (admin / auditor / helpdesk) and enrollment tokens in SQLite. Only hashes are stored;
// the plain secret is returned once, at creation.
import { EdictError } from '../../../../shared/src/errors.js';
import { hashSecret, newId, newSecret, type SecretKind } from '../../secrets.js';
import type { EnrollmentTokenRow, Role, TokenRepo } from '../types.js';
import type { SqliteConnection } from './connection.js';

const ROLE_PREFIX: Record<Role, SecretKind> = { admin: 'adm', auditor: 'aud', helpdesk: 'hlp' };

export class SqliteTokens implements TokenRepo {
  constructor(private readonly c: SqliteConnection) {}

  async createApiToken(role: Role, label: string): Promise<{ id: string; token: string }> {
    const token = newSecret(ROLE_PREFIX[role]);
    const id = newId('tok');
    this.c.prep('INSERT INTO api_tokens(id, role, token_hash, label, created_at) VALUES (?, ?, ?, ?, ?)').run(id, role, hashSecret(token), label, new Date().toISOString());
    return { id, token };
  }

  async countActiveApiTokens(role: Role): Promise<number> {
    return this.c.prep('SELECT count(*) FROM api_tokens WHERE role = ? AND revoked_at IS NULL').pluck().get(role) as number;
  }

  async findApiToken(token: string): Promise<{ id: string; role: Role; label: string } | undefined> {
    return this.c.prep('SELECT id, role, label FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL').get(hashSecret(token)) as { id: string; role: Role; label: string } | undefined;
  }

  async createEnrollmentToken(label: string, ttlHours: number, maxUses: number): Promise<EnrollmentTokenRow & { token: string }> {
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
    };
    this.c
      .prep('INSERT INTO enrollment_tokens(id, token_hash, label, created_at, expires_at, max_uses) VALUES (?, ?, ?, ?, ?, ?)')
      .run(row.id, hashSecret(token), label, row.createdAt, row.expiresAt, maxUses);
    return { ...row, token };
  }

  async listEnrollmentTokens(): Promise<EnrollmentTokenRow[]> {
    return this.c
      .prep(
        `SELECT id, label, created_at AS createdAt, expires_at AS expiresAt, max_uses AS maxUses, uses, revoked_at AS revokedAt
         FROM enrollment_tokens ORDER BY created_at, id`,
      )
      .all() as EnrollmentTokenRow[];
  }

  async revokeEnrollmentToken(id: string): Promise<boolean> {
    return this.c.prep('UPDATE enrollment_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(new Date().toISOString(), id).changes > 0;
  }

  async consumeEnrollmentToken(token: string, now = new Date()): Promise<string> {
    const hash = hashSecret(token);
    // One conditional UPDATE counts the use only while the token is valid: two enrollments racing
    // for the last use cannot both get it, whatever the database's isolation.
    const used = this.c
      .prep('UPDATE enrollment_tokens SET uses = uses + 1 WHERE token_hash = ? AND revoked_at IS NULL AND uses < max_uses AND expires_at > ? RETURNING id')
      .get(hash, now.toISOString()) as { id: string } | undefined;
    if (used) return used.id;
    const row = this.c.prep('SELECT expires_at AS expiresAt, max_uses AS maxUses, uses, revoked_at AS revokedAt FROM enrollment_tokens WHERE token_hash = ?').get(hash) as
      | Pick<EnrollmentTokenRow, 'expiresAt' | 'maxUses' | 'uses' | 'revokedAt'>
      | undefined;
    if (row && !row.revokedAt && row.uses < row.maxUses && Date.parse(row.expiresAt) <= now.getTime()) throw new EdictError('EDICT_ERR_ENROLLMENT_TOKEN_EXPIRED');
    throw new EdictError('EDICT_ERR_ENROLLMENT_TOKEN_INVALID');
  }
}
