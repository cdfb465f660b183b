// Process matching on real processes: child env markers attributed to the process that set them,
// per-pid runtime files only for live pids that started before the file, the /proc fast path only
// reading new pids, and content identity read once per file version.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILTIN_CATALOG } from '../../../shared/src/catalog/builtin.js';
import { contentReads, identifyContent } from '../../../agent/src/collectors/content-identity.js';
import { processesCollector, trackerFor } from '../../../agent/src/collectors/processes.js';
import { runtimeFilesCollector } from '../../../agent/src/collectors/runtime-files.js';
import type { ScanContext } from '../../../agent/src/collectors/types.js';
import { CatalogIndex } from '../../../agent/src/matcher.js';
import { currentPlatform } from '../../../agent/src/platform/index.js';
import { ensureRealTool } from '../../helpers/real-tools.js';
import { waitFor } from '../../helpers/wait.js';

const linux = process.platform === 'linux';
let tmp: string;
const kids: ChildProcess[] = [];
beforeEach(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'edict-proc-'))));
afterEach(() => {
  for (const k of kids.splice(0)) {
    try {
      process.kill(k.pid!, 'SIGKILL');
    } catch {
      // already ended
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

function ctx(index: CatalogIndex, users: { user: string; home: string }[] = []): ScanContext {
  return { index, platform: currentPlatform(), users, pathDirs: [], extraNpmPrefixes: [], selfPid: process.pid };
}
/** The command line of a pid as /proc shows it ('' once it ended). */
const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').split('\0').join(' ');
  } catch {
    return ''; // ended
  }
};
/** Waits until `pid` runs `cmd` (a spawned child shows the test runner's command line until its exec). */
const execd = (pid: number, cmd: string) => waitFor(() => cmdline(pid) === cmd, `pid ${pid} to run ${cmd}`);
const childrenOf = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

(linux ? test : test.skip)('a child carrying CLAUDECODE=1 betrays its parent; only the marker name is reported', async () => {
  const index = new CatalogIndex(BUILTIN_CATALOG);
  // parent: a shell without the marker that starts a child with it (like Claude Code's tool shells)
  const parent = spawn('/bin/sh', ['-c', 'CLAUDECODE=1 SECRET_TOKEN=abc sleep 30 & wait'], { stdio: 'ignore', env: { PATH: process.env.PATH } });
  kids.push(parent);
  await waitFor(() => childrenOf(parent.pid!).some((c) => cmdline(c) === 'sleep 30'), 'the marked child to run');
  const ds = await processesCollector.collect(ctx(index));
  const d = ds.find((x) => x.evidence.pid === parent.pid);
  expect(d).toMatchObject({ toolId: 'claude-code', kind: 'running', evidence: { signature: 'child-env:CLAUDECODE=1', path: expect.stringMatching(/sh$|dash$|bash$/) } });
  expect(JSON.stringify(ds)).not.toContain('SECRET_TOKEN');
});

(linux ? test : test.skip)('the fast path reads only new pids on the next poll', async () => {
  const index = new CatalogIndex(BUILTIN_CATALOG);
  await processesCollector.collect(ctx(index));
  const tracker = trackerFor(index);
  const k = spawn('sleep', ['30'], { stdio: 'ignore' });
  kids.push(k);
  await execd(k.pid!, 'sleep 30');
  const before = new Set(tracker.seen.keys());
  await processesCollector.collect(ctx(index));
  // Only pids not seen by the first poll are read (other tests start processes on this machine at
  // the same time, so "new" is counted, not assumed to be just ours), plus the small re-check slice.
  const fresh = [...tracker.seen.keys()].filter((p) => !before.has(p)).length;
  expect(tracker.examined).toBeGreaterThanOrEqual(1);
  expect(tracker.examined).toBeLessThanOrEqual(fresh);
  expect(tracker.examined).toBeLessThan(tracker.seen.size / 2); // not the whole list again
  expect(tracker.seen.has(k.pid!)).toBe(true);
});

(linux ? test : test.skip)('runtime files count only for a live pid that started before the file was written', async () => {
  const index = new CatalogIndex(BUILTIN_CATALOG);
  const home = path.join(tmp, 'h');
  mkdirSync(path.join(home, '.claude/sessions'), { recursive: true });
  const live = spawn('sleep', ['30'], { stdio: 'ignore' });
  kids.push(live);
  await execd(live.pid!, 'sleep 30');
  writeFileSync(path.join(home, '.claude/sessions', `${live.pid}.json`), '{}');
  writeFileSync(path.join(home, '.claude/sessions', '4000000.json'), '{}'); // no such pid (above pid_max)
  const c = ctx(index, [{ user: 'ann', home }]);
  const ds = await runtimeFilesCollector.collect(c);
  expect(ds.map((d) => `${d.toolId}|${d.user}|${d.evidence.pid}`)).toEqual([`claude-code|ann|${live.pid}`]);
  // the same pid, but the file is older than the process: left by an earlier process (pid reuse)
  const old = new Date(Date.now() - 3600_000);
  utimesSync(path.join(home, '.claude/sessions', `${live.pid}.json`), old, old);
  expect(await runtimeFilesCollector.collect(c)).toEqual([]);
});

test('content identity reads a file once per version (dev, inode, size, mtime)', async () => {
  const tool = await ensureRealTool('@anthropic-ai/claude-code');
  const copy = path.join(tmp, 'x');
  copyFileSync(path.join(tool.root, '@anthropic-ai/claude-code/bin/claude.exe'), copy);
  appendFileSync(copy, 'pad');
  const index = new CatalogIndex(BUILTIN_CATALOG);
  const before = contentReads();
  expect((await identifyContent(copy, index))?.toolId).toBe('claude-code');
  expect((await identifyContent(copy, index))?.toolId).toBe('claude-code');
  expect(contentReads() - before).toBe(1);
  appendFileSync(copy, 'more'); // a new version of the file is read again
  await identifyContent(copy, index);
  expect(contentReads() - before).toBe(2);
  // a script that mentions every marker is not a native executable: never identified
  writeFileSync(path.join(tmp, 's.js'), '@anthropic-ai/claude-code CLAUDE_CODE_ENTRYPOINT CLAUDE_CODE_EXECPATH'.repeat(5000));
  expect(await identifyContent(path.join(tmp, 's.js'), index)).toBeUndefined();
}, 600_000);
