// Unit tests for each inventory collector, on real files in temporary folders (and, for formats
// of systems that are not this one — macOS plists, Windows registry text and shortcuts — on
// fixture files under test/fixtures, which say how they were made).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILTIN_CATALOG } from '../../../shared/src/catalog/builtin.js';
import { Tool } from '../../../shared/src/catalog/schema.js';
import type { ScanContext } from '../../../agent/src/collectors/types.js';
import { jetbrainsPluginsCollector, parsePluginXml, scanPluginDir } from '../../../agent/src/collectors/jetbrains-plugins.js';
import { dpkgDetections, parseDpkgStatus, parseRpmQuery, appImageDetections, flatpakDetections, snapDetections } from '../../../agent/src/collectors/linux-packages.js';
import { bundleInfo, scanAppDir } from '../../../agent/src/collectors/mac-bundles.js';
import { npmGlobalsCollector } from '../../../agent/src/collectors/npm-globals.js';
import { parsePlist } from '../../../agent/src/collectors/plist.js';
import { pythonPackagesCollector } from '../../../agent/src/collectors/python-packages.js';
import { runnerCachesCollector } from '../../../agent/src/collectors/runner-caches.js';
import { vscodeExtensionsCollector } from '../../../agent/src/collectors/vscode-extensions.js';
import { parseLnk, scanStartMenu } from '../../../agent/src/collectors/windows-shortcuts.js';
import { parseRegQuery, uninstallDetections } from '../../../agent/src/collectors/windows-uninstall.js';
import { readZipEntry } from '../../../agent/src/collectors/zip.js';
import { configDirsCollector } from '../../../agent/src/collectors/config-dirs.js';
import { CatalogIndex, runnerInvocation } from '../../../agent/src/matcher.js';
import { currentPlatform } from '../../../agent/src/platform/index.js';
import { containerFromCgroup } from '../../../agent/src/platform/cgroup.js';

const FIX = path.resolve('test/fixtures');
const index = new CatalogIndex(BUILTIN_CATALOG);
let tmp: string;

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'edict-coll-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function ctx(users: { user: string; home: string }[], idx = index): ScanContext {
  return { index: idx, platform: currentPlatform(), users, pathDirs: [], extraNpmPrefixes: [], selfPid: process.pid };
}
function write(p: string, text: string | Buffer): string {
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}
function pkg(dir: string, name: string, version = '1.0.0'): void {
  write(path.join(dir, 'package.json'), JSON.stringify({ name, version }));
}
const brief = (ds: { toolId: string; kind: string; user: string; evidence: { signature: string; version?: string } }[]) =>
  ds.map((d) => `${d.toolId}|${d.kind}|${d.user}|${d.evidence.signature}|${d.evidence.version ?? ''}`).sort();

