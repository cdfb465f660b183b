// The audit log: an append-only hash chain of every administrative action. Each entry's hash
// covers the previous hash and the entry's own fields, so editing or deleting any past row breaks
// verification from that row on. This is the auditor's record; operational logs are separate.
import { createHash } from 'node:crypto';
import type { Db } from './db.js';

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: unknown;
  prevHash: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);

function entryHash(prevHash: string, at: string, actor: string, action: string, subject: string, detail: string): string {
  return createHash('sha256').update(JSON.stringify([prevHash, at, actor, action, subject, detail])).digest('hex');
}

export class AuditLog {
  constructor(private readonly db: Db) {}

  /** Appends one entry; call inside the transaction that makes the change it records. */
  append(actor: string, action: string, subject: string, detail: unknown = {}): void {
    const prev = (this.db.prepare('SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1').pluck().get() as string | undefined) ?? GENESIS;
    const at = new Date().toISOString();
    const d = JSON.stringify(detail);
    this.db
      .prepare('INSERT INTO audit_log(at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(at, actor, action, subject, d, prev, entryHash(prev, at, actor, action, subject, d));
  }

  list(limit: number, afterSeq = 0): AuditEntry[] {
    return (
      this.db
        .prepare('SELECT seq, at, actor, action, subject, detail, prev_hash AS prevHash, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?')
        .all(afterSeq, limit) as (AuditEntry & { detail: string })[]
    ).map((r) => ({ ...r, detail: JSON.parse(r.detail) }));
  }

  /** Walks the whole chain; returns the first broken entry, if any. */
  verify(): { ok: boolean; entries: number; brokenAt?: number } {
    let prev = GENESIS;
    let n = 0;
    for (const r of this.db.prepare('SELECT seq, at, actor, action, subject, detail, prev_hash AS prevHash, hash FROM audit_log ORDER BY seq').iterate() as IterableIterator<
      AuditEntry & { detail: string }
    >) {
      n++;
      if (r.prevHash !== prev || r.hash !== entryHash(prev, r.at, r.actor, r.action, r.subject, r.detail)) return { ok: false, entries: n, brokenAt: r.seq };
      prev = r.hash;
    }
    return { ok: true, entries: n };
  }
}
