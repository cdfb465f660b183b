// The employee's side of `edict-agent ack` / `request-exception`: checks what it can before
// writing (a tool no policy in force names, the hourly limit, a state folder it cannot reach), hands
// the request to the agent through the spool, then waits a little for the agent's verdict in the
// user's own request list, so the command can say "sent", or "refused, and why", or "waiting for
// the agent". Every refusal is an EdictError (exit status 1) with the reason in words.
import { accessSync, constants } from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { EdictError } from '../../../shared/src/errors.js';
import type { StatePaths } from '../paths.js';
import { loadStatus, loadVerifiedPolicy } from '../state/agent-state.js';
import { loadEnrollment } from '../state/enrollment.js';
import { readJsonFile } from '../state/json-file.js';
import { RequestResult, viewPaths } from '../state/user-views.js';
import { MAX_REQUESTS_PER_USER_PER_HOUR, REQUEST_WINDOW_MS } from './rate-limit.js';
import { writeRequest, type NewRequest } from './spool.js';

/** How long the command waits for the agent to take the request (it looks every few seconds). */
export const VERDICT_WAIT_MS = 20_000;
const VERDICT_POLL_MS = 250;

export type SubmitOutcome = { outcome: 'accepted' } | { outcome: 'waiting'; why: string };

export async function submitRequest(paths: StatePaths, req: NewRequest, waitMs = VERDICT_WAIT_MS): Promise<SubmitOutcome> {
  try {
    accessSync(paths.dir, constants.X_OK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new EdictError('EDICT_ERR_REQUEST_REFUSED', `the Edict agent's state folder ${paths.dir} does not exist: is the agent installed?`);
    throw new EdictError('EDICT_ERR_STATE_UNREADABLE', `cannot reach the Edict agent's state folder ${paths.dir} (permission denied)`);
  }
  const status = loadStatus(paths.status, undefined, false);
  const key = loadEnrollment(paths.enrollment, undefined, false)?.serverPublicKey ?? status?.serverPublicKey;
  const bundle = loadVerifiedPolicy(paths, key, () => {}, undefined, status?.deviceId)?.bundle;
  if (!bundle) throw new EdictError('EDICT_ERR_REQUEST_REFUSED', 'this device has no policy from the server yet: there is nothing to acknowledge or to ask an exception for');
  const named = [...new Set(bundle.policies.flatMap((p) => p.tools))].sort();
  if (!named.includes(req.toolId)) {
    throw new EdictError(
      'EDICT_ERR_REQUEST_REFUSED',
      `no policy in force on this device names "${req.toolId}"${named.length ? ` (the bans here name: ${named.join(', ')})` : ' (no ban is in force here)'}`,
    );
  }
  const me = os.userInfo().username;
  const resultsFile = viewPaths(paths.dir, me).requests!;
  const results = () => readJsonFile(resultsFile, z.array(RequestResult), undefined, false) ?? [];
  const now = Date.now();
  const recent = results().filter((r) => r.accepted && now - Date.parse(r.at) < REQUEST_WINDOW_MS).sort((a, b) => (a.at < b.at ? -1 : 1));
  if (recent.length >= MAX_REQUESTS_PER_USER_PER_HOUR) {
    const next = new Date(Date.parse(recent[recent.length - MAX_REQUESTS_PER_USER_PER_HOUR]!.at) + REQUEST_WINDOW_MS);
    throw new EdictError('EDICT_ERR_REQUEST_REFUSED', `you made ${recent.length} requests in the last hour (at most ${MAX_REQUESTS_PER_USER_PER_HOUR}); try again after ${next.toISOString()}`);
  }
  let written: ReturnType<typeof writeRequest>;
  try {
    written = writeRequest(paths.dir, req);
  } catch (err) {
    throw new EdictError('EDICT_ERR_REQUEST_REFUSED', (err as Error).message);
  }
  if (!status || !alive(status.pid) || status.needsEnrollment) {
    return { outcome: 'waiting', why: 'the Edict agent is not running right now; it takes your request when it starts' };
  }
  const id = written.request.requestId;
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const r = results().find((x) => x.requestId === id);
    if (r?.accepted) return { outcome: 'accepted' };
    if (r) throw new EdictError('EDICT_ERR_REQUEST_REFUSED', r.reason ?? 'refused by the agent');
    await new Promise((res) => setTimeout(res, VERDICT_POLL_MS));
  }
  return { outcome: 'waiting', why: 'the agent has not taken it yet; it will send it shortly' };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by the agent's user
  }
}
