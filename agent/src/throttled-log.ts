// Logging a persistent condition once per period, not once per file per pass: the first occurrence
// of a condition (same level, message and `why`) is logged at once; repeats within the period are
// only counted, and the next one after the period logs a line with how many were held back. Used
// where a pass meets the same problem many times (e.g. 200 undeletable folders in the request spool
// would otherwise make thousands of lines every few seconds, forever).
import type { SpoolLog } from './requests/spool.js';

export const DEFAULT_LOG_PERIOD_MS = 60 * 60_000;

type Level = 'warn' | 'error';

export class ThrottledLog implements SpoolLog {
  private readonly seen = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly log: Pick<Record<Level, (obj: object, msg: string) => void>, Level>,
    private readonly periodMs = DEFAULT_LOG_PERIOD_MS,
    private readonly now: () => number = Date.now,
  ) {}

  warn(obj: object, msg: string): void {
    this.emit('warn', obj, msg);
  }

  error(obj: object, msg: string): void {
    this.emit('error', obj, msg);
  }

  private emit(level: Level, obj: object, msg: string): void {
    const o = obj as { why?: unknown; err?: unknown; uid?: unknown };
    const key = `${level}|${msg}|${String(o.why ?? '')}|${String(o.uid ?? '')}|${String(o.err ?? '').replace(/'[^']*'/g, "'…'")}`;
    const t = this.now();
    const s = this.seen.get(key);
    if (s && t - s.at < this.periodMs) {
      s.held++;
      return;
    }
    this.seen.set(key, { at: t, held: 0 });
    this.log[level](s?.held ? { ...obj, repeatedSinceLastLine: s.held } : obj, s?.held ? `${msg} (again; ${s.held} more like it since the last line, logged once per ${Math.round(this.periodMs / 60_000)} min)` : msg);
    if (this.seen.size > 1000) this.seen.delete(this.seen.keys().next().value!); // bounded memory
  }
}
