// Turns what the policy says about one tool into the notice an employee reads: title, body and
// actions, in English or Simplified Chinese. The text must be understood in ten seconds: the tool,
// that it is company policy, the effective date in the user's own time zone with a countdown, the
// reason, each replacement with how to get it, and how to acknowledge or ask for an exception.
// Pure: the clock and the user's time zone are inputs; all wording lives in messages/.
import type { Action } from '../../../shared/src/policy/schema.js';
import type { Stage } from '../../../shared/src/protocol/common.js';
import { message, type Locale } from './catalog.js';

export type { Locale } from './catalog.js';
export type NoticeKind = 'stage-change' | 'reminder' | 'stop-warning' | 'exception-decision';
/** The shared stage and action types (a notice is never about stage `none`). */
export type NoticeStage = Exclude<Stage, 'none'>;
export type NoticeAction = Action;

export interface LocalizedText {
  en: string;
  'zh-CN'?: string;
}

export interface NoticeInput {
  kind: NoticeKind;
  toolId: string;
  toolName: string;
  stage: NoticeStage;
  action: NoticeAction;
  /** ISO UTC instant of the enforce date (the date the employee must know). */
  effectiveInstant: string;
  /** ISO UTC instant the current stage began, when it differs from the enforce date (e.g. hard). */
  stageInstant?: string;
  reason: LocalizedText;
  replacements: { toolId: string; name: string; installUrl?: string; note?: LocalizedText }[];
  /** stop-warning only: seconds until running copies are stopped. */
  stopInSeconds?: number;
  /** exception-decision only. */
  decision?: { granted: boolean; reason?: string; expiresAt?: string };
}

export interface RenderedNotice {
  title: string;
  body: string;
  actions: { id: string; label: string }[];
}

/** Notification action id for "I have read this" (the agent treats it like `edict-agent ack`). */
export const ACK_ACTION_ID = 'ack';

const MS = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

export function renderNotice(input: NoticeInput, locale: Locale, now: Date, userTimeZone: string): RenderedNotice {
  const tz = validTimeZone(userTimeZone);
  const nowMs = now.getTime();
  const effectiveMs = Date.parse(input.effectiveInstant);
  if (Number.isNaN(effectiveMs)) throw new Error(`effectiveInstant is not a date: ${input.effectiveInstant}`);
  const enforced = input.stage === 'enforce' || input.stage === 'hard' || nowMs >= effectiveMs;
  const tool = input.toolName;
  const date = formatInstant(effectiveMs, locale, tz);
  const countdown = relativeTime(locale, effectiveMs - nowMs);
  const vars = { tool, toolId: input.toolId, date, countdown };

  const lead = message(locale, enforced ? 'body.lead.enforced' : 'body.lead.notice', vars);
  const why = message(locale, 'body.reason', { reason: localized(input.reason, locale) });
  const replacements = replacementLines(input, locale);
  const ack = message(locale, input.action === 'warn' ? 'body.ack.required' : 'body.ack.optional', vars);
  const exception = message(locale, 'body.exception', vars);
  const ackAction = [{ id: ACK_ACTION_ID, label: message(locale, 'action.ack') }];

  switch (input.kind) {
    case 'stage-change':
    case 'reminder': {
      const titleKey = enforced ? 'title.enforced' : input.kind === 'reminder' ? 'title.reminder' : 'title.notice';
      return { title: message(locale, titleKey, vars), body: lines(lead, why, ...replacements, ack, exception), actions: ackAction };
    }
    case 'stop-warning': {
      const stopIn = relativeTime(locale, Math.max(0, input.stopInSeconds ?? 0) * MS.second);
      const stopVars = { ...vars, countdown: stopIn };
      return {
        title: message(locale, 'title.stopWarning', stopVars),
        body: lines(message(locale, 'body.stopWarning', stopVars), lead, why, ...replacements, exception),
        actions: [],
      };
    }
    case 'exception-decision': {
      const d = input.decision;
      if (!d) throw new Error('an exception-decision notice needs `decision`');
      const note = d.reason ? [message(locale, 'body.decisionNote', { reason: d.reason })] : [];
      if (d.granted) {
        const expires = d.expiresAt ? Date.parse(d.expiresAt) : NaN;
        const granted = Number.isNaN(expires)
          ? message(locale, 'body.exceptionGranted.open', vars)
          : message(locale, 'body.exceptionGranted.until', { ...vars, date: formatInstant(expires, locale, tz) });
        return { title: message(locale, 'title.exceptionGranted', vars), body: lines(granted, ...note), actions: [] };
      }
      return {
        title: message(locale, 'title.exceptionDenied', vars),
        body: lines(message(locale, 'body.exceptionDenied'), ...note, lead, why, ...replacements, ack),
        actions: ackAction,
      };
    }
  }
}

function replacementLines(input: NoticeInput, locale: Locale): string[] {
  if (input.replacements.length === 0) return [];
  const out = [message(locale, 'body.replacements')];
  for (const r of input.replacements) {
    out.push(r.installUrl ? message(locale, 'body.replacement.url', { name: r.name, url: r.installUrl }) : message(locale, 'body.replacement.noUrl', { name: r.name }));
    if (r.note) out.push(message(locale, 'body.replacement.note', { note: localized(r.note, locale) }));
  }
  return out;
}

function lines(...parts: string[]): string {
  return parts.join('\n');
}

function localized(text: LocalizedText, locale: Locale): string {
  return (locale === 'zh-CN' ? text['zh-CN'] : undefined) ?? text.en;
}

/** The user's zone if Intl knows it; otherwise UTC, so a bad zone never hides the notice. */
function validTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz;
  } catch (err) {
    if (err instanceof RangeError) return 'UTC';
    throw err;
  }
}

/** e.g. en "Fri, July 10, 2026 at 00:00 GMT+8", zh-CN "2026年7月10日周五 GMT+8 00:00". */
export function formatInstant(ms: number, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, {
    weekday: 'short',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
    timeZoneName: 'short',
  }).format(ms);
}

/**
 * "in 3 days" / "3天后" for a future delta, "3 days ago" / "3天前" for a past one. The unit is the
 * largest that keeps the number meaningful: days from 2 days on, hours from 2 hours, then minutes,
 * then seconds. Future minutes/seconds round up, so a countdown never says "in 0 minutes".
 */
export function relativeTime(locale: Locale, deltaMs: number): string {
  const abs = Math.abs(deltaMs);
  if (abs < MS.second) return message(locale, 'countdown.now');
  const sign = deltaMs < 0 ? -1 : 1;
  const fmt = new Intl.RelativeTimeFormat(locale, { numeric: 'always' });
  if (abs >= 2 * MS.day) return fmt.format(sign * Math.round(abs / MS.day), 'day');
  if (abs >= 2 * MS.hour) return fmt.format(sign * Math.round(abs / MS.hour), 'hour');
  const roundFine = sign > 0 ? Math.ceil : Math.floor;
  if (abs >= MS.minute) return fmt.format(sign * roundFine(abs / MS.minute), 'minute');
  return fmt.format(sign * roundFine(abs / MS.second), 'second');
}
