// Ed25519 signatures over the exact JSON text of each policy part. The server signs; the agent
// verifies against the key it pinned at enrollment before it parses anything, and refuses a part
// signed by another key, altered, or not matching its schema.
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { VerifiedPolicyPart, type PolicyPart, type SignedBundle } from './schema.js';

export function keyIdOf(publicKeyPem: string): string {
  return createHash('sha256').update(publicKeyPem.trim()).digest('hex').slice(0, 16);
}

/** Signs one part: the exact JSON text that travels, and its signature. */
export function signPart(part: PolicyPart, privateKey: KeyObject, publicKeyPem: string): SignedBundle {
  const bundleJson = JSON.stringify(part);
  return { bundleJson, signature: sign(null, Buffer.from(bundleJson, 'utf8'), privateKey).toString('base64'), keyId: keyIdOf(publicKeyPem) };
}

export type VerifyResult = { ok: true; part: PolicyPart } | { ok: false; reason: string };

// The pinned key parsed once: parsing a PEM costs more than the Ed25519 check itself (a simulator
// process verifying 4,000 agents' parts spent 2.2 s of 9.5 s in createPublicKey). A few entries
// cover the agent's one pinned key and the tests' several.
const parsedKeys = new Map<string, { id: string; key: KeyObject }>();
function pinned(publicKeyPem: string): { id: string; key: KeyObject } {
  let k = parsedKeys.get(publicKeyPem);
  if (!k) {
    k = { id: keyIdOf(publicKeyPem), key: createPublicKey(publicKeyPem) };
    if (parsedKeys.size >= 8) parsedKeys.delete(parsedKeys.keys().next().value!);
    parsedKeys.set(publicKeyPem, k);
  }
  return k;
}

/** Checks key id, signature and schema; never throws. */
export function verifyPart(signed: SignedBundle, publicKeyPem: string): VerifyResult {
  if (signed.keyId !== (parsedKeys.get(publicKeyPem)?.id ?? keyIdOf(publicKeyPem))) return { ok: false, reason: `signed by an unknown key (${signed.keyId})` };
  let good = false;
  try {
    good = verify(null, Buffer.from(signed.bundleJson, 'utf8'), pinned(publicKeyPem).key, Buffer.from(signed.signature, 'base64'));
  } catch (err) {
    return { ok: false, reason: `signature could not be checked: ${(err as Error).message}` };
  }
  if (!good) return { ok: false, reason: 'signature does not match the part (altered or forged)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(signed.bundleJson);
  } catch (err) {
    return { ok: false, reason: `part is not JSON: ${(err as Error).message}` };
  }
  // The signature vouches for the server's checks at publish (zone names, date order): not redone here.
  const r = VerifiedPolicyPart.safeParse(parsed);
  if (!r.success) return { ok: false, reason: `part does not match its schema: ${r.error.issues[0]?.path.join('.')} ${r.error.issues[0]?.message}` };
  return { ok: true, part: r.data };
}