describe('catalog', () => {
  test('every SPEC id is present and parses; old-style tools without the new fields still parse', () => {
    const ids = BUILTIN_CATALOG.map((t) => t.id).sort();
    expect(ids).toEqual(['aider', 'amazon-q', 'claude-code', 'cline', 'codex-cli', 'continue', 'cursor', 'gemini-cli', 'github-copilot', 'kiro', 'qoder', 'qwen-code', 'roo-code', 'tongyi-lingma', 'trae', 'windsurf']);
    const old = Tool.parse({ id: 'x', displayName: 'X', vendor: 'V', category: ['cli-agent'], signatures: { npmPackages: ['x'], executables: [], knownPaths: [], processNames: [], exePathPatterns: [], cmdlinePatterns: [], configDirs: [] } });
    expect(old.signatures.vscodeExtensions).toEqual([]);
    expect(old.signatures.contentMarkers).toEqual([]);
    expect(Tool.safeParse({ ...old, signatures: { childEnvMarkers: ['not a marker!'] } }).success).toBe(false);
  });
  test('a package runner is recognised only when the process is the runner itself, for the exact package', () => {
    // (executable basename, the command line as /proc shows it)
    const m = (exe: string, cmd: string) => runnerInvocation(exe, cmd.split(/\s+/), index)?.toolId;
    expect(m('node', 'npm exec @anthropic-ai/claude-code')).toBe('claude-code'); // npm's own title for `npx`
    expect(m('node', 'node /usr/bin/npx -y @anthropic-ai/claude-code@2.1.197 -p hi')).toBe('claude-code');
    expect(m('node', 'node /usr/lib/node_modules/npm/bin/npm-cli.js exec --yes -- @openai/codex')).toBe('codex-cli');
    expect(m('node', 'npx -p @google/gemini-cli gemini')).toBe('gemini-cli');
    expect(m('pnpm', 'pnpm dlx @openai/codex')).toBe('codex-cli');
    expect(m('bun', 'bunx @google/gemini-cli')).toBe('gemini-cli');
    expect(m('bun', 'bun x @google/gemini-cli')).toBe('gemini-cli');
    expect(m('node', 'node /home/u/.yarn/bin/yarn.js dlx @qwen-code/qwen-code')).toBe('qwen-code');
    // lookalike packages and other npm commands
    expect(m('node', 'npx claude-code-helper')).toBeUndefined();
    expect(m('node', 'npx @anthropic-ai/claude-code-helper')).toBeUndefined();
    expect(m('node', 'npm install -g @anthropic-ai/claude-code')).toBeUndefined();
    expect(m('node', 'node server.js @anthropic-ai/claude-code')).toBeUndefined();
    // programs whose arguments merely hold a runner command line
    expect(m('tmux', 'tmux new-session -d npx @anthropic-ai/claude-code')).toBeUndefined();
    expect(m('grep', 'grep -F npx @anthropic-ai/claude-code session.log')).toBeUndefined();
    expect(m('bash', 'bash -c npx @anthropic-ai/claude-code')).toBeUndefined();
    expect(m('sh', '/bin/sh /tmp/bin/npx @anthropic-ai/claude-code')).toBeUndefined(); // a script named npx is not npm's
  });
});

describe('npm globals across prefix kinds', () => {
  test('nvm, fnm, volta (scoped), asdf, mise, pnpm global, bun global, yarn, ~/.npmrc prefix; lookalike names ignored', async () => {
    const h = path.join(tmp, 'u');
    pkg(path.join(h, '.nvm/versions/node/v20.1.0/lib/node_modules/@anthropic-ai/claude-code'), '@anthropic-ai/claude-code', '2.1.197');
    pkg(path.join(h, '.local/share/fnm/node-versions/v22.0.0/installation/lib/node_modules/@openai/codex'), '@openai/codex', '0.169.0');
    pkg(path.join(h, '.volta/tools/image/packages/@google/gemini-cli/lib/node_modules/@google/gemini-cli'), '@google/gemini-cli', '0.61.0');
    pkg(path.join(h, '.asdf/installs/nodejs/20.0.0/lib/node_modules/@qwen-code/qwen-code'), '@qwen-code/qwen-code', '0.15.10');
    pkg(path.join(h, '.local/share/mise/installs/node/22/lib/node_modules/cline'), 'cline', '3.0.65');
    // pnpm: the global node_modules holds a symlink into the .pnpm store (scope separator '+')
    const store = path.join(h, '.local/share/pnpm/global/5/node_modules/.pnpm/@qoder-ai+qodercli@1.1.52/node_modules/@qoder-ai/qodercli');
    pkg(store, '@qoder-ai/qodercli', '1.1.52');
    mkdirSync(path.join(h, '.local/share/pnpm/global/5/node_modules/@qoder-ai'), { recursive: true });
    symlinkSync(store, path.join(h, '.local/share/pnpm/global/5/node_modules/@qoder-ai/qodercli'));
    pkg(path.join(h, '.bun/install/global/node_modules/@continuedev/cli'), '@continuedev/cli', '1.5.47');
    pkg(path.join(h, '.config/yarn/global/node_modules/@github/copilot'), '@github/copilot', '1.0.102');
    write(path.join(h, '.npmrc'), 'prefix=~/my-prefix\n');
    pkg(path.join(h, 'my-prefix/lib/node_modules/@anthropic-ai/claude-code'), '@anthropic-ai/claude-code', '2.1.329');
    // lookalikes: right folder name, other package; a helper named like the tool
    pkg(path.join(h, '.npm-global/lib/node_modules/@openai/codex'), 'not-codex');
    pkg(path.join(h, '.npm-global/lib/node_modules/claude-code-helper'), 'claude-code-helper');
    const got = brief(await npmGlobalsCollector.collect(ctx([{ user: 'ann', home: h }])));
    expect(got).toEqual(
      [
        'claude-code|installed|ann|npm:@anthropic-ai/claude-code|2.1.197',
        'claude-code|installed|ann|npm:@anthropic-ai/claude-code|2.1.329',
        'codex-cli|installed|ann|npm:@openai/codex|0.169.0',
        'gemini-cli|installed|ann|npm:@google/gemini-cli|0.61.0',
        'qwen-code|installed|ann|npm:@qwen-code/qwen-code|0.15.10',
        'cline|installed|ann|npm:cline|3.0.65',
        'qoder|installed|ann|npm:@qoder-ai/qodercli|1.1.52',
        'continue|installed|ann|npm:@continuedev/cli|1.5.47',
        'github-copilot|installed|ann|npm:@github/copilot|1.0.102',
      ].sort(),
    );
  });
});

