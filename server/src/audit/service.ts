// Signed checkpoints of the audit chain head. The chain alone shows an edited or removed entry
// (the next hash no longer matches) but not entries cut off at the end; a checkpoint is the head's
// sequence number and hash signed with the server's key, so a log that later ends before a
// checkpoint, or whose entry at that number has another hash, is caught. The server makes one every
// AUDIT_CHECKPOINT_EVERY_MS while the log grows and one with every evidence pack; anyone can export
// a fresh one (`edictctl audit checkpoint --out FILE`) to keep outside the server. What a
// checkpoint cannot show: entries removed after the newest checkpoint you hold.
import { createPublicKey, sign, verify } from 'node:crypto';
import { keyIdOf } from '../../../shared/src/policy/signing.js';
import { AUDIT_CHECKPOINT_EVERY_MS } from '../constants.js';
import type { SigningKey } from '../keys.js';
import type { Logger } from '../log.js';
import type { AuditCheckpoint, Store } from '../store/index.js';

/** The exact text a checkpoint signature covers. */
export function checkpointText(c: Pick<AuditCheckpoint, 'seq' | 'hash' | 'at'>): string {
  return JSON.stringify({ kind: 'edict-audit-checkpoint', seq: c.seq, hash: c.hash, at: c.at });
}

export function verifyCheckpoint(c: AuditCheckpoint, publicKeyPem: string): boolean {
  if (c.keyId !== keyIdOf(publicKeyPem)) return false;
  try {
    return verify(null, Buffer.from(checkpointText(c)), createPublicKey(publicKeyPem), Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}

export interface AuditVerdict {
  ok: boolean;
  entries: number;
  head: { seq: number; hash: string } | null;
  newestCheckpoint: AuditCheckpoint | null;
  /** Every problem found, each saying which entry or checkpoint and what is wrong. */
  problems: string[];
}

export class AuditService {
  private timer?: NodeJS.Timeout;
  private lastSeq = 0;

  constructor(
    private readonly store: Store,
    private readonly key: SigningKey,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.checkpointIfGrown().catch((err) => this.log.error({ err }, 'audit checkpoint failed')), AUDIT_CHECKPOINT_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Signs a checkpoint of the current head (stored when `keep`); null for an empty log. */
  async checkpoint(keep: boolean): Promise<AuditCheckpoint | null> {
    const head = await this.store.audit.head();
    if (!head) return null;
    const at = new Date().toISOString();
    const c: AuditCheckpoint = { seq: head.seq, hash: head.hash, at, keyId: this.key.keyId, signature: sign(null, Buffer.from(checkpointText({ ...head, at })), this.key.privateKey).toString('base64') };
    if (keep) await this.store.audit.addCheckpoint(c);
    return c;
  }

  private async checkpointIfGrown(): Promise<void> {
    // One node of a cluster (the leader) keeps the periodic checkpoints.
    if (!this.store.cluster.isLeader) return;
    const head = await this.store.audit.head();
    if (!head || head.seq === this.lastSeq) return;
    await this.checkpoint(true);
    this.lastSeq = head.seq;
  }

  /** Walks the chain and checks every stored checkpoint (and any given from outside) against it. */
  async verify(external: AuditCheckpoint[] = []): Promise<AuditVerdict> {
    const chain = await this.store.audit.verify();
    const problems: string[] = [];
    if (!chain.ok) problems.push(`entry ${chain.brokenAt} was edited or an entry before it was removed: its hash chain does not match`);
    const stored = await this.store.audit.checkpoints();
    const all = [...stored.map((c) => ({ c, from: 'stored' })), ...external.map((c) => ({ c, from: 'given' }))];
    for (const { c, from } of all) {
      const label = `${from} checkpoint of entry ${c.seq} (${c.at})`;
      if (!verifyCheckpoint(c, this.key.publicKeyPem)) {
        problems.push(`${label}: signature does not verify with this server's key (forged or altered)`);
        continue;
      }
      const e = await this.store.audit.entry(c.seq);
      if (!e) problems.push(`${label}: entry ${c.seq} is missing — entries covered by the checkpoint were removed (the log now ends at ${chain.head?.seq ?? 0})`);
      else if (e.hash !== c.hash) problems.push(`${label}: entry ${c.seq} has another hash than when it was signed — entries were edited or replaced`);
    }
    const newest = [...stored, ...external].filter((c) => verifyCheckpoint(c, this.key.publicKeyPem)).sort((a, b) => b.seq - a.seq)[0] ?? null;
    return { ok: problems.length === 0, entries: chain.entries, head: chain.head, newestCheckpoint: newest, problems };
  }
}
