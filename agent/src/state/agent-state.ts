// Small state files the agent keeps besides the outbox: the cached policy bundle, the clock offset
// from server time, the detections it currently knows (to report only changes), and the status
// the run loop publishes for `edict-agent status`.
import { z } from 'zod';
import { Detection, Stage } from '../../../shared/src/protocol/index.js';
import { PolicyBundle } from '../../../shared/src/policy/schema.js';
import type { Logger } from '../log.js';
import { readJsonFile, writeJsonAtomic } from './json-file.js';

export const ClockState = z.strictObject({
  /** serverTime - localTime, in ms, measured at the last welcome. */
  offsetMs: z.number(),
  measuredAt: z.iso.datetime({ offset: true }),
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

export const AgentStatus = z.strictObject({
  pid: z.number().int(),
  startedAt: z.iso.datetime({ offset: true }),
  connection: z.enum(['connecting', 'connected', 'disconnected']),
  since: z.iso.datetime({ offset: true }),
  lastError: z.string().nullable(),
  lastScanAt: z.iso.datetime({ offset: true }).nullable(),
});
export type AgentStatus = z.infer<typeof AgentStatus>;

export function loadPolicy(file: string, log?: Logger): PolicyBundle | undefined {
  return readJsonFile(file, PolicyBundle, log);
}
export function savePolicy(file: string, bundle: PolicyBundle): void {
  writeJsonAtomic(file, bundle, 0o644);
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
  writeJsonAtomic(file, known);
}
export function loadStatus(file: string, log?: Logger): AgentStatus | undefined {
  return readJsonFile(file, AgentStatus, log);
}
export function saveStatus(file: string, s: AgentStatus): void {
  writeJsonAtomic(file, s, 0o644);
}
