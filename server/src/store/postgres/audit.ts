// The audit log in PostgreSQL: the same append-only hash chain as the SQLite store, over the same
// canonical text (auditEntryHash): the instant as the server wrote it (at_text, never the rendering
// of the timestamptz beside it) and the detail as the JSON text written. Appends from any node are
// serialised by a transaction-scoped advisory lock taken before the head is read; the unique index
// on prev_hash is the backstop that refuses a fork. Search and sliced verification as in SQLite.
import { auditEntryHash, AUDIT_GENESIS } from '../../audit-chain.js';
import type { AuditCheckpoint, AuditEntry, AuditRepo, AuditSearch } from '../types.js';
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

  async search(q: AuditSearch): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const p = (v: string | number) => (args.push(v), `$${args.length}`);
    if (q.beforeSeq !== undefined) where.push(`seq < ${p(q.beforeSeq)}`);
    if (q.actor) where.push(`actor = ${p(q.actor)}`);
    // A prefix as a range (byte order, the column's C collation, as SQLite compares), so the (action, seq) index serves it.
    if (q.action) where.push(`action >= ${p(q.action)} AND action < ${p(q.action + '\uffff')}`);
    if (q.subject) where.push(`subject = ${p(q.subject)}`);
    if (q.from) where.push(`at >= ${p(q.from)}::timestamptz`);
    if (q.to) where.push(`at < ${p(q.to)}::timestamptz`);
    const rows = await this.db.all<AuditEntry & { detail: string }>(
      `SELECT ${COLUMNS} FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ${p(q.limit)}`,
      args,
    );
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) }));
  }

  async verify(slice?: { afterSeq: number; prevHash: string; limit: number }): Promise<{ ok: boolean; entries: number; brokenAt?: number; head: { seq: number; hash: string } | null }> {
    let prev = slice?.prevHash ?? AUDIT_GENESIS;
    let n = 0;
    let after = slice?.afterSeq ?? 0;
    // A negative limit is no limit (as SQLite's LIMIT reads it).
    let left = slice && slice.limit >= 0 ? slice.limit : Infinity;
    let head: { seq: number; hash: string } | null = null;
    // Read in pages of at most 5000 rows (the whole log, or the caller's slice).
    while (left > 0) {
      const rows = await this.db.all<AuditEntry & { detail: string }>(`SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, [after, Math.min(left, 5000)]);
      if (!rows.length) break;
      for (const r of rows) {
        n++;
        if (r.prevHash !== prev || r.hash !== auditEntryHash(prev, r.at, r.actor, r.action, r.subject, r.detail)) return { ok: false, entries: n, brokenAt: r.seq, head };
        prev = r.hash;
        after = r.seq;
        head = { seq: r.seq, hash: r.hash };
      }
      left -= rows.length;
    }
    return { ok: true, entries: n, head };
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
