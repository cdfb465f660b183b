// Random bearer secrets and their stored form. Tokens are 256-bit random values, so a plain
// SHA-256 is a sufficient one-way hash (no password stretching needed); only hashes are stored.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

export type SecretKind = 'adm' | 'aud' | 'hlp' | 'enr' | 'dev' | 'ses';

/** A new secret such as `edict_enr_3q2…`; the prefix tells a human what leaked if one does. */
export function newSecret(kind: SecretKind): string {
  return `edict_${kind}_${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
}
