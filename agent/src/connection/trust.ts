// Which certificate authorities the agent trusts for https:// and wss:// to its server: Node's
// built-in public roots plus, when the config names one (`caFile`, or EDICT_CA_FILE from the
// service's environment file), a company CA file in PEM. The extra file adds to the roots; it
// never replaces them. A missing or non-PEM file is a config error, reported once at start.
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { EdictError } from '../../../shared/src/errors.js';

export interface Trust {
  /** The CA list for https.request / ws, or undefined for Node's defaults. */
  ca?: string[];
  /** The extra CA file in use, for messages. */
  caFile?: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function loadTrust(caFile: string | undefined): Trust {
  if (!caFile) return {};
  let text: string;
  try {
    text = readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new EdictError('EDICT_ERR_CONFIG', `caFile ${caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (!blocks.length) throw new EdictError('EDICT_ERR_CONFIG', `caFile ${caFile}: no PEM certificate in the file`);
  for (const [i, b] of blocks.entries()) {
    try {
      new X509Certificate(b);
    } catch (err) {
      throw new EdictError('EDICT_ERR_CONFIG', `caFile ${caFile}: certificate ${i + 1} is not valid: ${(err as Error).message}`);
    }
  }
  return { ca: [...tls.rootCertificates, ...blocks], caFile };
}

/** Explains a TLS failure in one line an admin can act on. */
export function describeTlsError(err: unknown, trust: Trust): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (!/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS/.test(code)) return undefined;
  return trust.caFile
    ? `TLS certificate not trusted (${code}) even with caFile ${trust.caFile}: is it the CA that signed the server's certificate?`
    : `TLS certificate not trusted (${code}): if your company uses its own CA, give its PEM file as caFile in the agent config (or EDICT_CA_FILE)`;
}
