// Signed checkpoints of the audit chain head. The chain alone shows an edited or removed entry
// (the next hash no longer matches) but not entries cut off at the end; a checkpoint is the head's
// sequence number and hash signed with the server's key, so a log that later ends before a
// checkpoint, or whose entry at that number has another hash, is caught. The server makes one every
// AUDIT_CHECKPOINT_EVERY_MS while the log grows and one with every evidence pack; anyone can export
// a fresh one (`edictctl audit checkpoint --out FILE`) to keep outside the server. What a
// checkpoint cannot show: entries removed after the newest checkpoint you hold.
import { createPublicKey, sign, verify } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { keyIdOf } from '../../../shared/src/policy/signing.js';
import { AUDIT_GENESIS } from '../audit-chain.js';
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

/** Entries verified per store call (a few milliseconds each). */
const VERIFY_SLICE = 2_000;
/** A verification the dashboard asked for is served again while the log's head is the same, at most this long. */
export const VERIFY_KEEP_MS = 5 * 60_000;

export class AuditService {
  private timer?: NodeJS.Timeout;
  private lastSeq = 0;
  private background?: { head: string; startedAt: string; at?: number; verdict?: AuditVerdict; error?: unknown; running?: Promise<void> };

  private async walkChain(): Promise<{ ok: boolean; entries: number; brokenAt?: number; head: { seq: number; hash: string } | null }> {
    let entries = 0;
    let head: { seq: number; hash: string } | null = null;
    for (;;) {
      const r = await this.store.audit.verify({ afterSeq: head?.seq ?? 0, prevHash: head?.hash ?? AUDIT_GENESIS, limit: VERIFY_SLICE });
      entries += r.entries;
      if (!r.ok) return { ok: false, entries, brokenAt: r.brokenAt, head };
      if (r.entries < VERIFY_SLICE) return { ok: true, entries, head: r.head ?? head };
      head = r.head;
      await yieldToLoop();
    }
  }

  /**
   * For the dashboard: the verdict of a verification run in the background. The first ask starts
   * one (`running`); the verdict is served while the log's head stays the same (at most
   * VERIFY_KEEP_MS), or made again when `fresh`.
   */
  async verifyInBackground(fresh = false): Promise<{ status: 'running'; startedAt: string } | ({ status: 'done'; verifiedAt: string } & AuditVerdict)> {
    const h = await this.store.audit.head();
    const head = h ? `${h.seq}:${h.hash}` : 'empty';
    const b = this.background;
    if (b?.running) return { status: 'running', startedAt: b.startedAt };
    if (b?.error) {
      this.background = undefined;
      throw b.error;
    }
    if (b?.verdict && !fresh && b.head === head && Date.now() - b.at! < VERIFY_KEEP_MS) return { status: 'done', verifiedAt: new Date(b.at!).toISOString(), ...b.verdict };
    const run: NonNullable<AuditService['background']> = { head, startedAt: new Date().toISOString() };
    run.running = this.verify()
      .then((v) => void ((run.verdict = v), (run.at = Date.now())))
      .catch((err) => void (run.error = err))
      .finally(() => (run.running = undefined));
    this.background = run;
    return { status: 'running', startedAt: run.startedAt };
  }

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

  /**
   * Walks the chain (a slice at a time, the event loop free in between) and checks every stored
   * checkpoint (and any given from outside) against it.
   */
  async verify(external: AuditCheckpoint[] = []): Promise<AuditVerdict> {
    const chain = await this.walkChain();
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
