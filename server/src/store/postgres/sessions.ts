// Dashboard sessions in PostgreSQL (as the SQLite store keeps them): the cookie secret is shown once
// and stored as its SHA-256 (like API tokens); the CSRF token is kept as is (useless without the
// cookie, and the page needs it back after a reload). Revoking a token ends its sessions in one
// statement. Sessions are not carried by export/import (store/portable-format.ts): people sign in again.
import { randomBytes } from 'node:crypto';
import { hashSecret, newSecret } from '../../secrets.js';
import type { SessionRepo, SessionRow } from '../types.js';
import type { Db } from './db.js';

const COLUMNS = 'token_id AS "tokenId", csrf, created_at AS "createdAt", expires_at AS "expiresAt", ended_at AS "endedAt"';

export class PgSessions implements SessionRepo {
  constructor(private readonly db: Db) {}

  async create(tokenId: string, expiresAt: string): Promise<{ secret: string; csrf: string }> {
    const secret = newSecret('ses');
    const csrf = randomBytes(24).toString('base64url');
    await this.db.run('INSERT INTO dashboard_sessions(id_hash, token_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
      hashSecret(secret),
      tokenId,
      csrf,
      new Date().toISOString(),
      expiresAt,
    ]);
    return { secret, csrf };
  }

  async find(secret: string): Promise<SessionRow | undefined> {
    return this.db.one<SessionRow>(`SELECT ${COLUMNS} FROM dashboard_sessions WHERE id_hash = $1`, [hashSecret(secret)]);
  }

  async end(secret: string, atIso: string): Promise<boolean> {
    return (await this.db.run('UPDATE dashboard_sessions SET ended_at = $1 WHERE id_hash = $2 AND ended_at IS NULL', [atIso, hashSecret(secret)])) > 0;
  }

  async endForToken(tokenId: string, atIso: string): Promise<number> {
    return this.db.run('UPDATE dashboard_sessions SET ended_at = $1 WHERE token_id = $2 AND ended_at IS NULL', [atIso, tokenId]);
  }

  async purge(beforeIso: string): Promise<number> {
    return this.db.run('DELETE FROM dashboard_sessions WHERE expires_at < $1 OR ended_at < $1', [beforeIso]);
  }
}
