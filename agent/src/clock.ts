// Server-corrected time that a moved local clock cannot change. At every welcome the agent records
// server time together with time-since-boot; until the next reboot, "now" is that server time plus
// the uptime elapsed since, so changing the wall clock (a year forward or back) moves nothing, even
// offline. After a reboot without a connection it falls back to wall clock + the last measured offset.
import { bootClock, type BootClock } from './platform/boot-clock.js';
import type { ClockState } from './state/agent-state.js';

export class AgentClock {
  private state: ClockState | undefined;

  constructor(
    state: ClockState | undefined,
    private readonly localNow: () => number = Date.now,
    private readonly boot: BootClock = bootClock(),
  ) {
    this.state = state;
  }

  /** Server-corrected now, in ms since the epoch. */
  now(): number {
    const s = this.state;
    if (s && s.bootId && s.bootId === this.boot.bootId) return s.serverTimeAtSyncMs + (this.boot.uptimeMs() - s.uptimeAtSyncMs);
    return this.localNow() + (s?.offsetMs ?? 0);
  }

  /** Whether now() is anchored to a server measurement made during this boot. */
  get anchored(): boolean {
    return !!this.state?.bootId && this.state.bootId === this.boot.bootId;
  }

  /** Records server time as seen at receipt of welcome; returns the state to persist. */
  sync(serverTimeIso: string): ClockState {
    const server = Date.parse(serverTimeIso);
    this.state = {
      offsetMs: server - this.localNow(),
      measuredAt: serverTimeIso,
      serverTimeAtSyncMs: server,
      uptimeAtSyncMs: this.boot.uptimeMs(),
      ...(this.boot.bootId ? { bootId: this.boot.bootId } : {}),
    };
    return this.state;
  }
}
