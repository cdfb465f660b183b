// `npm run build` (last step): bundles the admin dashboard (server/dashboard/src, Preact + TSX,
// type-checked by its own tsconfig before this runs) with esbuild into dist/dashboard: one
// JavaScript and one CSS file named by their content hash, and index.html pointing at them.
// edict-server serves that folder itself (server/src/dashboard/static.ts); nothing is fetched
// from the internet at build or run time.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from './project-root.js';

const root = projectRoot();
const src = path.join(root, 'server', 'dashboard', 'src');
const out = path.join(root, 'dist', 'dashboard');
const assets = path.join(out, 'assets');
rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  entryPoints: { app: path.join(src, 'main.tsx'), styles: path.join(src, 'styles.css') },
  outdir: assets,
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
});
const names = Object.keys(result.metafile.outputs).map((f) => path.basename(f));
const js = names.find((n) => n.startsWith('app-') && n.endsWith('.js'));
const css = names.find((n) => n.startsWith('styles-') && n.endsWith('.css'));
if (!js || !css) throw new Error(`dashboard build produced ${names.join(', ')}`);
const html = readFileSync(path.join(src, 'index.html'), 'utf8').replace('{{js}}', js).replace('{{css}}', css);
writeFileSync(path.join(out, 'index.html'), html);
const size = (n: string) => `${n} ${(statSync(path.join(assets, n)).size / 1024).toFixed(1)} KiB`;
process.stdout.write(`dashboard built: ${size(js)}, ${size(css)}\n`);
