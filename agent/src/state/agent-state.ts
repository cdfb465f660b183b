// Small state files the agent keeps besides the outbox: the cached policy parts, the clock offset
// from server time, the detections it currently knows (to report only changes), and the status
// the run loop publishes for `edict-agent status`.
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { CollectorError, Detection, Stage } from '../../../shared/src/protocol/index.js';
import { BUILTIN_CATALOG } from '../../../shared/src/catalog/builtin.js';
import {
  PART_NAMES,
  SignedBundle,
  type CatalogPart,
  type DevicePart,
  type PartName,
  type PartVersions,
  type PoliciesPart,
  type PolicyBundle,
} from '../../../shared/src/policy/schema.js';
import { verifyPart } from '../../../shared/src/policy/signing.js';
import type { StatePaths } from '../paths.js';
import type { Logger } from '../log.js';
import { readJsonFile, writeFileAtomic, writeJsonAtomic } from './json-file.js';

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
  /** Collectors whose last run did not complete (the same list the heartbeat carries). */
  collectorErrors: z.array(CollectorError).default([]),
  /** Set while the agent waits for an enrollment (none yet, or the credential was lost). */
  needsEnrollment: z.strictObject({ since: z.iso.datetime({ offset: true }), reason: z.string(), lost: z.boolean() }).optional(),
  /** The last time the outbox bound dropped events (reported to the server as a gap). */
  lastOutboxGap: z.strictObject({ at: z.iso.datetime({ offset: true }), dropped: z.number().int().positive() }).optional(),
});
export type AgentStatus = z.infer<typeof AgentStatus>;

/**
 * The policy the agent enforces, from the three signed part files on disk (each: the current file,
 * else the previous good one) that verify against the pinned key, a device part only if it names
 * this device. Needs the policies and device parts; without a catalog part the built-in catalog is
 * used. Every file refused is reported through `refuse`.
 */
export function loadVerifiedPolicy(
  paths: Pick<StatePaths, 'policyParts'>,
  publicKeyPem: string | undefined,
  refuse: (source: string, reason: string) => void,
  log?: Logger,
  deviceId?: string,
): { bundle: PolicyBundle; parts: HeldParts } | undefined {
  const parts: HeldParts = {};
  for (const name of PART_NAMES) {
    const files = paths.policyParts[name];
    for (const file of [files.current, files.previous]) {
      if (!existsSync(file)) continue;
      const signed = readJsonFile(file, SignedBundle, log, false);
      if (!signed) {
        refuse(file, 'not a signed policy part (unsigned or unreadable)');
        continue;
      }
      if (!publicKeyPem) {
        refuse(file, 'no pinned server key (enroll again)');
        continue;
      }
      const v = verifyPart(signed, publicKeyPem);
      if (!v.ok) {
        refuse(file, v.reason);
        continue;
      }
      if (v.part.part !== name) {
        refuse(file, `holds the ${v.part.part} part, not the ${name} part`);
        continue;
      }
      if (v.part.part === 'device' && deviceId && v.part.device.id !== deviceId) {
        refuse(file, `made for device ${v.part.device.id}`);
        continue;
      }
      (parts as Record<string, unknown>)[name] = { part: v.part, signed };
      break;
    }
  }
  const bundle = combineParts(parts);
  return bundle ? { bundle, parts } : undefined;
}

/** The parts the agent holds, each verified, with the exact signed text it came in. */
export interface HeldParts {
  catalog?: { part: CatalogPart; signed: SignedBundle };
  policies?: { part: PoliciesPart; signed: SignedBundle };
  device?: { part: DevicePart; signed: SignedBundle };
}

/** What the agent enforces, from the parts it holds (policies and device parts needed). */
export function combineParts(parts: HeldParts): PolicyBundle | undefined {
  if (!parts.policies || !parts.device) return undefined;
  return {
    version: parts.policies.part.version,
    issuedAt: parts.policies.part.issuedAt,
    device: parts.device.part.device,
    policies: parts.policies.part.policies,
    catalog: parts.catalog?.part.tools ?? BUILTIN_CATALOG,
    exceptions: parts.device.part.exceptions,
    parts: heldVersions(parts),
  };
}

export function heldVersions(parts: HeldParts): PartVersions {
  return { catalog: parts.catalog?.part.version ?? null, policies: parts.policies?.part.version ?? null, device: parts.device?.part.version ?? null };
}

/** Keeps the part in force as its .prev file, then writes the new one. */
export function savePart(paths: Pick<StatePaths, 'policyParts'>, name: PartName, signed: SignedBundle): void {
  const files = paths.policyParts[name];
  // Copied by content (atomically): a folder or link at either name is set aside, never written through.
  if (existsSync(files.current) && lstatSync(files.current).isFile()) writeFileAtomic(files.previous, readFileSync(files.current, 'utf8'), 0o644);
  writeJsonAtomic(files.current, signed, 0o644);
}

export function loadClock(file: string, log?: Logger, moveAside = true): ClockState | undefined {
  return readJsonFile(file, ClockState, log, moveAside);
}
export function saveClock(file: string, c: ClockState): void {
  writeJsonAtomic(file, c, 0o644);
}
export function loadKnown(file: string, log?: Logger, moveAside = true): Record<string, KnownDetection> {
  return readJsonFile(file, KnownDetections, log, moveAside) ?? {};
}
export function saveKnown(file: string, known: Record<string, KnownDetection>): void {
  // Every user's findings: the agent's eyes only (employees read their own view). Not fsynced: lost,
  // it only makes the agent report a finding's state once more (the server ignores the repeat).
  writeJsonAtomic(file, known, undefined, { durable: false });
}
export function loadStatus(file: string, log?: Logger, moveAside = true): AgentStatus | undefined {
  return readJsonFile(file, AgentStatus, log, moveAside);
}
export function saveStatus(file: string, s: AgentStatus): void {
  writeJsonAtomic(file, s, 0o644, { durable: false }); // rewritten as the agent runs
}