describe('runner caches (npx, pnpm dlx, bunx)', () => {
  test('cached copies are usage evidence with the runner named; other packages ignored', async () => {
    const h = path.join(tmp, 'u');
    pkg(path.join(h, '.npm/_npx/9a8b7c6d5e4f3a2b/node_modules/@anthropic-ai/claude-code'), '@anthropic-ai/claude-code', '2.1.197');
    pkg(path.join(h, '.npm/_npx/1111/node_modules/left-pad'), 'left-pad');
    pkg(path.join(h, '.cache/pnpm/dlx/abc123/19a-7f/node_modules/.pnpm/@openai+codex@0.169.0/node_modules/@openai/codex'), '@openai/codex', '0.169.0');
    pkg(path.join(h, '.bun/install/cache/.bunx-1000/@google/gemini-cli@0.61.0/node_modules/@google/gemini-cli'), '@google/gemini-cli', '0.61.0');
    const got = brief(await runnerCachesCollector.collect(ctx([{ user: 'ann', home: h }])));
    expect(got).toEqual(['claude-code|usage|ann|npx:@anthropic-ai/claude-code|2.1.197', 'codex-cli|usage|ann|pnpm-dlx:@openai/codex|0.169.0', 'gemini-cli|usage|ann|bunx:@google/gemini-cli|0.61.0']);
  });
});

describe('VS Code family extensions', () => {
  test('extensions.json entries across forks and remote servers; obsolete skipped; stray folders weaker', async () => {
    const h = path.join(tmp, 'u');
    const ext = path.join(h, '.vscode/extensions');
    mkdirSync(path.join(ext, 'anthropic.claude-code-2.0.10-linux-x64'), { recursive: true });
    mkdirSync(path.join(ext, 'saoudrizwan.claude-dev-3.20.0'), { recursive: true });
    mkdirSync(path.join(ext, 'github.copilot-1.300.0'), { recursive: true });
    mkdirSync(path.join(ext, 'ms-python.python-2025.1.0'), { recursive: true });
    write(path.join(ext, 'extensions.json'), JSON.stringify([
      { identifier: { id: 'Anthropic.claude-code', uuid: 'x' }, version: '2.0.10', location: { $mid: 1, path: path.join(ext, 'anthropic.claude-code-2.0.10-linux-x64'), scheme: 'file' }, relativeLocation: 'anthropic.claude-code-2.0.10-linux-x64' },
      { identifier: { id: 'ms-python.python' }, version: '2025.1.0', relativeLocation: 'ms-python.python-2025.1.0' },
      { identifier: { id: 'saoudrizwan.claude-dev' }, version: '3.20.0', relativeLocation: 'saoudrizwan.claude-dev-3.20.0' },
    ]));
    write(path.join(ext, '.obsolete'), JSON.stringify({ 'saoudrizwan.claude-dev-3.20.0': true }));
    const server = path.join(h, '.vscode-server/extensions');
    mkdirSync(path.join(server, 'alibaba-cloud.tongyi-lingma-2.5.3'), { recursive: true });
    mkdirSync(path.join(h, '.cursor/extensions/rooveterinaryinc.roo-cline-3.25.1'), { recursive: true });
    const ds = await vscodeExtensionsCollector.collect(ctx([{ user: 'ann', home: h }]));
    expect(brief(ds)).toEqual([
      'claude-code|installed|ann|vscode-extension:anthropic.claude-code|2.0.10',
      'github-copilot|installed|ann|vscode-extension:github.copilot|1.300.0',
      'roo-code|installed|ann|vscode-extension:rooveterinaryinc.roo-cline|3.25.1',
      'tongyi-lingma|installed|ann|vscode-extension:alibaba-cloud.tongyi-lingma|2.5.3',
    ]);
    expect(ds.find((d) => d.toolId === 'github-copilot')!.confidence).toBeLessThan(ds.find((d) => d.toolId === 'claude-code')!.confidence);
  });
});

