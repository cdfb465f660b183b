// Unattended enrollment for `edict-agent run` as a service: when the state folder holds no
// enrollment, the agent enrolls itself from EDICT_SERVER and EDICT_ENROLL_TOKEN (the packages put
// them in /etc/edict/agent.env, read by the service unit). An unreachable server is retried with
// backoff forever; no settings means it waits, saying so (await-enrollment.ts). The token is
// removed from the process environment at once (children never inherit it) and never reaches a
// log line.
import { EdictError } from '../../shared/src/errors.js';
import { Backoff } from './connection/backoff.js';
import type { Trust } from './connection/trust.js';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS } from './constants.js';
import { enroll, parseServerUrls } from './enroll.js';
import type { Logger } from './log.js';
import type { Enrollment } from './state/enrollment.js';

export const ENROLL_ENV_FILE = '/etc/edict/agent.env';

export interface EnrollSettings {
  server: string;
  token: string;
}

/** Takes EDICT_SERVER / EDICT_ENROLL_TOKEN out of `env` (the token is deleted from it either way). */
export function takeEnrollSettings(env: NodeJS.ProcessEnv = process.env): EnrollSettings | undefined {
  const server = env.EDICT_SERVER?.trim();
  const token = env.EDICT_ENROLL_TOKEN?.trim();
  delete env.EDICT_ENROLL_TOKEN;
  if (!server && !token) return undefined;
  if (!server || !token) {
    throw new EdictError('EDICT_ERR_CONFIG', `${server ? 'EDICT_ENROLL_TOKEN' : 'EDICT_SERVER'} is empty or missing while ${server ? 'EDICT_SERVER' : 'EDICT_ENROLL_TOKEN'} is set (both are needed to enroll)`);
  }
  parseServerUrls(server); // a malformed URL is a config error now, not a retry loop
  return { server, token };
}

/** Waits until `signal` aborts; used when there is nothing to do but wait for a restart. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Enrolls, retrying every failure with capped, jittered backoff (a refused token is retried too,
 * slowly: the admin may raise its use count or the clock may be off). Returns undefined when
 * `signal` aborts first.
 */
export async function enrollUntilDone(
  settings: EnrollSettings,
  enrollmentFile: string,
  trust: Trust,
  log: Logger,
  signal: AbortSignal,
  backoff = new Backoff(BACKOFF_BASE_MS, BACKOFF_CAP_MS),
): Promise<Enrollment | undefined> {
  const origin = parseServerUrls(settings.server).map((u) => u.origin).join(', ');
  log.info({ server: origin }, 'not enrolled yet: enrolling with the server from EDICT_SERVER / EDICT_ENROLL_TOKEN');
  while (!signal.aborted) {
    try {
      const e = await enroll(settings.server, settings.token, enrollmentFile, trust);
      log.info({ deviceId: e.deviceId, server: origin }, 'enrolled');
      return e;
    } catch (err) {
      const e = err instanceof EdictError ? err : new EdictError('EDICT_ERR_INTERNAL', (err as Error).message);
      if (e.code === 'EDICT_ERR_CONFIG') throw e;
      const delayMs = backoff.next();
      const level = e.code === 'EDICT_ERR_SERVER_UNREACHABLE' ? 'warn' : 'error';
      log[level]({ code: e.code, reason: e.message, retryInMs: delayMs, attempt: backoff.attempts }, 'enrollment failed; will retry');
      await sleep(delayMs, signal);
    }
  }
  return undefined;
}
