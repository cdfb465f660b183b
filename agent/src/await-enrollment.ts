// `edict-agent run` without a usable enrollment: never enrolled, or enrollment.json was corrupt and
// set aside (the credential is lost). Exiting would make the service manager restart the agent
// forever, so it waits instead: it says so in status.json ("needs re-enrollment", with the device
// and server it had) and in its log (once, then once an hour), and starts normally as soon as
// `edict-agent enroll` writes a valid enrollment.
import { ENROLL_ENV_FILE } from './auto-enroll.js';
import { ENROLLMENT_POLL_MS, ENROLLMENT_REMINDER_MS, STATE_DIR_MODE } from './constants.js';
import type { Logger } from './log.js';
import type { StatePaths } from './paths.js';
import { loadStatus, saveStatus, type AgentStatus } from './state/agent-state.js';
import { enrollmentState, type Enrollment, type EnrollmentState } from './state/enrollment.js';
import { ensureDir } from './state/json-file.js';

export async function awaitEnrollment(paths: StatePaths, log: Logger, stopping: () => boolean, pollMs = ENROLLMENT_POLL_MS): Promise<Enrollment | undefined> {
  const first = enrollmentState(paths.enrollment, log);
  if (first.enrollment) return first.enrollment;
  ensureDir(paths.dir, STATE_DIR_MODE, log);
  // What the last run knew (device, server, pinned key), so `status` can say which device this was.
  const previous = loadStatus(paths.status, log);
  const startedAt = new Date().toISOString();
  let lastReason = '';
  let lastLogged = 0;
  for (;;) {
    if (stopping()) return undefined;
    const state: EnrollmentState = lastReason ? enrollmentState(paths.enrollment, log) : first;
    if (state.enrollment) {
      log.info({ deviceId: state.enrollment.deviceId }, 'enrollment found; starting');
      return state.enrollment;
    }
    const lost = state.problem === 'needs-re-enrollment' || (!!previous?.deviceId && state.problem === 'not-enrolled');
    const reason = lost
      ? `needs re-enrollment: ${state.detail}${previous?.deviceId ? ` (this was device ${previous.deviceId} with ${previous.serverUrl ?? 'its server'})` : ''}`
      : `not enrolled: ${state.detail}`;
    if (reason !== lastReason || Date.now() - lastLogged > ENROLLMENT_REMINDER_MS) {
      const how = `run: edict-agent enroll --server URL --token TOKEN, or put EDICT_SERVER=https://… and EDICT_ENROLL_TOKEN=… in ${ENROLL_ENV_FILE} (mode 0600) and restart the service`;
      if (lost) log.error({ stateDir: paths.dir, reason }, `this device needs re-enrollment: ${how}`);
      else log.warn({ stateDir: paths.dir, settingsFile: ENROLL_ENV_FILE }, `not enrolled and no enrollment settings: waiting. To enroll, ${how}`);
      lastLogged = Date.now();
    }
    if (reason !== lastReason) {
      const status: AgentStatus = {
        pid: process.pid,
        policyRefusals: [],
        ...(previous?.deviceId ? { deviceId: previous.deviceId } : {}),
        ...(previous?.serverUrl ? { serverUrl: previous.serverUrl } : {}),
        startedAt,
        connection: 'disconnected',
        since: startedAt,
        lastError: reason,
        lastScanAt: null,
        collectorErrors: [],
        needsEnrollment: { since: startedAt, reason, lost },
      };
      saveStatus(paths.status, status);
      lastReason = reason;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
