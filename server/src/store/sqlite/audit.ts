// The audit log in SQLite: an append-only hash chain of every administrative action. Each entry's
// hash covers the previous hash and the entry's own fields, so editing or deleting any past row
// breaks verification from that row on. A unique index on prev_hash means two writers can never
// both chain to the same entry: the loser's transaction fails instead of forking the chain.
import { auditEntryHash, AUDIT_GENESIS } from '../../audit-chain.js';
import type { AuditCheckpoint, AuditEntry, AuditRepo, AuditSearch } from '../types.js';
import type { SqliteConnection } from './connection.js';

const COLUMNS = 'seq, at, actor, action, subject, detail, prev_hash AS prevHash, hash';

export class SqliteAudit implements AuditRepo {
  constructor(private readonly c: SqliteConnection) {}

  async append(actor: string, action: string, subject: string, detail: unknown = {}): Promise<void> {
    const prev = (this.c.prep('SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1').pluck().get() as string | undefined) ?? AUDIT_GENESIS;
    const at = new Date().toISOString();
    const d = JSON.stringify(detail);
    this.c
      .prep('INSERT INTO audit_log(at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(at, actor, action, subject, d, prev, auditEntryHash(prev, at, actor, action, subject, d));
  }

  async list(limit: number, afterSeq = 0): Promise<AuditEntry[]> {
    return (this.c.prep(`SELECT ${COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`).all(afterSeq, limit) as (AuditEntry & { detail: string })[]).map((r) => ({
      ...r,
      detail: JSON.parse(r.detail),
    }));
  }

  async search(q: AuditSearch): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.beforeSeq !== undefined) (where.push('seq < ?'), args.push(q.beforeSeq));
    if (q.actor) (where.push('actor = ?'), args.push(q.actor));
    // A prefix as a range, so the (action, seq) index serves it.
    if (q.action) (where.push('action >= ? AND action < ?'), args.push(q.action, q.action + '\uffff'));
    if (q.subject) (where.push('subject = ?'), args.push(q.subject));
    if (q.from) (where.push('at >= ?'), args.push(q.from));
    if (q.to) (where.push('at < ?'), args.push(q.to));
    const sql = `SELECT ${COLUMNS} FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?`;
    return (this.c.prep(sql).all(...args, q.limit) as (AuditEntry & { detail: string })[]).map((r) => ({ ...r, detail: JSON.parse(r.detail) }));
  }

  async verify(slice?: { afterSeq: number; prevHash: string; limit: number }): Promise<{ ok: boolean; entries: number; brokenAt?: number; head: { seq: number; hash: string } | null }> {
    let prev = slice?.prevHash ?? AUDIT_GENESIS;
    let n = 0;
    let head: { seq: number; hash: string } | null = null;
    const rows = slice
      ? this.c.prep(`SELECT ${COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`).iterate(slice.afterSeq, slice.limit)
      : this.c.prep(`SELECT ${COLUMNS} FROM audit_log ORDER BY seq`).iterate();
    for (const r of rows as IterableIterator<AuditEntry & { detail: string }>) {
      n++;
      if (r.prevHash !== prev || r.hash !== auditEntryHash(prev, r.at, r.actor, r.action, r.subject, r.detail)) return { ok: false, entries: n, brokenAt: r.seq, head };
      prev = r.hash;
      head = { seq: r.seq, hash: r.hash };
    }
    return { ok: true, entries: n, head };
  }

  async head(): Promise<{ seq: number; hash: string } | null> {
    return (this.c.prep('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined) ?? null;
  }

  async entry(seq: number): Promise<AuditEntry | undefined> {
    const r = this.c.prep(`SELECT ${COLUMNS} FROM audit_log WHERE seq = ?`).get(seq) as (AuditEntry & { detail: string }) | undefined;
    return r && { ...r, detail: JSON.parse(r.detail) };
  }

  async addCheckpoint(cp: AuditCheckpoint): Promise<void> {
    this.c.prep('INSERT OR IGNORE INTO audit_checkpoints(seq, hash, at, key_id, signature) VALUES (?, ?, ?, ?, ?)').run(cp.seq, cp.hash, cp.at, cp.keyId, cp.signature);
  }

  async checkpoints(): Promise<AuditCheckpoint[]> {
    return this.c.prep('SELECT seq, hash, at, key_id AS keyId, signature FROM audit_checkpoints ORDER BY seq').all() as AuditCheckpoint[];
  }
}
