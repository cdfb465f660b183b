// Dates, numbers and zones for people: every instant shown in a named zone (a ban's own zone and
// the viewer's), numbers grouped the locale's way, and the conversions forms need (a local
// date-time typed in the viewer's zone to an instant).
import { getLang } from './i18n.js';

export const viewerZone: string = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function fmtNum(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : new Intl.NumberFormat(getLang()).format(n);
}

/** An instant as a date and time in `zone` (default: the viewer's), with the zone named. */
export function fmtInstant(iso: string | null | undefined, zone: string = viewerZone, withZone = true): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const s = new Intl.DateTimeFormat(getLang(), { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone }).format(d);
  return withZone ? `${s} ${zone}` : s;
}

/** "in 3 days", "5 minutes ago". */
export function fmtRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(getLang(), { numeric: 'auto' });
  if (abs < 60_000) return rtf.format(Math.round(diff / 1000), 'second');
  if (abs < 3600_000) return rtf.format(Math.round(diff / 60_000), 'minute');
  if (abs < 86400_000) return rtf.format(Math.round(diff / 3600_000), 'hour');
  return rtf.format(Math.round(diff / 86400_000), 'day');
}

/** The value of an <input type="datetime-local"> for an instant, in the viewer's zone (to the second if asked). */
export function toLocalInput(ms: number, seconds = false): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}${seconds ? `:${pad(d.getSeconds())}` : ''}`;
}

/** A local date-time typed in the viewer's zone as an ISO instant, or undefined when it is not one. */
export function localInputToIso(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** IANA zones the browser knows, for zone pickers (the server checks the one chosen). */
export function zones(): string[] {
  const anyIntl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  const list = anyIntl.supportedValuesOf?.('timeZone') ?? [];
  return [...new Set(['UTC', viewerZone, 'Asia/Shanghai', ...list])];
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
