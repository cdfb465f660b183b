// .rpm from a PackageSpec with rpmbuild (Debian's `rpm` package): a generated spec whose %install
// copies the staged tree, %files lists each path with its mode, and %post/%preun/%postun call the
// same maintainer functions as the .deb (rpm passes 1 = install, 2 = upgrade, 0 = erase).
// Nothing is stripped or post-processed (the single executable must stay as built); build time,
// host and file times come from SOURCE_DATE_EPOCH so two builds of one commit match.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LICENSE, rpmPath, stageTree, type PackageSpec } from './tree.js';

export function rpmFileName(name: string, version: string): string {
  return `${name}-${version}.x86_64.rpm`;
}

function mode(m: number): string {
  return m.toString(8).padStart(4, '0');
}

export function buildRpm(spec: PackageSpec, outDir: string, epoch: number): string {
  const work = mkdtempSync(path.join(os.tmpdir(), `edict-rpm-${spec.name}-`));
  try {
    const stage = path.join(work, 'stage');
    mkdirSync(stage);
    stageTree(spec, stage, epoch, rpmPath);
    const top = path.join(work, 'top');
    for (const d of ['BUILD', 'RPMS', 'SOURCES', 'SPECS', 'SRPMS', 'BUILDROOT']) mkdirSync(path.join(top, d), { recursive: true });
    const s = spec.steps;
    // rpm removes only the folders a package owns: own every folder under the package's own ones.
    const owned = new Set(spec.dirs);
    for (const f of spec.files) {
      for (let d = path.posix.dirname(f.path); d !== '/'; d = path.posix.dirname(d)) {
        if (spec.dirs.some((top) => d.startsWith(top + '/'))) owned.add(d);
      }
    }
    const files = [
      ...[...owned].sort().map((d) => `%dir %attr(0755,root,root) ${rpmPath(d)}`),
      ...spec.files.map((f) => `${f.conffile ? '%config(noreplace) ' : ''}%attr(${mode(f.mode)},root,root) ${rpmPath(f.path)}`),
    ];
    const text = [
      `Name: ${spec.name}`,
      `Version: ${spec.version}`,
      'Release: 1',
      `Summary: ${spec.summary}`,
      `License: ${LICENSE}`,
      `Group: ${spec.rpm.group}`,
      'BuildArch: x86_64',
      'AutoReqProv: no',
      ...spec.rpm.requires.map((r) => `Requires: ${r}`),
      '',
      '%description',
      spec.description.trim(),
      '',
      '%install',
      'mkdir -p %{buildroot}',
      `cp -a ${stage}/. %{buildroot}/`,
      '',
      '%files',
      ...files,
      '',
      '%post',
      spec.scriptLib,
      `${s.configure}`,
      '',
      '%preun',
      spec.scriptLib,
      `if [ "$1" -eq 0 ]; then ${s.stop}; fi`,
      '',
      '%postun',
      spec.scriptLib,
      `if [ "$1" -eq 0 ]; then ${s.removed}; fi`,
      '',
    ].join('\n');
    const specFile = path.join(top, 'SPECS', `${spec.name}.spec`);
    writeFileSync(specFile, text);
    const defines: Record<string, string> = {
      _topdir: top,
      _build_id_links: 'none',
      debug_package: '%{nil}',
      __os_install_post: '%{nil}',
      _binary_payload: 'w6.gzdio',
      _buildhost: 'edict-build',
      use_source_date_epoch_as_buildtime: '1',
      clamp_mtime_to_source_date_epoch: '1',
      _rpmfilename: '%%{NAME}-%%{VERSION}.%%{ARCH}.rpm',
    };
    const args = ['-bb', '--nodeps', '--quiet', ...Object.entries(defines).flatMap(([k, v]) => ['--define', `${k} ${v}`]), specFile];
    execFileSync('rpmbuild', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch), LC_ALL: 'C', TZ: 'UTC' } });
    const built = readdirSync(path.join(top, 'RPMS')).find((f) => f.endsWith('.rpm'));
    if (!built) throw new Error(`rpmbuild made no package for ${spec.name}`);
    const out = path.join(outDir, rpmFileName(spec.name, spec.version));
    renameSync(path.join(top, 'RPMS', built), out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
