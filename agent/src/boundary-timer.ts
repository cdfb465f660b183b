// Wakes the agent at the next stage boundary (a ban date, an exception expiry) measured on the
// agent's server-corrected clock. A boundary years ahead is reached in steps of at most
// MAX_BOUNDARY_STEP_MS: every wait handed to setTimeout fits its 2^31-1 ms limit, so the agent stays
// silent and idle however far ahead the date is, and a step re-reads the clock (sleep, corrections).
import { BOUNDARY_MARGIN_MS, MAX_BOUNDARY_STEP_MS } from './constants.js';

export class BoundaryTimer {
  private timer?: NodeJS.Timeout;
  /** How many times the timer woke up (steps and boundaries); `status` and tests read it. */
  wakeups = 0;

  constructor(
    private readonly now: () => number,
    private readonly nextBoundary: (nowMs: number) => number | null,
    private readonly onBoundary: () => void,
    private readonly maxStepMs = MAX_BOUNDARY_STEP_MS,
  ) {}

  /** (Re)arms for the next boundary after now; call after anything that can move it. */
  arm(): void {
    clearTimeout(this.timer);
    const now = this.now();
    const next = this.nextBoundary(now);
    if (next === null) return;
    const wait = waitFor(next - now, this.maxStepMs);
    this.timer = setTimeout(() => {
      this.wakeups++;
      if (this.now() >= next) this.onBoundary();
      this.arm();
    }, wait);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** The wait handed to setTimeout: the margin added first, then capped, so it never exceeds the step. */
export function waitFor(untilBoundaryMs: number, maxStepMs = MAX_BOUNDARY_STEP_MS): number {
  return Math.max(0, Math.min(untilBoundaryMs + BOUNDARY_MARGIN_MS, maxStepMs));
}
