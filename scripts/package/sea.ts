// A Node single executable application: the agent bundle injected (postject) into a copy of the
// Node binary running this build. No code cache or snapshot, so the blob depends only on the
// bundle and the Node version, and two builds of one commit are byte-identical (the blob records
// the main script's path as given, so it is always the bare name, made from a fixed work folder).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export function buildSea(root: string, bundle: string, output: string): void {
  const work = mkdtempSync(path.join(os.tmpdir(), 'edict-sea-'));
  try {
    const blob = path.join(work, 'sea-prep.blob');
    copyFileSync(bundle, path.join(work, 'edict-agent.cjs'));
    writeFileSync(path.join(work, 'sea-config.json'), JSON.stringify({ main: 'edict-agent.cjs', output: 'sea-prep.blob', disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }));
    execFileSync(process.execPath, ['--experimental-sea-config', 'sea-config.json'], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    copyFileSync(process.execPath, output);
    chmodSync(output, 0o755);
    const postject = path.join(root, 'node_modules', 'postject', 'dist', 'cli.js');
    // postject (LIEF) prints harmless warnings about Node's ELF notes: keep its output for errors only.
    try {
      execFileSync(process.execPath, [postject, output, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(`postject failed: ${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
