// The audit chain's hash rule, shared by every store backend: an entry's hash is SHA-256 over the
// JSON array [prevHash, at, actor, action, subject, detail], where every field is the canonical text
// the server wrote (ISO instant, detail as JSON text), never a database's rendering of a value.
import { createHash } from 'node:crypto';

export const AUDIT_GENESIS = '0'.repeat(64);

export function auditEntryHash(prevHash: string, at: string, actor: string, action: string, subject: string, detail: string): string {
  return createHash('sha256').update(JSON.stringify([prevHash, at, actor, action, subject, detail])).digest('hex');
}
