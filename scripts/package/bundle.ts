// esbuild bundles for the packages, made from the tsc output in dist/: the agent as one CommonJS
// file (what a Node single executable runs) and the server and edictctl as ES modules run by the
// Node the server package carries (better-sqlite3 stays outside: it is a native addon shipped as
// files). The version and commit are embedded as constants; the code is not minified, so what
// runs on a workstation can be read.
import { build, type Plugin } from 'esbuild';
import path from 'node:path';
import type { BuildInfo } from './build-info.js';

/** Optional modules some dependencies try to load (in try/catch): absent from the bundle on purpose. */
const OPTIONAL_ABSENT = ['bufferutil', 'utf-8-validate', 'osx-temperature-sensor', 'macos-temperature-sensor'];

const optionalAbsent: Plugin = {
  name: 'optional-absent',
  setup(b) {
    const filter = new RegExp(`^(${OPTIONAL_ABSENT.join('|')})$`);
    b.onResolve({ filter }, (a) => ({ path: a.path, namespace: 'optional-absent' }));
    b.onLoad({ filter: /.*/, namespace: 'optional-absent' }, (a) => ({
      contents: `throw Object.assign(new Error(${JSON.stringify(`optional module ${a.path} is not part of this package`)}), { code: 'MODULE_NOT_FOUND' });`,
      loader: 'js',
    }));
  },
};

function defines(info: BuildInfo): Record<string, string> {
  return {
    __EDICT_BUILD_VERSION__: JSON.stringify(info.version),
    __EDICT_BUILD_COMMIT__: JSON.stringify(info.commit),
  };
}

export async function bundleAgent(root: string, info: BuildInfo, outfile: string): Promise<void> {
  await build({
    entryPoints: [path.join(root, 'dist/agent/src/cli.js')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // version.ts reads import.meta.url only when no version was embedded; never in this bundle.
    define: { ...defines(info), 'import.meta.url': '"file:///edict-agent.cjs"' },
    plugins: [optionalAbsent],
    legalComments: 'eof',
    logLevel: 'warning',
    banner: { js: `// edict-agent ${info.version} (commit ${info.commit}), bundled from the Edict sources for a Node single executable.` },
  });
}

export async function bundleServer(root: string, info: BuildInfo, outdir: string): Promise<void> {
  await build({
    entryPoints: { 'edict-server': path.join(root, 'dist/server/src/cli.js'), edictctl: path.join(root, 'dist/server/src/ctl/cli.js') },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: false,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    define: defines(info),
    external: ['better-sqlite3'],
    plugins: [optionalAbsent],
    legalComments: 'eof',
    logLevel: 'warning',
    // CommonJS dependencies inside an ES module bundle call require(): give them the real one.
    banner: {
      js: [
        `// edict-server ${info.version} (commit ${info.commit}), bundled from the Edict sources.`,
        `import { createRequire as __edictCreateRequire } from 'node:module';`,
        `const require = __edictCreateRequire(import.meta.url);`,
      ].join('\n'),
    },
  });
}
