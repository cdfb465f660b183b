// What each package holds. The agent: the single executable, its unit, a default config, the
// enrollment settings example and the documents an employee or admin reads. The server: the Node
// runtime it was built with (Debian 12 ships Node 18), the bundled server and edictctl, the built
// dashboard, better-sqlite3's native addon with the two small modules that load it, wrappers in /usr/bin,
// its unit, a commented settings file and the reverse-proxy examples.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildInfo } from './build-info.js';
import { shortCommit } from './build-info.js';
import type { PackageSpec, TreeFile } from './tree.js';

const LIBC_DEPENDS = ['libc6 (>= 2.28)', 'libstdc++6 (>= 5.2)', 'libgcc-s1 | libgcc1'];
const RPM_REQUIRES = ['glibc >= 2.28', 'libstdc++'];

function text(root: string, rel: string): string {
  return readFileSync(path.join(root, rel), 'utf8');
}

export const AGENT_CONFIG_DEFAULT = `${JSON.stringify({ logLevel: 'info' }, null, 2)}\n`;

export function agentSpec(root: string, info: BuildInfo, seaBinary: string): PackageSpec {
  const doc = '/usr/share/doc/edict-agent';
  const files: TreeFile[] = [
    { path: '/usr/bin/edict-agent', mode: 0o755, from: seaBinary },
    { path: '/lib/systemd/system/edict-agent.service', mode: 0o644, content: text(root, 'installers/linux/edict-agent.service') },
    { path: '/etc/edict/agent.json', mode: 0o644, content: AGENT_CONFIG_DEFAULT, conffile: true },
    { path: `${doc}/README.md`, mode: 0o644, content: text(root, 'installers/README.md') },
    { path: `${doc}/privacy.md`, mode: 0o644, content: text(root, 'docs/privacy.md') },
    { path: `${doc}/agent.env.example`, mode: 0o644, content: text(root, 'installers/linux/agent.env.example') },
  ];
  return {
    name: 'edict-agent',
    version: info.version,
    summary: 'Edict agent: company software policy (detection, notices, reports)',
    description: `The Edict agent finds installed and running copies of software tools your company has banned, shows employees notices with the ban date and the approved replacement, and reports to your company's Edict server. It collects only what policy needs; "edict-agent status" shows everything it found and sent.

Single executable (Node.js ${info.nodeVersion} inside), built from commit ${shortCommit(info.commit)}. Enrolls unattended from EDICT_SERVER and EDICT_ENROLL_TOKEN in /etc/edict/agent.env.`,
    files,
    dirs: ['/etc/edict', doc],
    deb: { depends: LIBC_DEPENDS, recommends: ['libglib2.0-bin'], section: 'admin' },
    rpm: { requires: RPM_REQUIRES, group: 'System Environment/Daemons' },
    scriptLib: text(root, 'installers/linux/agent-scripts.sh'),
    steps: { configure: 'edict_agent_configure', stop: 'edict_agent_stop', removed: 'edict_agent_removed', purge: 'edict_agent_purge' },
  };
}

/** Files of a node_modules package, those `keep` accepts, with their paths relative to the package. */
function moduleFiles(root: string, name: string, keep: (rel: string) => boolean): { rel: string; abs: string }[] {
  const base = path.join(root, 'node_modules', name);
  const out: { rel: string; abs: string }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const abs = path.join(dir, e.name);
      const rel = path.relative(base, abs);
      if (e.isDirectory()) walk(abs);
      else if (e.isFile() && keep(rel)) out.push({ rel, abs });
    }
  };
  walk(base);
  return out;
}

