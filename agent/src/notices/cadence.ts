// Decides whether a notice is due for one (tool, user): one when the stage changes, then reminders
// at the policy's cadence (default daily; every 4 h in the last 3 days before enforcement), never
// more than one per cadence window, nothing in `monitor` or for action `report`, and nothing once
// the user acknowledged until the stage changes again. Pure: the clock and the last-shown state
// are inputs; the state is small JSON the caller persists (NoticeState, NoticeLedger).
import { z } from 'zod';
import type { NoticeAction, NoticeStage } from './render.js';

const HOUR = 3_600_000;
/** Policy default: one reminder a day is noticeable without being a nuisance. */
export const DEFAULT_REMINDER_EVERY_MS = 24 * HOUR;
/** Policy default: in the last days before enforcement the date matters most, so remind more often. */
export const DEFAULT_FINAL_EVERY_MS = 4 * HOUR;
/** Policy default: "the last three days" before the enforce date. */
export const DEFAULT_FINAL_WINDOW_MS = 72 * HOUR;
/** Floor for any configured cadence: a mistyped policy (e.g. 60 ms) must never flood a desktop. */
export const MIN_REMINDER_EVERY_MS = 15 * 60_000;
/** Stage changes are shown at once, but two within this gap (a policy edited back and forth) are merged. */
export const MIN_STAGE_NOTICE_GAP_MS = 5 * 60_000;

export const NoticeState = z.strictObject({
  /** Stage of the last notice shown. */
  stage: z.enum(['monitor', 'notice', 'enforce', 'hard']),
  /** When the last notice (stage change or reminder) was shown. */
  lastShownAt: z.iso.datetime(),
  /** Set when the user acknowledged during `stage`; cleared by a stage change. */
  acknowledgedAt: z.iso.datetime().optional(),
});
export type NoticeState = z.infer<typeof NoticeState>;

/** Persistable map of NoticeState by ledgerKey(toolId, user). */
export const NoticeLedger = z.record(z.string(), NoticeState);
export type NoticeLedger = z.infer<typeof NoticeLedger>;

export function ledgerKey(toolId: string, user: string): string {
  return `${toolId}\u0000${user}`;
}

export interface Cadence {
  reminderEveryMs?: number;
  finalEveryMs?: number;
  finalWindowMs?: number;
}

export interface CadenceInput {
  state: NoticeState | undefined;
  now: Date;
  stage: NoticeStage;
  action: NoticeAction;
  /** ISO UTC instant of the enforce date. */
  effectiveInstant: string;
  cadence?: Cadence;
}

export interface CadenceDecision {
  due: boolean;
  /** What to show when due. */
  kind?: 'stage-change' | 'reminder';
  /** When the next notice becomes due if nothing changes; null when none will (silent stage, acknowledged). */
  nextDueAt: string | null;
  /** Why, for logs and `status`. */
  why: 'silent-stage' | 'report-only' | 'stage-changed' | 'acknowledged' | 'reminder-due' | 'waiting';
}

export function decideNotice(input: CadenceInput): CadenceDecision {
  const { state, now, stage } = input;
  const nowMs = now.getTime();
  if (stage === 'monitor') return { due: false, nextDueAt: null, why: 'silent-stage' };
  if (input.action === 'report') return { due: false, nextDueAt: null, why: 'report-only' };

  // The clock may have gone back (corrected against the server): a "last shown" in the future counts as now.
  const lastMs = state ? Math.min(Date.parse(state.lastShownAt), nowMs) : undefined;

  if (!state || state.stage !== stage) {
    const at = lastMs === undefined ? nowMs : Math.max(nowMs, lastMs + MIN_STAGE_NOTICE_GAP_MS);
    return at <= nowMs ? { due: true, kind: 'stage-change', nextDueAt: iso(nowMs), why: 'stage-changed' } : { due: false, nextDueAt: iso(at), why: 'waiting' };
  }
  if (state.acknowledgedAt) return { due: false, nextDueAt: null, why: 'acknowledged' };

  const next = nextReminderMs(lastMs!, Date.parse(input.effectiveInstant), input.cadence);
  return next <= nowMs ? { due: true, kind: 'reminder', nextDueAt: iso(nowMs), why: 'reminder-due' } : { due: false, nextDueAt: iso(next), why: 'waiting' };
}

/**
 * Next reminder after one shown at `lastMs`: one normal interval later, or, if that falls into
 * the final window before enforcement, the earlier of that and (the window's start, but at least
 * one final interval after the last notice).
 */
export function nextReminderMs(lastMs: number, effectiveMs: number, cadence: Cadence = {}): number {
  const every = Math.max(MIN_REMINDER_EVERY_MS, cadence.reminderEveryMs ?? DEFAULT_REMINDER_EVERY_MS);
  const finalEvery = Math.max(MIN_REMINDER_EVERY_MS, cadence.finalEveryMs ?? DEFAULT_FINAL_EVERY_MS);
  const windowStart = effectiveMs - (cadence.finalWindowMs ?? DEFAULT_FINAL_WINDOW_MS);
  const normal = lastMs + every;
  if (lastMs >= effectiveMs || normal <= windowStart) return normal;
  return Math.min(normal, Math.max(windowStart, lastMs + finalEvery));
}

/** State after a notice was shown. A stage change clears an earlier acknowledgement. */
export function recordShown(state: NoticeState | undefined, stage: NoticeStage, now: Date): NoticeState {
  const keepAck = state && state.stage === stage && state.acknowledgedAt ? { acknowledgedAt: state.acknowledgedAt } : {};
  return { stage, lastShownAt: now.toISOString(), ...keepAck };
}

/** State after the user acknowledged the notice of `stage`. */
export function recordAcknowledged(state: NoticeState | undefined, stage: NoticeStage, now: Date): NoticeState {
  return { stage, lastShownAt: state?.lastShownAt ?? now.toISOString(), acknowledgedAt: now.toISOString() };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
