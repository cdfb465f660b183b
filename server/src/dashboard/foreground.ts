// Interactive work goes first: while someone waits on an overview being computed, background work
// of the dashboard (the daily rollup's backfill) pauses between its slices instead of queueing its
// own slices in front of theirs in the store.
let running = 0;

/** Runs `fn` as work someone is waiting for. */
export async function foreground<T>(fn: () => Promise<T>): Promise<T> {
  running++;
  try {
    return await fn();
  } finally {
    running--;
  }
}

/** Resolves once no foreground work is running (checked every `everyMs`). */
export async function whenNoForeground(everyMs = 10): Promise<void> {
  while (running > 0) await new Promise((r) => setTimeout(r, everyMs));
}
