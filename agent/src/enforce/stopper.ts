// The `stop` action: warn the employee, wait a visible countdown, then SIGTERM exactly the matched
// processes, and SIGKILL those still running after a grace period. Before every signal the pid is
// checked to still run the same executable, so a pid reused by another program is never signalled.
// Every step is reported; an abort (e.g. an exception granted mid-countdown) stops the sequence.
// Nothing on disk is touched: this module only sends signals.
import { readFileSync } from 'node:fs';
import { currentPlatform } from '../platform/index.js';

/** Policy default: five minutes to save work before a banned tool is closed. */
export const DEFAULT_STOP_COUNTDOWN_MS = 5 * 60_000;
/** After SIGTERM, time to exit cleanly (flush files, restore the terminal) before SIGKILL. */
export const DEFAULT_STOP_GRACE_MS = 10_000;
/** A second warning this many seconds before the end, when the countdown is longer than that. */
export const DEFAULT_WARN_AGAIN_AT_SECONDS = [60];
/** How often the countdown checks for processes that ended on their own, and for an abort. */
export const STOP_POLL_MS = 250;
/** After SIGKILL the kernel reaps within milliseconds; wait this long before calling it a survivor (D state). */
export const KILL_SETTLE_MS = 2000;

export interface StopTarget {
  pid: number;
  /** Executable the matcher saw; when absent it is read at the start and pinned from then on. */
  exe?: string;
  toolId: string;
  user: string;
}

export type StopStepName = 'warned' | 'terminated' | 'killed' | 'exited' | 'skipped' | 'cancelled';

export interface StopStep {
  step: StopStepName;
  pid: number;
  toolId: string;
  user: string;
  at: string;
  /** `warned`: seconds left in the countdown. */
  secondsLeft?: number;
  /** Why, for skipped / exited / cancelled. */
  detail?: string;
}

/**
 * What the stopper asks of the OS. A pid whose executable cannot be read (ended, zombie, or an OS
 * that does not expose it) counts as gone and is never signalled: no verification, no signal.
 */
export interface ProcessProbe {
  /** Executable of a live process (Linux: /proc/<pid>/exe); undefined when it ended, is a zombie, or cannot be read. */
  exeOf(pid: number): string | undefined;
  /**
   * When the process started (Linux: /proc/<pid>/stat field 22), where the OS tells. Pinned with
   * the executable: a pid reused by a new copy of the same program (e.g. another `node`) differs here.
   */
  startOf?(pid: number): string | undefined;
  signal(pid: number, sig: 'SIGTERM' | 'SIGKILL'): void;
}

export interface StopOptions {
  countdownMs?: number;
  graceMs?: number;
  warnAgainAtSeconds?: number[];
  /** Shows the warning to the employee. If it throws, nothing is signalled and the error propagates. */
  warn(secondsLeft: number, targets: readonly StopTarget[]): void | Promise<void>;
  report(step: StopStep): void;
  signal?: AbortSignal;
  probe?: ProcessProbe;
  pollMs?: number;
  now?: () => number;
}

export type StopOutcome = 'exited' | 'killed' | 'skipped' | 'cancelled' | 'survived';

export const defaultProbe = (): ProcessProbe => {
  const platform = currentPlatform();
  return {
    exeOf: (pid) => platform.processExe(pid),
    startOf: procStartTime,
    signal: (pid, sig) => void process.kill(pid, sig),
  };
};

/** Start time of a Linux process in clock ticks since boot; undefined elsewhere or when it ended. */
function procStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // no /proc (not Linux) or the process ended: identity falls back to the executable
  }
  // comm (field 2) may hold spaces and parentheses: count fields after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** Runs the whole sequence; resolves with the final outcome per pid. */