describe('JetBrains plugins', () => {
  test('id read from META-INF/plugin.xml inside the plugin jar, not from the folder name', async () => {
    const h = path.join(tmp, 'u');
    const plugins = path.join(h, '.local/share/JetBrains/IntelliJIdea2025.2');
    mkdirSync(path.join(plugins, 'some-renamed-folder/lib'), { recursive: true });
    copyFileSync(path.join(FIX, 'jetbrains/claude-code-jetbrains-plugin-0.1.12-beta.jar'), path.join(plugins, 'some-renamed-folder/lib/claude-code-jetbrains-plugin-0.1.12-beta.jar'));
    mkdirSync(path.join(plugins, 'claude-code-jetbrains-plugin/lib'), { recursive: true });
    copyFileSync(path.join(FIX, 'jetbrains/unrelated-plugin.jar'), path.join(plugins, 'claude-code-jetbrains-plugin/lib/x.jar')); // lookalike folder name
    const ds = await jetbrainsPluginsCollector.collect(ctx([{ user: 'ann', home: h }]));
    expect(brief(ds)).toEqual(['claude-code|installed|ann|jetbrains-plugin:com.anthropic.code.plugin|0.1.12-beta']);
    expect(ds[0].evidence.path).toBe(path.join(plugins, 'some-renamed-folder'));
    expect(readZipEntry(path.join(FIX, 'jetbrains/unrelated-plugin.jar'), 'META-INF/plugin.xml')!.toString()).toContain('org.example.markdown');
    expect(readZipEntry(path.join(FIX, 'macos/Cursor-Info.plist'), 'META-INF/plugin.xml')).toBeUndefined();
    expect(parsePluginXml('<!-- <id>a</id> --><idea-plugin><id>b</id></idea-plugin>').id).toBe('b');
    expect(scanPluginDir(path.join(tmp, 'missing'), 'ann', { index })).toEqual([]);
  });
});

describe('Python packages', () => {
  test('pip --user, pipx and uv venvs; names normalised (aider_chat == aider-chat)', async () => {
    const h = path.join(tmp, 'u');
    mkdirSync(path.join(h, '.local/lib/python3.11/site-packages/aider_chat-0.86.1.dist-info'), { recursive: true });
    mkdirSync(path.join(h, '.local/pipx/venvs/aider-chat/lib/python3.12/site-packages/aider_chat-0.85.0.dist-info'), { recursive: true });
    mkdirSync(path.join(h, '.local/share/uv/tools/aider-chat/lib/python3.12/site-packages/Aider.Chat-0.84.0.dist-info'), { recursive: true });
    mkdirSync(path.join(h, '.local/lib/python3.11/site-packages/aider_notes-1.0.dist-info'), { recursive: true });
    const ds = await pythonPackagesCollector.collect(ctx([{ user: 'ann', home: h }]));
    expect(brief(ds.filter((d) => d.evidence.path!.startsWith(h)))).toEqual(['aider|installed|ann|python:aider-chat|0.84.0', 'aider|installed|ann|python:aider-chat|0.85.0', 'aider|installed|ann|python:aider-chat|0.86.1']);
  });
});

