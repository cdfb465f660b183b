// Small state files the agent keeps besides the outbox: the cached policy bundle, the clock offset
// from server time, the detections it currently knows (to report only changes), and the status
// the run loop publishes for `edict-agent status`.
import { copyFileSync, existsSync } from 'node:fs';
import { z } from 'zod';
import { Detection, Stage } from '../../../shared/src/protocol/index.js';
import { SignedBundle, type PolicyBundle } from '../../../shared/src/policy/schema.js';
import { verifyBundle } from '../../../shared/src/policy/signing.js';
import type { Logger } from '../log.js';
import { readJsonFile, writeJsonAtomic } from './json-file.js';

export const ClockState = z.strictObject({
  /** serverTime - localTime, in ms, measured at the last welcome (fallback after a reboot). */
  offsetMs: z.number(),
  measuredAt: z.iso.datetime({ offset: true }),
  /** Server time and time-since-boot at that welcome: the anchor a moved wall clock cannot shift. */
  serverTimeAtSyncMs: z.number(),
  uptimeAtSyncMs: z.number(),
  bootId: z.string().optional(),
});
export type ClockState = z.infer<typeof ClockState>;

export const KnownDetection = z.strictObject({
  detection: Detection,
  firstSeen: z.iso.datetime({ offset: true }),
  lastSeen: z.iso.datetime({ offset: true }),
  /** Stage last reported to the server for this detection. */
  stage: Stage,
});
export type KnownDetection = z.infer<typeof KnownDetection>;
export const KnownDetections = z.record(z.string(), KnownDetection);

export const PolicyRefusal = z.strictObject({ at: z.iso.datetime({ offset: true }), source: z.string(), reason: z.string() });
export type PolicyRefusal = z.infer<typeof PolicyRefusal>;

export const AgentStatus = z.strictObject({
  pid: z.number().int(),
  /** The last refused policy bundles (unsigned, altered, older, another device's), newest last. */
  policyRefusals: z.array(PolicyRefusal).max(20).default([]),
  /** Shown to employees, who cannot read enrollment.json (it holds the credential). */
  deviceId: z.string().optional(),
  serverUrl: z.string().optional(),
  /** The pinned policy-signing key (public), so `status` run by anyone can verify the bundle. */
  serverPublicKey: z.string().optional(),
  startedAt: z.iso.datetime({ offset: true }),
  connection: z.enum(['connecting', 'connected', 'disconnected']),
  since: z.iso.datetime({ offset: true }),
  lastError: z.string().nullable(),
  lastScanAt: z.iso.datetime({ offset: true }).nullable(),
});
export type AgentStatus = z.infer<typeof AgentStatus>;

/**
 * The newest policy bundle on disk that verifies against the pinned key: policy.json, else the
 * previous good one (policy.prev.json). Every file refused is reported through `refuse`.
 */
export function loadVerifiedPolicy(
  files: { current: string; previous: string },
  publicKeyPem: string | undefined,
  refuse: (source: string, reason: string) => void,
  log?: Logger,
): { bundle: PolicyBundle; signed: SignedBundle } | undefined {
  for (const file of [files.current, files.previous]) {
    if (!existsSync(file)) continue;
    const signed = readJsonFile(file, SignedBundle, log, false);
    if (!signed) {
      refuse(file, 'not a signed policy bundle (unsigned or unreadable)');
      continue;
    }
    if (!publicKeyPem) {
      refuse(file, 'no pinned server key (enroll again)');
      continue;
    }
    const v = verifyBundle(signed, publicKeyPem);
    if (v.ok) return { bundle: v.bundle, signed };
    refuse(file, v.reason);
  }
  return undefined;
}

/** Keeps the bundle in force as policy.prev.json, then writes the new one as policy.json. */
export function savePolicy(files: { current: string; previous: string }, signed: SignedBundle): void {
  if (existsSync(files.current)) copyFileSync(files.current, files.previous);
  writeJsonAtomic(files.current, signed, 0o644);
}
export function loadClock(file: string, log?: Logger): ClockState | undefined {
  return readJsonFile(file, ClockState, log);
}
export function saveClock(file: string, c: ClockState): void {
  writeJsonAtomic(file, c, 0o644);
}
export function loadKnown(file: string, log?: Logger): Record<string, KnownDetection> {
  return readJsonFile(file, KnownDetections, log) ?? {};
}
export function saveKnown(file: string, known: Record<string, KnownDetection>): void {
  writeJsonAtomic(file, known); // every user's findings: the agent's eyes only (employees read their own view)
}
export function loadStatus(file: string, log?: Logger): AgentStatus | undefined {
  return readJsonFile(file, AgentStatus, log);
}
export function saveStatus(file: string, s: AgentStatus): void {
  writeJsonAtomic(file, s, 0o644);
}
