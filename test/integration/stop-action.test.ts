// The stop action against real processes: a renamed copy of /bin/sleep called `claude` is warned,
// then SIGTERMed; a copy of /bin/sh called `claude` that ignores SIGTERM is SIGKILLed after the
// grace period; unrelated lookalikes (`claude-helper`, `claudette`) survive; a pid that now runs
// another program is skipped; a cancelled countdown signals nothing. Countdowns are ~1 s.
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { stopProcesses, type StopStep, type StopTarget } from '../../agent/src/enforce/stopper.js';
import { spawnNamedSleeper, type NamedProcess } from '../helpers/processes.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

afterAll(cleanupTempDirs);
const started: { kill: () => void }[] = [];
afterEach(() => {
  for (const p of started.splice(0)) p.kill();
});

function sleeper(name: string): NamedProcess {
  const p = spawnNamedSleeper(name);
  started.push(p);
  return p;
}

/** A copy of /bin/sh named `name` that ignores SIGTERM (a tool that does not want to quit). */
function stubborn(name: string): NamedProcess {
  const exe = path.join(tempDir('edict-proc-'), name);
  copyFileSync('/bin/sh', exe);
  chmodSync(exe, 0o755);
  const child = spawn(exe, ['-c', 'trap "" TERM; while :; do sleep 1; done'], { stdio: 'ignore' });
  const p = { child, exe, kill: () => child.kill('SIGKILL') };
  started.push(p);
  return p;
}

async function running(p: NamedProcess): Promise<void> {
  await waitFor(() => {
    try {
      return process.kill(p.child.pid!, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false; // not there (yet)
      throw err;
    }
  }, `${p.exe} to run`);
}

function exited(p: NamedProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return Promise.resolve({ code: p.child.exitCode, signal: p.child.signalCode });
  return new Promise((resolve) => p.child.once('exit', (code, signal) => resolve({ code, signal })));
}

const alive = (p: NamedProcess) => p.child.exitCode === null && p.child.signalCode === null;
const target = (p: NamedProcess, exe: string | undefined = p.exe): StopTarget => ({ pid: p.child.pid!, exe, toolId: 'claude-code', user: 'tester' });

describe('stop action with real processes', () => {
  test('warned, then SIGTERM; a SIGTERM-ignoring copy is SIGKILLed; lookalikes survive', async () => {
    const claude = sleeper('claude');
    const tough = stubborn('claude');
    const helper = sleeper('claude-helper');
    const claudette = sleeper('claudette');
    await Promise.all([claude, tough, helper, claudette].map(running));

    const steps: StopStep[] = [];
    const warnings: number[] = [];
    const t0 = Date.now();
    const outcome = await stopProcesses([target(claude), target(tough)], {
      countdownMs: 1200,
      graceMs: 800,
      warn: (secondsLeft) => void warnings.push(secondsLeft),
      report: (s) => void steps.push(s),
    });
    const elapsed = Date.now() - t0;

    expect(warnings).toEqual([2]);
    expect(outcome.get(claude.child.pid!)).toBe('exited');
    expect(outcome.get(tough.child.pid!)).toBe('killed');
    expect(await exited(claude)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await exited(tough)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(elapsed).toBeGreaterThanOrEqual(1200 + 800); // the stubborn one waited out countdown and grace

    const of = (p: NamedProcess) => steps.filter((s) => s.pid === p.child.pid).map((s) => s.step);
    expect(of(claude)).toEqual(['warned', 'terminated', 'exited']);
    expect(of(tough)).toEqual(['warned', 'terminated', 'killed', 'exited']);
    expect(steps.every((s) => s.toolId === 'claude-code' && s.user === 'tester' && !Number.isNaN(Date.parse(s.at)))).toBe(true);
    // The warning came a full countdown before the first signal.
    const warned = Date.parse(steps.find((s) => s.step === 'warned')!.at);
    const firstTerm = Date.parse(steps.find((s) => s.step === 'terminated')!.at);
    expect(firstTerm - warned).toBeGreaterThanOrEqual(1150);

    expect(alive(helper)).toBe(true);
    expect(alive(claudette)).toBe(true);
    expect(steps.some((s) => s.pid === helper.child.pid || s.pid === claudette.child.pid)).toBe(false);
  });

  test('a pid that runs another executable than the one matched is skipped, never signalled', async () => {
    const claudette = sleeper('claudette');
    await running(claudette);
    const steps: StopStep[] = [];
    // As if `claude` had exited and its pid been reused by claudette.
    const outcome = await stopProcesses([target(claudette, '/opt/claude/bin/claude')], { countdownMs: 300, graceMs: 300, warn: () => {}, report: (s) => void steps.push(s) });
    expect(outcome.get(claudette.child.pid!)).toBe('skipped');
    expect(steps).toEqual([expect.objectContaining({ step: 'skipped', detail: expect.stringContaining('claudette') })]);
    expect(alive(claudette)).toBe(true);
  });

  test('an exception granted mid-countdown cancels: nothing is signalled', async () => {
    const claude = sleeper('claude');
    await running(claude);
    const steps: StopStep[] = [];
    const ac = new AbortController();
    // The exception arrives while the countdown runs (right after the first warning was shown).
    const warn = () => void queueMicrotask(() => ac.abort());
    const outcome = await stopProcesses([target(claude)], { countdownMs: 1500, warn, report: (s) => void steps.push(s), signal: ac.signal });
    expect(outcome.get(claude.child.pid!)).toBe('cancelled');
    expect(steps.map((s) => s.step)).toEqual(['warned', 'cancelled']);
    expect(alive(claude)).toBe(true);
  });

  test('a tool the employee closes during the countdown is reported as exited and not signalled', async () => {
    const claude = sleeper('claude');
    await running(claude);
    const steps: StopStep[] = [];
    // The employee closes it after seeing the warning, during the countdown.
    const warn = () => void claude.child.kill('SIGINT');
    const outcome = await stopProcesses([target(claude)], { countdownMs: 1500, warn, report: (s) => void steps.push(s) });
    expect(outcome.get(claude.child.pid!)).toBe('exited');
    expect(steps.map((s) => [s.step, s.detail])).toEqual([
      ['warned', undefined],
      ['exited', 'ended before the countdown was over'],
    ]);
    expect((await exited(claude)).signal).toBe('SIGINT');
  });

  test('a target without a known exe is pinned at the start; one already gone is skipped', async () => {
    const claude = sleeper('claude');
    await running(claude);
    const gone = sleeper('claude');
    await running(gone);
    gone.kill();
    await exited(gone);
    const steps: StopStep[] = [];
    const outcome = await stopProcesses([target(claude, undefined), target(gone)], { countdownMs: 200, graceMs: 500, warn: () => {}, report: (s) => void steps.push(s) });
    expect(outcome.get(gone.child.pid!)).toBe('skipped');
    expect(outcome.get(claude.child.pid!)).toBe('exited');
    expect((await exited(claude)).signal).toBe('SIGTERM');
  });
});
