// The server's Ed25519 signing key for policy parts, kept in a file (mode 0600) and never in the
// database, so database access alone cannot forge a policy or a report. Agents receive the public
// key at enrollment and pin it. Every node of a cluster is given the same key file; the database
// records only the key's id (public), so a node started with another key is refused at start.
import { generateKeyPairSync, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EdictError } from '../../shared/src/errors.js';
import { keyIdOf } from '../../shared/src/policy/signing.js';
import { SECRET_FILE_MODE } from './constants.js';

export interface SigningKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  keyId: string;
  file: string;
}

/** Creates a new key file (mode 0600) if `mayCreate` and it is missing; reads and checks it. */
export function loadSigningKey(file: string, mayCreate: boolean): SigningKey {
  if (!existsSync(file)) {
    if (!mayCreate) {
      throw new EdictError('EDICT_ERR_CONFIG', `signing key ${file} does not exist: give this node the key file of the first node (signingKeyFile), agents trust only that key`);
    }
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: SECRET_FILE_MODE, flag: 'wx' });
  }
  if (process.platform !== 'win32') {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) throw new EdictError('EDICT_ERR_CONFIG', `signing key ${file} is readable by others (mode 0${mode.toString(8)}): chmod 600 it`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new EdictError('EDICT_ERR_CONFIG', `signing key ${file} cannot be read: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new EdictError('EDICT_ERR_CONFIG', `signing key ${file} is not an Ed25519 key`);
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string;
  return { privateKey, publicKeyPem, keyId: keyIdOf(publicKeyPem), file };
}
