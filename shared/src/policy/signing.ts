// Ed25519 signatures over policy bundles. The server signs the exact JSON text of each bundle;
// the agent verifies it with the public key it pinned at enrollment, then parses. Verifying the
// bytes (not a re-serialised object) means no canonical-JSON rules are needed.
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { PolicyBundle, type SignedBundle } from './schema.js';

export function keyIdOf(publicKeyPem: string): string {
  return createHash('sha256').update(publicKeyPem.trim()).digest('hex').slice(0, 16);
}

export function signBundle(bundle: PolicyBundle, privateKey: KeyObject, publicKeyPem: string): SignedBundle {
  const bundleJson = JSON.stringify(bundle);
  return { bundleJson, signature: sign(null, Buffer.from(bundleJson, 'utf8'), privateKey).toString('base64'), keyId: keyIdOf(publicKeyPem) };
}

export type VerifyResult = { ok: true; bundle: PolicyBundle } | { ok: false; reason: string };

/** Checks key id, signature and schema; never throws. */
export function verifyBundle(signed: SignedBundle, publicKeyPem: string): VerifyResult {
  if (signed.keyId !== keyIdOf(publicKeyPem)) return { ok: false, reason: `signed by an unknown key (${signed.keyId})` };
  let good = false;
  try {
    good = verify(null, Buffer.from(signed.bundleJson, 'utf8'), createPublicKey(publicKeyPem), Buffer.from(signed.signature, 'base64'));
  } catch (err) {
    return { ok: false, reason: `signature could not be checked: ${(err as Error).message}` };
  }
  if (!good) return { ok: false, reason: 'signature does not match the bundle (altered or forged)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(signed.bundleJson);
  } catch (err) {
    return { ok: false, reason: `bundle is not JSON: ${(err as Error).message}` };
  }
  const r = PolicyBundle.safeParse(parsed);
  if (!r.success) return { ok: false, reason: `bundle does not match its schema: ${r.error.issues[0]?.path.join('.')} ${r.error.issues[0]?.message}` };
  return { ok: true, bundle: r.data };
}
