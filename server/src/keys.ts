// The server's Ed25519 signing key for policy bundles, made at first start and kept in the data
// folder (private key mode 0600). Agents receive the public key at enrollment and pin it.
import { generateKeyPairSync, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EdictError } from '../../shared/src/errors.js';
import { keyIdOf } from '../../shared/src/policy/signing.js';
import { SECRET_FILE_MODE } from './constants.js';

export interface SigningKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  keyId: string;
}

export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  const file = path.join(dataDir, 'signing-key.pem');
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: SECRET_FILE_MODE });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new EdictError('EDICT_ERR_CONFIG', `signing key ${file} cannot be read: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new EdictError('EDICT_ERR_CONFIG', `signing key ${file} is not an Ed25519 key`);
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string;
  return { privateKey, publicKeyPem, keyId: keyIdOf(publicKeyPem) };
}