describe('Linux packages', () => {
  test('dpkg: the real status file of this machine, with a catalog naming an installed package', () => {
    if (!existsSync('/var/lib/dpkg/status')) return; // not a dpkg system
    const custom = new CatalogIndex([Tool.parse({ id: 'demo', displayName: 'Demo', vendor: 'V', category: ['cli-agent'], signatures: { linuxPackages: ['bash', 'surely-not-installed-pkg'] } })]);
    const ds = dpkgDetections('/var/lib/dpkg/status', custom);
    const version = execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'bash']).toString();
    expect(brief(ds)).toEqual([`demo|installed|root|dpkg:bash|${version}`]);
    // the built-in catalog finds none of its tools on this machine
    expect(dpkgDetections('/var/lib/dpkg/status', index)).toEqual([]);
  });
  test('dpkg stanzas that are removed or config-files only do not count; rpm -q output parsed', () => {
    const status = 'Package: cursor\nStatus: install ok installed\nVersion: 1.7.52\n\nPackage: windsurf\nStatus: deinstall ok config-files\nVersion: 1.0\n\nPackage: kiro\nStatus: purge ok not-installed\n';
    expect([...parseDpkgStatus(status)]).toEqual([['cursor', '1.7.52']]);
    expect(parseRpmQuery('cursor 1.7.52-1\npackage windsurf is not installed\n', index)).toEqual([{ toolId: 'cursor', name: 'cursor', version: '1.7.52-1' }]);
  });
  test('snap, flatpak and AppImage layouts', () => {
    write(path.join(tmp, 'snap/cursor/current/meta/snap.yaml'), "name: cursor\nversion: '1.7.52'\n");
    mkdirSync(path.join(tmp, 'flatpak/app/kiro/current'), { recursive: true });
    write(path.join(tmp, 'Applications/Cursor-1.7.52-x86_64.AppImage'), 'AI\x02');
    write(path.join(tmp, 'Applications/Cursory-notes.AppImage'), 'AI\x02');
    expect(brief(snapDetections(path.join(tmp, 'snap'), index))).toEqual(['cursor|installed|root|snap:cursor|1.7.52']);
    expect(brief(flatpakDetections(path.join(tmp, 'flatpak/app'), 'ann', index))).toEqual(['kiro|installed|ann|flatpak:kiro|']);
    expect(brief(appImageDetections(path.join(tmp, 'Applications'), 'ann', index))).toEqual(['cursor|installed|ann|appimage:^Cursor-.*\\.AppImage$|1.7.52']);
  });
});

describe('macOS bundles (fixtures: no macOS host here)', () => {
  test('XML and binary Info.plist parse to their CFBundleIdentifier', () => {
    expect(bundleInfo(readFileSync(path.join(FIX, 'macos/Cursor-Info.plist')))).toEqual({ id: 'com.todesktop.230313mzl4w4u92', version: '1.7.52' });
    expect(bundleInfo(readFileSync(path.join(FIX, 'macos/QoderIDE-Info.bplist')))).toEqual({ id: 'com.qoder.ide', version: '0.2.14' });
    const bin = parsePlist(readFileSync(path.join(FIX, 'macos/QoderIDE-Info.bplist'))) as Record<string, unknown>;
    expect(bin.CFBundleDisplayName).toBe('Qoder IDE \u00e9\u4e2d');
    expect(bin.Count).toBe(12345678901);
    expect(bin.Ratio).toBe(1.5);
    expect(() => parsePlist(Buffer.from('bplist00 truncated'))).toThrow();
  });
  test('bundles found by id even when renamed; other apps ignored', () => {
    const apps = path.join(tmp, 'Applications');
    write(path.join(apps, 'My Editor.app/Contents/Info.plist'), readFileSync(path.join(FIX, 'macos/Cursor-Info.plist')));
    write(path.join(apps, 'Qoder.app/Contents/Info.plist'), readFileSync(path.join(FIX, 'macos/QoderIDE-Info.bplist')));
    write(path.join(apps, 'Safari.app/Contents/Info.plist'), readFileSync(path.join(FIX, 'macos/Safari-Info.bplist')));
    write(path.join(apps, 'Cursor.app/Contents/Info.plist'), 'garbage');
    expect(brief(scanAppDir(apps, () => 'ann', index))).toEqual(['cursor|installed|ann|bundle-id:com.todesktop.230313mzl4w4u92|1.7.52', 'qoder|installed|ann|bundle-id:com.qoder.ide|0.2.14']);
  });
});

