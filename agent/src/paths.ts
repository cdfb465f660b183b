// Where the agent keeps its state. One folder holds everything the agent knows and has sent, in
// readable files: enrollment, policy cache, outbox, sent-message log, status. As a service (root)
// it is /var/lib/edict-agent; for a normal user ~/.local/state/edict-agent. --state-dir overrides.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PART_NAMES, type PartName } from '../../shared/src/policy/schema.js';

export const SYSTEM_STATE_DIR = '/var/lib/edict-agent';

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EDICT_AGENT_STATE_DIR) return path.resolve(env.EDICT_AGENT_STATE_DIR);
  if (process.platform !== 'win32' && process.getuid?.() === 0) return SYSTEM_STATE_DIR;
  // An employee running `status`, `ack` or `request-exception` talks to the machine's service agent
  // (the folder itself is enough: an employee who cannot look inside is told so, not "not enrolled").
  if (process.platform !== 'win32' && existsSync(SYSTEM_STATE_DIR)) return SYSTEM_STATE_DIR;
  if (process.platform === 'win32') return path.join(env.ProgramData ?? 'C:\\ProgramData', 'Edict', 'agent');
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'edict-agent');
}

export interface StatePaths {
  dir: string;
  config: string;
  enrollment: string;
  /** The three signed policy parts the agent holds, each with the previous good one beside it. */
  policyParts: Record<PartName, { current: string; previous: string }>;
  /** Where protocol 1 kept one combined bundle (no longer read; removed when found). */
  legacyPolicy: string[];
  clock: string;
  notices: string;
  detections: string;
  /** Content fingerprints of executables (hash, markers) by file version: not recomputed after a restart. */
  fingerprints: string;
  status: string;
  sentLog: string;
  outbox: string;
}

export function statePaths(dir: string): StatePaths {
  return {
    dir,
    config: path.join(dir, 'agent.json'),
    enrollment: path.join(dir, 'enrollment.json'),
    policyParts: Object.fromEntries(
      PART_NAMES.map((p) => [p, { current: path.join(dir, `policy-${p}.json`), previous: path.join(dir, `policy-${p}.prev.json`) }]),
    ) as StatePaths['policyParts'],
    legacyPolicy: [path.join(dir, 'policy.json'), path.join(dir, 'policy.prev.json')],
    clock: path.join(dir, 'clock.json'),
    notices: path.join(dir, 'notices.json'),
    detections: path.join(dir, 'detections.json'),
    fingerprints: path.join(dir, 'fingerprints.json'),
    status: path.join(dir, 'status.json'),
    sentLog: path.join(dir, 'sent.jsonl'),
    outbox: path.join(dir, 'outbox'),
  };
}
