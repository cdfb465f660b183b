// `edict-agent enroll`: trades an enrollment token for this device's own credential and stores
// it (mode 0600) in enrollment.json with the server's policy-signing key, which the agent pins:
// it will accept only bundles signed with that key. The enrollment token itself is never stored,
// logged or put in an error message. https:// uses the agent's trust (company CA file, if any).
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import { API_PREFIX } from '../../shared/src/constants.js';
import { EdictError, isErrorCode } from '../../shared/src/errors.js';
import { describeTlsError, type Trust } from './connection/trust.js';
import { saveEnrollment, type Enrollment } from './state/enrollment.js';

const ENROLL_TIMEOUT_MS = 30_000;
const MAX_ANSWER_BYTES = 64 * 1024;

export function parseServerUrl(serverUrl: string): URL {
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    throw new EdictError('EDICT_ERR_CONFIG', `server ${JSON.stringify(serverUrl)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new EdictError('EDICT_ERR_CONFIG', `server ${url.origin}: use an https:// (or http://) URL`);
  return url;
}

function post(url: URL, body: string, trust: Trust): Promise<{ status: number; text: string; location?: string }> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: ENROLL_TIMEOUT_MS,
        ...(url.protocol === 'https:' && trust.ca ? { ca: trust.ca } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (text.length < MAX_ANSWER_BYTES) text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, location: res.headers.location }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${ENROLL_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

/** One server URL, or several separated by commas (several nodes: tried in order). */
export function parseServerUrls(list: string): URL[] {
  const urls = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseServerUrl);
  if (!urls.length) throw new EdictError('EDICT_ERR_CONFIG', 'no server URL given');
  return urls;
}

/**
 * Enrolls with the first server of `serverUrls` (one URL or a comma-separated list) that answers;
 * an unreachable or unavailable one passes to the next, a refusal (bad token) ends it. The list is
 * kept in enrollment.json so the agent fails over between the servers.
 */
export async function enroll(serverUrls: string, token: string, enrollmentFile: string, trust: Trust = {}): Promise<Enrollment> {
  const urls = parseServerUrls(serverUrls);
  for (let i = 0; ; i++) {
    try {
      const e = await enrollWith(urls[i], token, trust, urls.length > 1 ? urls.map((u) => u.toString().replace(/\/$/, '')) : undefined);
      saveEnrollment(enrollmentFile, e);
      return e;
    } catch (err) {
      const code = (err as EdictError).code;
      const passOn = code === 'EDICT_ERR_SERVER_UNREACHABLE' || code === 'EDICT_ERR_UNAVAILABLE' || code === 'EDICT_ERR_TOO_MANY_CONNECTIONS';
      if (!passOn || i === urls.length - 1) throw err;
    }
  }
}

async function enrollWith(url: URL, token: string, trust: Trust, all: string[] | undefined): Promise<Enrollment> {
  let res: { status: number; text: string; location?: string };
  try {
    res = await post(new URL(`${API_PREFIX}/enroll`, url), JSON.stringify({ token, hostname: os.hostname() }), trust);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new EdictError('EDICT_ERR_SERVER_UNREACHABLE', `${url.origin}: ${describeTlsError(err, trust) ?? (e.code ? `${e.code} ${e.message}` : e.message)}`);
  }
  // A non-JSON answer (a proxy's error page, another service on that port) leaves the body empty;
  // the status code below then says what happened.
  let body: {
    deviceId?: string;
    credential?: string;
    serverPublicKey?: string;
    keyId?: string;
    error?: { code?: string; message?: string };
  } = {};
  try {
    body = JSON.parse(res.text) ?? {};
  } catch {
    body = {};
  }
  const ok = res.status >= 200 && res.status < 300;
  if (!ok || !body.deviceId || !body.credential || !body.serverPublicKey || !body.keyId) {
    const code = body.error?.code && isErrorCode(body.error.code) ? body.error.code : 'EDICT_ERR_INTERNAL';
    // Enrollment is never sent on to another address (the token would follow): say where to point instead.
    if (res.status >= 300 && res.status < 400 && res.location) {
      throw new EdictError('EDICT_ERR_CONFIG', `server ${url.origin} redirects to ${new URL(res.location, url).origin}: use that URL`);
    }
    throw new EdictError(code, `server answered ${res.status}${body.error?.message ? `: ${body.error.message}` : body.error ? '' : ' without an Edict answer (is this the Edict server URL?)'}`);
  }
  const enrollment: Enrollment = {
    serverUrl: url.toString().replace(/\/$/, ''),
    deviceId: body.deviceId,
    credential: body.credential,
    enrolledAt: new Date().toISOString(),
    serverPublicKey: body.serverPublicKey,
    keyId: body.keyId,
    ...(all ? { serverUrls: all } : {}),
  };
  return enrollment;
}