export function serverSpec(root: string, info: BuildInfo, bundleDir: string): PackageSpec {
  const lib = '/usr/lib/edict-server';
  const doc = '/usr/share/doc/edict-server';
  const nodeModules: TreeFile[] = [
    ...moduleFiles(root, 'better-sqlite3', (r) => r === 'package.json' || r === 'LICENSE' || r.startsWith('lib/') || r === 'build/Release/better_sqlite3.node').map((f) => ({
      path: `${lib}/node_modules/better-sqlite3/${f.rel}`,
      mode: f.rel.endsWith('.node') ? 0o755 : 0o644,
      from: f.abs,
    })),
    ...['bindings', 'file-uri-to-path'].flatMap((m) =>
      moduleFiles(root, m, (r) => !r.includes('/') && (r.endsWith('.js') || r === 'package.json' || r.startsWith('LICENSE'))).map((f) => ({
        path: `${lib}/node_modules/${m}/${f.rel}`,
        mode: 0o644,
        from: f.abs,
      })),
    ),
  ];
  // The dashboard as `npm run build` bundled it (dist/dashboard): the server finds it beside itself.
  const dashboardDir = path.join(root, 'dist', 'dashboard');
  const dashboard: TreeFile[] = [
    { path: `${lib}/dashboard/index.html`, mode: 0o644, from: path.join(dashboardDir, 'index.html') },
    ...readdirSync(path.join(dashboardDir, 'assets'))
      .sort()
      .map((f) => ({ path: `${lib}/dashboard/assets/${f}`, mode: 0o644, from: path.join(dashboardDir, 'assets', f) })),
  ];
  const wrapper = (entry: string) => `#!/bin/sh\n# Runs ${entry} with the Node runtime the edict-server package carries (not the system's node).\nexec ${lib}/node ${lib}/${entry}.mjs "$@"\n`;
  const files: TreeFile[] = [
    { path: `${lib}/node`, mode: 0o755, from: process.execPath },
    { path: `${lib}/edict-server.mjs`, mode: 0o644, from: path.join(bundleDir, 'edict-server.mjs') },
    { path: `${lib}/edictctl.mjs`, mode: 0o644, from: path.join(bundleDir, 'edictctl.mjs') },
    ...nodeModules,
    ...dashboard,
    { path: '/usr/bin/edict-server', mode: 0o755, content: wrapper('edict-server') },
    { path: '/usr/bin/edictctl', mode: 0o755, content: wrapper('edictctl') },
    { path: '/lib/systemd/system/edict-server.service', mode: 0o644, content: text(root, 'installers/linux/edict-server.service') },
    { path: '/etc/edict/server.env', mode: 0o644, content: text(root, 'installers/linux/server.env'), conffile: true },
    { path: `${doc}/README.md`, mode: 0o644, content: text(root, 'installers/README.md') },
    { path: `${doc}/examples/Caddyfile`, mode: 0o644, content: text(root, 'installers/linux/Caddyfile') },
    { path: `${doc}/examples/nginx-edict.conf`, mode: 0o644, content: text(root, 'installers/linux/nginx-edict.conf') },
  ];
  return {
    name: 'edict-server',
    version: info.version,
    summary: 'Edict server: agent gateway, admin API and policy store',
    description: `The Edict server holds software ban policies with their dates, pushes them to Edict agents over WebSocket, records what agents report and serves the admin API and edictctl. Embedded SQLite database in /var/lib/edict-server.

Carries its own Node.js ${info.nodeVersion} runtime (better-sqlite3 is a native addon built for it), built from commit ${shortCommit(info.commit)}.`,
    files,
    dirs: ['/etc/edict', lib, `${lib}/dashboard`, `${lib}/dashboard/assets`, doc],
    deb: { depends: [...LIBC_DEPENDS, 'passwd'], section: 'admin' },
    rpm: { requires: [...RPM_REQUIRES, 'shadow-utils'], group: 'System Environment/Daemons' },
    scriptLib: text(root, 'installers/linux/server-scripts.sh'),
    steps: { configure: 'edict_server_configure', stop: 'edict_server_stop', removed: 'edict_server_removed', purge: 'edict_server_purge' },
  };
}
