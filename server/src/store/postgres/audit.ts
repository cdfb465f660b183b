// The audit log in PostgreSQL: the same append-only hash chain as the SQLite store, over the same
// canonical text (auditEntryHash): the instant as the server wrote it (at_text, never the
// database's rendering of the timestamptz beside it) and the detail as the JSON text written.
// Appends from any node are serialised by a transaction-scoped advisory lock taken before the head
// is read, so each entry chains to the true head; the unique index on prev_hash stays as the
// backstop that refuses a fork outright.
import { auditEntryHash, AUDIT_GENESIS } from '../../audit-chain.js';
import type { AuditCheckpoint, AuditEntry, AuditRepo } from '../types.js';
import { LOCKS, LOCK_NS } from './connection.js';
import type { Db } from './db.js';

const COLUMNS = 'seq, at_text AS at, actor, action, subject, detail, prev_hash AS "prevHash", hash';

export class PgAudit implements AuditRepo {
  constructor(private readonly db: Db) {}

  async append(actor: string, action: string, subject: string, detail: unknown = {}): Promise<void> {
    await this.db.run('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NS, LOCKS.audit]);
    const prev = (await this.db.value<string>('SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1')) ?? AUDIT_GENESIS;
    const at = new Date().toISOString();
    const d = JSON.stringify(detail);
    await this.db.run('INSERT INTO audit_log(at, at_text, actor, action, subject, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
      at,
      at,
      actor,
      action,
      subject,
      d,
      prev,
      auditEntryHash(prev, at, actor, action, subject, d),
    ]);
  }

  async list(limit: number, afterSeq = 0): Promise<AuditEntry[]> {
    return (await this.db.all<AuditEntry & { detail: string }>(`SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, [afterSeq, limit])).map((r) => ({
      ...r,
      detail: JSON.parse(r.detail),
    }));
  }

  async verify(): Promise<{ ok: boolean; entries: number; brokenAt?: number; head: { seq: number; hash: string } | null }> {
    let prev = AUDIT_GENESIS;
    let n = 0;
    let after = 0;
    let head: { seq: number; hash: string } | null = null;
    for (;;) {
      const rows = await this.db.all<AuditEntry & { detail: string }>(`SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000`, [after]);
      if (!rows.length) return { ok: true, entries: n, head };
      for (const r of rows) {
        n++;
        if (r.prevHash !== prev || r.hash !== auditEntryHash(prev, r.at, r.actor, r.action, r.subject, r.detail)) return { ok: false, entries: n, brokenAt: r.seq, head };
        prev = r.hash;
        after = r.seq;
        head = { seq: r.seq, hash: r.hash };
      }
    }
  }

  async head(): Promise<{ seq: number; hash: string } | null> {
    return (await this.db.one<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')) ?? null;
  }

  async entry(seq: number): Promise<AuditEntry | undefined> {
    const r = await this.db.one<AuditEntry & { detail: string }>(`SELECT ${COLUMNS} FROM audit_log WHERE seq = $1`, [seq]);
    return r && { ...r, detail: JSON.parse(r.detail) };
  }

  async addCheckpoint(cp: AuditCheckpoint): Promise<void> {
    await this.db.run('INSERT INTO audit_checkpoints(seq, hash, at, key_id, signature) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING', [cp.seq, cp.hash, cp.at, cp.keyId, cp.signature]);
  }

  async checkpoints(): Promise<AuditCheckpoint[]> {
    return this.db.all('SELECT seq, hash, at, key_id AS "keyId", signature FROM audit_checkpoints ORDER BY seq');
  }
}
