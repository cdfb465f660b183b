// `edict-agent enroll`: trades an enrollment token for this device's own credential and stores
// it (mode 0600) in enrollment.json with the server's policy-signing key, which the agent pins:
// it will accept only bundles signed with that key. The enrollment token itself is never stored.
import os from 'node:os';
import { API_PREFIX } from '../../shared/src/constants.js';
import { EdictError, isErrorCode } from '../../shared/src/errors.js';
import { saveEnrollment, type Enrollment } from './state/enrollment.js';

export async function enroll(serverUrl: string, token: string, enrollmentFile: string): Promise<Enrollment> {
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    throw new EdictError('EDICT_ERR_CONFIG', `--server ${serverUrl} is not a URL`);
  }
  let res: Response;
  try {
    res = await fetch(new URL(`${API_PREFIX}/enroll`, url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, hostname: os.hostname() }),
    });
  } catch (err) {
    throw new EdictError('EDICT_ERR_SERVER_UNREACHABLE', `${url.origin}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  // A non-JSON answer (a proxy's error page, another service on that port) leaves the body empty;
  // the status code below then says what happened.
  const body = (await res.json().catch(() => ({}))) as {
    deviceId?: string;
    credential?: string;
    serverPublicKey?: string;
    keyId?: string;
    error?: { code?: string; message?: string };
  };
  if (!res.ok || !body.deviceId || !body.credential || !body.serverPublicKey || !body.keyId) {
    const code = body.error?.code && isErrorCode(body.error.code) ? body.error.code : 'EDICT_ERR_INTERNAL';
    throw new EdictError(code, `server answered ${res.status}${body.error?.message ? `: ${body.error.message}` : body.error ? '' : ' without an Edict answer (is this the Edict server URL?)'}`);
  }
  const enrollment: Enrollment = {
    serverUrl: url.toString().replace(/\/$/, ''),
    deviceId: body.deviceId,
    credential: body.credential,
    enrolledAt: new Date().toISOString(),
    serverPublicKey: body.serverPublicKey,
    keyId: body.keyId,
  };
  saveEnrollment(enrollmentFile, enrollment);
  return enrollment;
}