describe('Windows uninstall registry and Start Menu (fixtures: no Windows host here)', () => {
  test('reg query output parsed; DisplayName rules match tools, per-user keys name the SID', () => {
    const entries = parseRegQuery(readFileSync(path.join(FIX, 'windows/reg-query-uninstall.txt'), 'utf8'));
    expect(entries).toHaveLength(5);
    expect(entries[1].values['Inno Setup: App Path']).toBe('C:\\Users\\li.wei\\AppData\\Local\\Programs\\Trae');
    const ds = uninstallDetections(entries, index);
    expect(brief(ds)).toEqual([
      'cursor|installed|sid:S-1-5-21-3623811015-3361044348-30300820-1013|uninstall:^Cursor( \\(User\\))?( [\\d.]+)?$|1.7.52',
      'kiro|installed|current-user|uninstall:^Kiro( \\(User\\))?$|0.5.0',
      'trae|installed|all-users|uninstall:^Trae( CN)?( \\(User\\))?$|1.104.3',
    ]);
  });
  test('.lnk target read from LinkInfo; shortcut found by target path', () => {
    const lnk = readFileSync(path.join(FIX, 'windows/Cursor.lnk'));
    expect(parseLnk(lnk).target).toBe('C:\\Users\\li.wei\\AppData\\Local\\Programs\\cursor\\Cursor.exe');
    expect(parseLnk(lnk).workingDir).toBe('C:\\Users\\li.wei\\AppData\\Local\\Programs\\cursor');
    expect(() => parseLnk(Buffer.from('not a link'))).toThrow();
    const menu = path.join(tmp, 'Programs');
    write(path.join(menu, 'Anysphere/Editor.lnk'), lnk);
    write(path.join(menu, 'Trae.lnk'), 'broken');
    write(path.join(menu, 'Notepad++.lnk'), 'broken');
    expect(brief(scanStartMenu(menu, 'li.wei', index))).toEqual(['cursor|installed|li.wei|shortcut-target:Programs[\\\\/]cursor[\\\\/]Cursor\\.exe$|', 'trae|installed|li.wei|shortcut-name:^Trae( CN)?$|']);
  });
});

describe('config dirs and containers', () => {
  test('a home-root ~/.claude is usage; a project folder named .claude is not', async () => {
    const h = path.join(tmp, 'u');
    mkdirSync(path.join(h, 'work/project/.claude'), { recursive: true });
    expect(await configDirsCollector.collect(ctx([{ user: 'ann', home: h }]))).toEqual([]);
    mkdirSync(path.join(h, '.claude'));
    expect(brief(await configDirsCollector.collect(ctx([{ user: 'ann', home: h }])))).toEqual(['claude-code|usage|ann|config-dir:~/.claude|']);
  });
  test('cgroup formats of docker, podman, containerd, CRI-O; host processes have none', () => {
    const id = '3f2a9c01b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e';
    expect(containerFromCgroup(`0::/system.slice/docker-${id}.scope\n`)).toBe('docker:3f2a9c01b2d4');
    expect(containerFromCgroup(`12:pids:/docker/${id}\n11:cpu:/docker/${id}\n`)).toBe('docker:3f2a9c01b2d4');
    expect(containerFromCgroup(`0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${id}.scope/container\n`)).toBe('podman:3f2a9c01b2d4');
    expect(containerFromCgroup(`0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-${id}.scope\n`)).toBe('containerd:3f2a9c01b2d4');
    expect(containerFromCgroup(`0::/kubepods.slice/kubepods-pod1.slice/crio-${id}.scope\n`)).toBe('cri-o:3f2a9c01b2d4');
    expect(containerFromCgroup('0::/user.slice/user-1000.slice/session-2.scope\n')).toBeUndefined();
    expect(containerFromCgroup('0::/\n')).toBeUndefined();
  });
});
