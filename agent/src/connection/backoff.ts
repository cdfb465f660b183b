// Reconnect backoff: exponential from `baseMs`, capped at `capMs`, with full jitter (a random
// delay between 0 and the current ceiling), so ten thousand agents coming back after a server
// restart spread out instead of stampeding. `reset()` after a successful connection.
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly baseMs: number,
    private readonly capMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The ceiling for the current attempt (before jitter). */
  ceiling(): number {
    return Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
  }

  next(): number {
    const delay = Math.floor(this.random() * this.ceiling());
    this.attempt++;
    return Math.max(delay, Math.min(100, this.ceiling()));
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
