// enrollment.json: which server this agent belongs to and its device credential (mode 0600).
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

export function loadEnrollment(file: string, log?: Logger): Enrollment | undefined {
  return readJsonFile(file, Enrollment, log);
}

export function saveEnrollment(file: string, e: Enrollment): void {
  writeJsonAtomic(file, e);
}
