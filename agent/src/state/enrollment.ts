// enrollment.json: which server this agent belongs to and its device credential (mode 0600). A
// corrupt one is set aside like any state file; `enrollmentState` then tells "never enrolled" from
// "the credential was lost" (a set-aside copy is there), which needs re-enrollment.
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { readJsonFile, writeJsonAtomic } from './json-file.js';

export const Enrollment = z.strictObject({
  serverUrl: z.url(),
  deviceId: z.string().min(1),
  credential: z.string().min(1),
  enrolledAt: z.iso.datetime({ offset: true }),
  /** The server's policy-signing public key (PEM), pinned at enrollment. */
  serverPublicKey: z.string().min(1).max(2000),
  keyId: z.string().min(1).max(64),
  /** Every server URL given at enrollment (several nodes), serverUrl among them; the agent fails over between them. */
  serverUrls: z.array(z.url()).max(16).optional(),
});
export type Enrollment = z.infer<typeof Enrollment>;

export function loadEnrollment(file: string, log?: Logger, moveAside = true): Enrollment | undefined {
  return readJsonFile(file, Enrollment, log, moveAside);
}

export function saveEnrollment(file: string, e: Enrollment): void {
  writeJsonAtomic(file, e);
}

export type EnrollmentState =
  | { enrollment: Enrollment }
  | { enrollment?: undefined; problem: 'not-enrolled' | 'needs-re-enrollment' | 'unreadable'; detail: string };

/**
 * The enrollment, or why there is none, in words for `status` and the log. `readOnly` (for
 * `status`) leaves a corrupt file where it is: the agent itself sets it aside.
 */
export function enrollmentState(file: string, log?: Logger, readOnly = false): EnrollmentState {
  const enrollment = loadEnrollment(file, log, !readOnly);
  if (enrollment) return { enrollment };
  if (readOnly && existsSync(file)) {
    try {
      accessSync(file, constants.R_OK);
      return { problem: 'needs-re-enrollment', detail: `${path.basename(file)} is unreadable (truncated or corrupt): the device credential is lost` };
    } catch {
      // not readable by this user (an employee): says nothing about its content
    }
  }
  try {
    accessSync(path.dirname(file), constants.X_OK);
  } catch {
    return { problem: 'unreadable', detail: `cannot look into ${path.dirname(file)} (permission denied)` };
  }
  const lost = setAsideCopies(file);
  if (lost.length) {
    return {
      problem: 'needs-re-enrollment',
      detail: `${path.basename(file)} was unreadable (truncated or corrupt) and was set aside as ${lost[lost.length - 1]}: the device credential is lost`,
    };
  }
  return { problem: 'not-enrolled', detail: `no ${path.basename(file)} in ${path.dirname(file)}` };
}

/** `enrollment.json.corrupt-<time>` copies, oldest first ([] when the folder cannot be listed). */
function setAsideCopies(file: string): string[] {
  try {
    return readdirSync(path.dirname(file))
      .filter((f) => f.startsWith(path.basename(file) + '.corrupt-'))
      .sort();
  } catch {
    return []; // the folder cannot be listed by this user: nothing known about earlier copies
  }
}
