// Inventory scan of a synthetic machine, in process: 20 users with 1,000 npm global packages (split
// between ~/.npm-global and an nvm node dir, scoped and unscoped, some catalogued) and 300 VS Code /
// Cursor extensions, plus this machine's real PATH, dpkg database and site-packages. Reports the
// wall time of the first scan and the median of 5 (target: under 2 s).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILTIN_CATALOG } from '../../shared/src/catalog/builtin.js';
import type { ScanContext } from '../../agent/src/collectors/types.js';
import { CatalogIndex } from '../../agent/src/matcher.js';
import { currentPlatform } from '../../agent/src/platform/index.js';
import { scan } from '../../agent/src/scanner.js';
import { median } from './proc-stats.js';

export const USERS = 20;
export const NPM_PACKAGES = 1000;
export const EXTENSIONS = 300;

function buildMachine(root: string): { user: string; home: string }[] {
  const users: { user: string; home: string }[] = [];
  const catalogued = ['@anthropic-ai/claude-code', '@openai/codex', '@google/gemini-cli', '@qwen-code/qwen-code', '@qoder-ai/qodercli'];
  const exts = ['anthropic.claude-code', 'github.copilot', 'saoudrizwan.claude-dev', 'continue.continue', 'alibaba-cloud.tongyi-lingma'];
  for (let u = 0; u < USERS; u++) {
    const home = path.join(root, `user${u}`);
    users.push({ user: `user${u}`, home });
    const roots = [path.join(home, '.npm-global/lib/node_modules'), path.join(home, '.nvm/versions/node/v20.20.2/lib/node_modules')];
    for (let i = 0; i < NPM_PACKAGES / USERS; i++) {
      const name = i < catalogued.length && u % 4 === 0 ? catalogued[i] : i % 3 === 0 ? `@scope${i}/pkg-${u}-${i}` : `pkg-${u}-${i}`;
      const dir = path.join(roots[i % 2], ...name.split('/'));
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
    }
    const extDir = path.join(home, u % 2 ? '.cursor/extensions' : '.vscode/extensions');
    const list = [];
    for (let i = 0; i < EXTENSIONS / USERS; i++) {
      const id = i < exts.length && u % 3 === 0 ? exts[i] : `publisher${i}.ext-${u}-${i}`;
      const folder = `${id}-1.${i}.0`;
      mkdirSync(path.join(extDir, folder), { recursive: true });
      list.push({ identifier: { id }, version: `1.${i}.0`, relativeLocation: folder });
    }
    writeFileSync(path.join(extDir, 'extensions.json'), JSON.stringify(list));
    mkdirSync(path.join(home, '.local/bin'), { recursive: true });
    if (u % 5 === 0) mkdirSync(path.join(home, '.claude'), { recursive: true });
  }
  return users;
}

export async function benchInventory(): Promise<{ firstMs: number; medianMs: number; detections: number }> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'edict-bench-inv-'));
  try {
    const users = buildMachine(root);
    const ctx: ScanContext = {
      index: new CatalogIndex(BUILTIN_CATALOG),
      platform: currentPlatform(),
      users,
      pathDirs: (process.env.PATH ?? '').split(':'),
      extraNpmPrefixes: [],
      selfPid: process.pid,
    };
    const runs: number[] = [];
    let found = 0;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const r = await scan(ctx, ['inventory']);
      runs.push(performance.now() - t);
      found = r.detections.length;
    }
    return { firstMs: runs[0], medianMs: median(runs), detections: found };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
