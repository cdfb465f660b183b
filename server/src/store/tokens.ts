// API tokens (admin / auditor / helpdesk) and enrollment tokens. Only hashes are stored; the
// plain secret is returned once, at creation.
import { EdictError } from '../../../shared/src/errors.js';
import { hashSecret, newId, newSecret, type SecretKind } from '../secrets.js';
import type { Db } from './db.js';

export type Role = 'admin' | 'auditor' | 'helpdesk';
const ROLE_PREFIX: Record<Role, SecretKind> = { admin: 'adm', auditor: 'aud', helpdesk: 'hlp' };

export interface EnrollmentTokenRow {
  id: string;
  label: string;
  createdAt: string;
  expiresAt: string;
  maxUses: number;
  uses: number;
  revokedAt: string | null;
}

export class TokenStore {
  constructor(private readonly db: Db) {}

  createApiToken(role: Role, label: string): { id: string; token: string } {
    const token = newSecret(ROLE_PREFIX[role]);
    const id = newId('tok');
    this.db
      .prepare('INSERT INTO api_tokens(id, role, token_hash, label, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, role, hashSecret(token), label, new Date().toISOString());
    return { id, token };
  }

  countActiveApiTokens(role: Role): number {
    return this.db.prepare('SELECT count(*) FROM api_tokens WHERE role = ? AND revoked_at IS NULL').pluck().get(role) as number;
  }

  findApiToken(token: string): { id: string; role: Role; label: string } | undefined {
    return this.db
      .prepare('SELECT id, role, label FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL')
      .get(hashSecret(token)) as { id: string; role: Role; label: string } | undefined;
  }

  createEnrollmentToken(label: string, ttlHours: number, maxUses: number): EnrollmentTokenRow & { token: string } {
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
    this.db
      .prepare('INSERT INTO enrollment_tokens(id, token_hash, label, created_at, expires_at, max_uses) VALUES (?, ?, ?, ?, ?, ?)')
      .run(row.id, hashSecret(token), label, row.createdAt, row.expiresAt, maxUses);
    return { ...row, token };
  }

  listEnrollmentTokens(): EnrollmentTokenRow[] {
    return this.db
      .prepare(
        `SELECT id, label, created_at AS createdAt, expires_at AS expiresAt, max_uses AS maxUses, uses, revoked_at AS revokedAt
         FROM enrollment_tokens ORDER BY created_at`,
      )
      .all() as EnrollmentTokenRow[];
  }

  revokeEnrollmentToken(id: string): boolean {
    return this.db.prepare('UPDATE enrollment_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(new Date().toISOString(), id).changes > 0;
  }

  /** Checks and counts one use of an enrollment token; call inside the enrollment transaction. */
  consumeEnrollmentToken(token: string, now = new Date()): string {
    const row = this.db
      .prepare('SELECT id, expires_at AS expiresAt, max_uses AS maxUses, uses, revoked_at AS revokedAt FROM enrollment_tokens WHERE token_hash = ?')
      .get(hashSecret(token)) as Pick<EnrollmentTokenRow, 'id' | 'expiresAt' | 'maxUses' | 'uses' | 'revokedAt'> | undefined;
    if (!row || row.revokedAt || row.uses >= row.maxUses) throw new EdictError('EDICT_ERR_ENROLLMENT_TOKEN_INVALID');
    if (Date.parse(row.expiresAt) <= now.getTime()) throw new EdictError('EDICT_ERR_ENROLLMENT_TOKEN_EXPIRED');
    this.db.prepare('UPDATE enrollment_tokens SET uses = uses + 1 WHERE id = ?').run(row.id);
    return row.id;
  }
}
