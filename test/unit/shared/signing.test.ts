// Policy part signatures (shared/src/policy/signing.ts) with real Ed25519 keys. verifyPart keeps
// parsed public keys between calls; these checks show the kept key never vouches for another one.
import { describe, expect, test } from '@jest/globals';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { signPart, verifyPart } from '../../../shared/src/policy/signing.js';
import type { PolicyPart } from '../../../shared/src/policy/schema.js';

function keyPair(): { privateKey: KeyObject; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

const part = (version: number): PolicyPart =>
  ({ part: 'device', version, issuedAt: '2026-11-30T08:00:00.000Z', device: { id: 'dev_1', tags: ['eng'] }, exceptions: [] }) as PolicyPart;

describe('verifyPart', () => {
  const a = keyPair();
  const b = keyPair();

  test('accepts a part signed by the pinned key, many times over', () => {
    for (let v = 1; v <= 50; v++) {
      const r = verifyPart(signPart(part(v), a.privateKey, a.pem), a.pem);
      expect(r).toMatchObject({ ok: true, part: { version: v } });
    }
  });

  test('refuses a part signed by another key, before and after both keys were seen', () => {
    const byB = signPart(part(1), b.privateKey, b.pem);
    expect(verifyPart(byB, a.pem)).toEqual({ ok: false, reason: expect.stringContaining('unknown key') });
    expect(verifyPart(byB, b.pem).ok).toBe(true);
    // B's signature labelled with A's key id: A's kept key must check it, and refuse it.
    const relabelled = { ...byB, keyId: signPart(part(1), a.privateKey, a.pem).keyId };
    expect(verifyPart(relabelled, a.pem)).toEqual({ ok: false, reason: expect.stringContaining('does not match') });
  });

  test('refuses an altered part and a malformed key without throwing', () => {
    const good = signPart(part(2), a.privateKey, a.pem);
    expect(verifyPart({ ...good, bundleJson: good.bundleJson.replace('"eng"', '"ops"') }, a.pem)).toEqual({ ok: false, reason: expect.stringContaining('does not match') });
    const badPem = '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n';
    const labelled = { ...good, keyId: signPart(part(2), a.privateKey, badPem).keyId };
    expect(verifyPart(labelled, badPem)).toEqual({ ok: false, reason: expect.stringContaining('could not be checked') });
  });

  test('keeps working past the number of keys it keeps', () => {
    const keys = Array.from({ length: 12 }, keyPair);
    for (let round = 0; round < 2; round++) for (const k of keys) expect(verifyPart(signPart(part(3), k.privateKey, k.pem), k.pem).ok).toBe(true);
  });
});
