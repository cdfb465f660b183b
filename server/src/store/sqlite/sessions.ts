// Dashboard sessions in SQLite: the cookie secret is shown once and stored as its SHA-256 (like API
// tokens); the CSRF token is kept as is (useless without the cookie, and the page needs it back
// after a reload). Revoking a token ends its sessions in one statement.
import { randomBytes } from 'node:crypto';
import { hashSecret, newSecret } from '../../secrets.js';
import type { SessionRepo, SessionRow } from '../types.js';
import type { SqliteConnection } from './connection.js';

const COLUMNS = 'token_id AS tokenId, csrf, created_at AS createdAt, expires_at AS expiresAt, ended_at AS endedAt';

export class SqliteSessions implements SessionRepo {
  constructor(private readonly c: SqliteConnection) {}

  async create(tokenId: string, expiresAt: string): Promise<{ secret: string; csrf: string }> {
    const secret = newSecret('ses');
    const csrf = randomBytes(24).toString('base64url');
    this.c
      .prep('INSERT INTO dashboard_sessions(id_hash, token_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(hashSecret(secret), tokenId, csrf, new Date().toISOString(), expiresAt);
    return { secret, csrf };
  }

  async find(secret: string): Promise<SessionRow | undefined> {
    return this.c.prep(`SELECT ${COLUMNS} FROM dashboard_sessions WHERE id_hash = ?`).get(hashSecret(secret)) as SessionRow | undefined;
  }

  async end(secret: string, atIso: string): Promise<boolean> {
    return this.c.prep('UPDATE dashboard_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL').run(atIso, hashSecret(secret)).changes > 0;
  }

  async endForToken(tokenId: string, atIso: string): Promise<number> {
    return this.c.prep('UPDATE dashboard_sessions SET ended_at = ? WHERE token_id = ? AND ended_at IS NULL').run(atIso, tokenId).changes;
  }

  async purge(beforeIso: string): Promise<number> {
    return this.c.prep('DELETE FROM dashboard_sessions WHERE expires_at < ? OR ended_at < ?').run(beforeIso, beforeIso).changes;
  }
}
