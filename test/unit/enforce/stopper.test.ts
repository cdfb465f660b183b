// Stopper details on real processes: repeated warnings before the end of a longer countdown, a
// warning that cannot be shown stops the sequence before any signal, duplicates are one target.
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { defaultProbe, stopProcesses, type StopStep } from '../../../agent/src/enforce/stopper.js';
import { spawnNamedSleeper, type NamedProcess } from '../../helpers/processes.js';
import { cleanupTempDirs } from '../../helpers/tmp.js';

afterAll(cleanupTempDirs);
const started: NamedProcess[] = [];
afterEach(() => {
  for (const p of started.splice(0)) p.kill();
});

async function sleeper(name: string): Promise<NamedProcess> {
  const p = spawnNamedSleeper(name);
  started.push(p);
  expect(p.child.pid).toBeDefined(); // libuv returns after exec succeeded, so /proc/<pid>/exe is the copy
  return p;
}

describe('stopProcesses', () => {
  test('warns again at the configured checkpoints, then stops', async () => {
    const p = await sleeper('claude');
    const warnings: number[] = [];
    const steps: StopStep[] = [];
    await stopProcesses([{ pid: p.child.pid!, exe: p.exe, toolId: 'claude-code', user: 'u' }, { pid: p.child.pid!, exe: p.exe, toolId: 'claude-code', user: 'u' }], {
      countdownMs: 2200,
      graceMs: 500,
      warnAgainAtSeconds: [1],
      warn: (s) => void warnings.push(s),
      report: (s) => void steps.push(s),
    });
    expect(warnings).toEqual([3, 1]);
    expect(steps.map((s) => [s.step, s.secondsLeft])).toEqual([
      ['warned', 3],
      ['warned', 1],
      ['terminated', undefined],
      ['exited', undefined],
    ]);
  });

  test('a warning that cannot be shown: no signal is sent and the error surfaces', async () => {
    const p = await sleeper('claude');
    const steps: StopStep[] = [];
    // The real probe, with every signal it is asked to send recorded (and sent).
    const real = defaultProbe();
    const signalled: string[] = [];
    const probe = { ...real, signal: (pid: number, sig: 'SIGTERM' | 'SIGKILL') => (signalled.push(sig), real.signal(pid, sig)) };
    await expect(
      stopProcesses([{ pid: p.child.pid!, exe: p.exe, toolId: 'claude-code', user: 'u' }], {
        probe,
        countdownMs: 100,
        warn: () => {
          throw new Error('no session bus');
        },
        report: (s) => void steps.push(s),
      }),
    ).rejects.toThrow('no session bus');
    expect(steps).toEqual([]);
    // The sequence ended at the failed warning: nothing was signalled, nothing is left to fire later.
    expect(signalled).toEqual([]);
    expect(p.child.exitCode).toBeNull();
    expect(p.child.signalCode).toBeNull();
  });
});
