// Server-corrected time. The agent measures its offset from server time at every welcome and
// persists it, so ban stages are evaluated on server time even when the local clock is moved and
// even while offline. An injected base clock lets tests move "local time" without root.
import type { ClockState } from './state/agent-state.js';

export class AgentClock {
  private offsetMs: number;

  constructor(
    state: ClockState | undefined,
    private readonly localNow: () => number = Date.now,
  ) {
    this.offsetMs = state?.offsetMs ?? 0;
  }

  /** Server-corrected now, in ms since the epoch. */
  now(): number {
    return this.localNow() + this.offsetMs;
  }

  /** Records server time as seen at receipt of welcome; returns the state to persist. */
  sync(serverTimeIso: string): ClockState {
    this.offsetMs = Date.parse(serverTimeIso) - this.localNow();
    return { offsetMs: this.offsetMs, measuredAt: new Date(this.now()).toISOString() };
  }

  get offset(): number {
    return this.offsetMs;
  }
}
