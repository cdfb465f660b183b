// Regression: a node tool started through its npm bin symlink inside another mount namespace or a
// container (`node /usr/local/bin/gemini`) was missed: the script path was not resolved inside the
// process's own root, so the link (which exists only there) led nowhere. Now links are resolved
// through /proc/<pid>/root, staying inside it. A real process in a private mount namespace
// (`unshare -m`, root only) whose /usr/local is a tmpfs holding an npm layout — the package
// @google/gemini-cli and the bin link to its bundle/gemini.js — is reported by a real
// `edict-agent scan` as gemini-cli running, identified by its package. (The package is laid out by
// the test: a package.json with the real name and a script that only waits.)
import { afterAll, expect, test } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { isRoot } from '../helpers/dbus.js';
import { AGENT_CLI } from '../helpers/paths.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const run = isRoot() && process.platform === 'linux' ? test : test.skip;
if (!isRoot()) console.warn('agent-bin-link-in-other-mount-namespace-missed: skipped — unshare -m needs root');

let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
  cleanupTempDirs();
});

run('node /usr/local/bin/gemini inside a private mount namespace is gemini-cli, found through the link in its own root', async () => {
  // The prefix is hidden by a tmpfs inside the namespace only; node itself must stay visible there.
  const prefix = process.execPath.startsWith('/usr/local/') ? '/srv' : '/usr/local';
  expect(existsSync(path.join(prefix, 'bin', 'gemini'))).toBe(false); // not on the host: only the namespace has it
  const pkg = `${prefix}/lib/node_modules/@google/gemini-cli`;
  const script = [
    'set -e',
    `mount -t tmpfs edict-test ${prefix}`,
    `mkdir -p ${pkg}/bundle ${prefix}/bin`,
    `printf '%s' '{"name":"@google/gemini-cli","version":"0.61.0","bin":{"gemini":"bundle/gemini.js"}}' > ${pkg}/package.json`,
    `printf '%s\\n' '#!/usr/bin/env node' 'setInterval(() => {}, 60000);' > ${pkg}/bundle/gemini.js`,
    `ln -s ../lib/node_modules/@google/gemini-cli/bundle/gemini.js ${prefix}/bin/gemini`,
    `exec ${process.execPath} ${prefix}/bin/gemini`,
  ].join('\n');
  const file = path.join(tempDir('edict-ns-'), 'in-namespace.sh');
  writeFileSync(file, script);
  child = spawn('unshare', ['-m', '--propagation', 'private', '/bin/sh', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const pid = child.pid!;
  await waitFor(() => {
    if (child!.exitCode !== null) throw new Error(`namespace setup failed: ${err}`);
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${prefix}/bin/gemini`) && readlinkSync(`/proc/${pid}/ns/mnt`) !== readlinkSync('/proc/self/ns/mnt');
  }, 'node running the bin link in its own mount namespace');

  const state = tempDir('edict-ns-state-');
  const config = path.join(state, 'agent.json');
  writeFileSync(config, JSON.stringify({ scan: { homes: [{ user: 'nobody-test', home: tempDir('edict-ns-home-') }] } }));
  const { stdout } = await promisify(execFile)(process.execPath, [AGENT_CLI, '--state-dir', state, '--config', config, 'scan', '--once', '--json'], { maxBuffer: 16 * 1024 * 1024 });
  const hit = JSON.parse(stdout).detections.find((d: any) => d.evidence.pid === pid);
  expect(hit).toMatchObject({ toolId: 'gemini-cli', kind: 'running', evidence: { source: 'process', signature: 'npm-package:@google/gemini-cli', version: '0.61.0' } });
  expect(hit.confidence).toBeGreaterThanOrEqual(0.95);
}, 60_000);