export async function stopProcesses(targets: readonly StopTarget[], opts: StopOptions): Promise<Map<number, StopOutcome>> {
  const probe = opts.probe ?? defaultProbe();
  const now = opts.now ?? Date.now;
  const pollMs = opts.pollMs ?? STOP_POLL_MS;
  const countdownMs = Math.max(0, opts.countdownMs ?? DEFAULT_STOP_COUNTDOWN_MS);
  const graceMs = Math.max(0, opts.graceMs ?? DEFAULT_STOP_GRACE_MS);
  const outcome = new Map<number, StopOutcome>();
  const step = (t: StopTarget, name: StopStepName, extra: { secondsLeft?: number; detail?: string } = {}) =>
    opts.report({ step: name, pid: t.pid, toolId: t.toolId, user: t.user, at: new Date(now()).toISOString(), ...extra });
  const finish = (t: StopTarget, name: StopStepName & StopOutcome, detail?: string) => {
    outcome.set(t.pid, name);
    step(t, name, detail ? { detail } : {});
  };

  // Pin each target's executable (and start time, where known) now; anything unverifiable is left alone.
  let live: Pinned[] = [];
  for (const t of dedupe(targets)) {
    const exe = probe.exeOf(t.pid);
    if (exe === undefined) finish(t, 'skipped', 'process gone or executable unreadable before the countdown');
    else if (t.exe !== undefined && exe !== t.exe) finish(t, 'skipped', `pid now runs ${exe}, not ${t.exe}`);
    else live.push({ ...t, exe, start: probe.startOf?.(t.pid) });
  }
  if (live.length === 0) return outcome;

  const cancelAll = (detail: string) => {
    for (const t of live) finish(t, 'cancelled', detail);
    live = [];
  };
  /** Drops targets that ended (or whose pid moved on to another program) since the last look. */
  const sweep = (detail: string) => {
    live = live.filter((t) => {
      const exe = probe.exeOf(t.pid);
      if (exe === undefined) finish(t, 'exited', detail);
      else if (exe !== t.exe || !sameStart(probe, t)) finish(t, 'skipped', `pid reused by ${exe}`);
      else return true;
      return false;
    });
  };
  const warn = async (secondsLeft: number) => {
    await opts.warn(secondsLeft, live);
    for (const t of live) step(t, 'warned', { secondsLeft });
  };

  // 1. Countdown with warnings; a process closed by the employee meanwhile is simply done.
  const start = now();
  const deadline = start + countdownMs;
  const checkpoints = (opts.warnAgainAtSeconds ?? DEFAULT_WARN_AGAIN_AT_SECONDS).filter((s) => s * 1000 < countdownMs).sort((a, b) => b - a);
  await warn(Math.ceil(countdownMs / 1000));
  while (live.length > 0 && now() < deadline) {
    if (await sleep(Math.min(pollMs, deadline - now()), opts.signal)) return (cancelAll('cancelled during the countdown'), outcome);
    sweep('ended before the countdown was over');
    const left = Math.ceil((deadline - now()) / 1000);
    while (checkpoints.length > 0 && left <= checkpoints[0]! && live.length > 0) await warn(checkpoints.shift()!);
  }
  if (opts.signal?.aborted) return (cancelAll('cancelled during the countdown'), outcome);

  // 2. SIGTERM, each pid re-verified right before its signal.
  sweep('ended before SIGTERM');
  for (const t of live) trySignal(probe, t, 'SIGTERM', () => step(t, 'terminated'), finish);
  live = live.filter((t) => !outcome.has(t.pid));

  // 3. Grace period, then SIGKILL for what lingers (re-verified again).
  const graceEnd = now() + graceMs;
  while (live.length > 0 && now() < graceEnd) {
    if (await sleep(Math.min(pollMs, graceEnd - now()), opts.signal)) return (cancelAll('cancelled after SIGTERM; no SIGKILL sent'), outcome);
    sweep('ended after SIGTERM');
  }
  sweep('ended after SIGTERM');
  for (const t of live) trySignal(probe, t, 'SIGKILL', () => step(t, 'killed'), finish);
  live = live.filter((t) => !outcome.has(t.pid));

  const settleEnd = now() + KILL_SETTLE_MS;
  while (live.length > 0 && now() < settleEnd) {
    await sleep(Math.min(pollMs, settleEnd - now()));
    live = live.filter((t) => {
      if (probe.exeOf(t.pid) !== undefined) return true;
      outcome.set(t.pid, 'killed');
      step(t, 'exited', { detail: 'ended after SIGKILL' });
      return false;
    });
  }
  for (const t of live) outcome.set(t.pid, 'survived'); // uninterruptible sleep: reported as killed, never as exited
  return outcome;
}

type Pinned = Required<Omit<StopTarget, 'exe'>> & { exe: string; start: string | undefined };

function sameStart(probe: ProcessProbe, t: Pinned): boolean {
  return t.start === undefined || probe.startOf?.(t.pid) === t.start;
}

function trySignal(probe: ProcessProbe, t: Pinned, sig: 'SIGTERM' | 'SIGKILL', sent: () => void, finish: (t: StopTarget, name: 'exited' | 'skipped', detail?: string) => void): void {
  const exe = probe.exeOf(t.pid);
  if (exe === undefined) return finish(t, 'exited', `ended before ${sig}`);
  if (exe !== t.exe || !sameStart(probe, t)) return finish(t, 'skipped', `pid reused by ${exe}; no ${sig} sent`);
  try {
    probe.signal(t.pid, sig);
    sent();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return finish(t, 'exited', `ended before ${sig}`);
    if (code === 'EPERM') return finish(t, 'skipped', `not permitted to send ${sig}`);
    throw err;
  }
}

function dedupe(targets: readonly StopTarget[]): StopTarget[] {
  const seen = new Map<number, StopTarget>();
  for (const t of targets) if (!seen.has(t.pid)) seen.set(t.pid, t);
  return [...seen.values()];
}

/** Resolves after `ms`; true if `signal` aborted first. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(false);
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
