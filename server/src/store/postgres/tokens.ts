// API tokens and enrollment tokens in PostgreSQL. Only hashes are stored; the plain secret is
// returned once, at creation. A use of an enrollment token is counted by one conditional UPDATE
// (the row lock makes two enrollments racing for the last use from two nodes get it once).
import { EdictError } from '../../../../shared/src/errors.js';
import { hashSecret, newId, newSecret, type SecretKind } from '../../secrets.js';
import type { EnrollmentTokenRow, Role, TokenRepo } from '../types.js';
import type { Db } from './db.js';

const ROLE_PREFIX: Record<Role, SecretKind> = { admin: 'adm', auditor: 'aud', helpdesk: 'hlp' };

export class PgTokens implements TokenRepo {
  constructor(private readonly db: Db) {}

  async createApiToken(role: Role, label: string): Promise<{ id: string; token: string }> {
    const token = newSecret(ROLE_PREFIX[role]);
    const id = newId('tok');
    await this.db.run('INSERT INTO api_tokens(id, role, token_hash, label, created_at) VALUES ($1, $2, $3, $4, $5)', [id, role, hashSecret(token), label, new Date().toISOString()]);
    return { id, token };
  }

  async countActiveApiTokens(role: Role): Promise<number> {
    return (await this.db.value<number>('SELECT count(*) FROM api_tokens WHERE role = $1 AND revoked_at IS NULL', [role])) ?? 0;
  }

  async findApiToken(token: string): Promise<{ id: string; role: Role; label: string } | undefined> {
    return this.db.one('SELECT id, role, label FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [hashSecret(token)]);
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
    await this.db.run('INSERT INTO enrollment_tokens(id, token_hash, label, created_at, expires_at, max_uses) VALUES ($1, $2, $3, $4, $5, $6)', [
      row.id,
      hashSecret(token),
      label,
      row.createdAt,
      row.expiresAt,
      maxUses,
    ]);
    return { ...row, token };
  }

  async listEnrollmentTokens(): Promise<EnrollmentTokenRow[]> {
    return this.db.all(
      `SELECT id, label, created_at AS "createdAt", expires_at AS "expiresAt", max_uses AS "maxUses", uses, revoked_at AS "revokedAt"
       FROM enrollment_tokens ORDER BY created_at, id`,
    );
  }

  async revokeEnrollmentToken(id: string): Promise<boolean> {
    return (await this.db.run('UPDATE enrollment_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [new Date().toISOString(), id])) > 0;
  }

  async consumeEnrollmentToken(token: string, now = new Date()): Promise<string> {
    const hash = hashSecret(token);
    const used = await this.db.one<{ id: string }>(
      'UPDATE enrollment_tokens SET uses = uses + 1 WHERE token_hash = $1 AND revoked_at IS NULL AND uses < max_uses AND expires_at > $2 RETURNING id',
      [hash, now.toISOString()],
    );
    if (used) return used.id;
    const row = await this.db.one<Pick<EnrollmentTokenRow, 'expiresAt' | 'maxUses' | 'uses' | 'revokedAt'>>(
      'SELECT expires_at AS "expiresAt", max_uses AS "maxUses", uses, revoked_at AS "revokedAt" FROM enrollment_tokens WHERE token_hash = $1',
      [hash],
    );
    if (row && !row.revokedAt && row.uses < row.maxUses && Date.parse(row.expiresAt) <= now.getTime()) throw new EdictError('EDICT_ERR_ENROLLMENT_TOKEN_EXPIRED');
    throw new EdictError('EDICT_ERR_ENROLLMENT_TOKEN_INVALID');
  }
}
