// Regression: Python tools installed in a virtual environment anywhere in a home were missed: only
// fixed site-packages folders (pip --user, pipx, uv, pyenv) were read. A real `edict-agent scan`
// now finds aider-chat in three layouts: a virtualenvwrapper env (~/.virtualenvs/NAME), a project's
// .venv a few folders down, and a conda environment (~/miniconda3/envs/NAME). The search has
// bounds and does not escape the home: an env reached through a symlink to a folder outside it, an
// env whose lib/ links outside the home, and one deeper than the depth bound are not read.
// The venvs are made by Python's own venv module (--without-pip); the package inside each is a
// dist-info folder written by the test (no PyPI here), and the conda env is laid out by hand (no
// conda here): conda-meta/ plus lib/pythonX.Y/site-packages, as conda creates them.
import { afterAll, expect, test } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { VENV_MAX_DEPTH } from '../../agent/src/collectors/python-packages.js';
import { AGENT_CLI } from '../helpers/paths.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

function venv(dir: string): string {
  mkdirSync(path.dirname(dir), { recursive: true });
  execFileSync('python3', ['-m', 'venv', '--without-pip', dir]);
  const lib = path.join(dir, 'lib');
  const py = readdirSync(lib).find((d) => d.startsWith('python'))!;
  return path.join(lib, py, 'site-packages');
}

function aider(siteDir: string, version: string): string {
  const d = path.join(siteDir, `aider_chat-${version}.dist-info`);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'METADATA'), `Metadata-Version: 2.1\nName: aider-chat\nVersion: ${version}\n`);
  return d;
}

test('aider-chat in ~/.virtualenvs, a project .venv and a conda env is found; escapes and too-deep envs are not', async () => {
  const home = tempDir('edict-venv-home-');
  const outside = tempDir('edict-venv-outside-');
  const found = [
    aider(venv(path.join(home, '.virtualenvs', 'tools')), '0.82.0'),
    aider(venv(path.join(home, 'work', 'acme', 'webapp', '.venv')), '0.83.1'),
  ];
  const conda = path.join(home, 'miniconda3', 'envs', 'ai');
  mkdirSync(path.join(conda, 'conda-meta'), { recursive: true });
  writeFileSync(path.join(conda, 'conda-meta', 'history'), '==> 2026-11-01 10:00:00 <==\n');
  found.push(aider(path.join(conda, 'lib', 'python3.11', 'site-packages'), '0.84.0'));

  // Not read: an env outside the home reached through a link in it; an env in the home whose lib/
  // links outside it; an env deeper than the bound.
  aider(venv(path.join(outside, 'elsewhere')), '0.1.0');
  symlinkSync(path.join(outside, 'elsewhere'), path.join(home, 'linked-env'));
  const sneaky = path.join(home, 'proj2', '.venv');
  venv(sneaky);
  execFileSync('rm', ['-rf', path.join(sneaky, 'lib')]);
  mkdirSync(path.join(outside, 'lib', 'python3.11', 'site-packages'), { recursive: true });
  aider(path.join(outside, 'lib', 'python3.11', 'site-packages'), '0.2.0');
  symlinkSync(path.join(outside, 'lib'), path.join(sneaky, 'lib'));
  const deep = path.join(home, ...Array.from({ length: VENV_MAX_DEPTH }, (_, i) => `d${i}`), '.venv');
  aider(venv(deep), '0.3.0');

  const state = tempDir('edict-venv-state-');
  const config = path.join(state, 'agent.json');
  writeFileSync(config, JSON.stringify({ scan: { homes: [{ user: 'ann', home }] } }));
  const { stdout } = await promisify(execFile)(process.execPath, [AGENT_CLI, '--state-dir', state, '--config', config, 'scan', '--once', '--json'], { maxBuffer: 16 * 1024 * 1024 });
  const result = JSON.parse(stdout);
  const aiders = result.detections.filter((d: any) => d.toolId === 'aider');
  expect(aiders.map((d: any) => d.evidence.path).sort()).toEqual(found.sort());
  expect(aiders.map((d: any) => d.evidence.version).sort()).toEqual(['0.82.0', '0.83.1', '0.84.0']);
  for (const d of aiders) expect(d).toMatchObject({ kind: 'installed', user: 'ann', evidence: { source: 'python-package', signature: 'python:aider-chat' } });
  expect(result.errors).toEqual([]);
});
