// Every collector the agent runs, in order. Adding a source means adding a file and a line here.
// Inventory collectors look at disk; process collectors at what runs now (processes first, so
// the runtime-file check can reuse the process snapshot of the same poll).
import { configDirsCollector } from './config-dirs.js';
import { jetbrainsPluginsCollector } from './jetbrains-plugins.js';
import { linuxPackagesCollector } from './linux-packages.js';
import { macBundlesCollector } from './mac-bundles.js';
import { npmGlobalsCollector } from './npm-globals.js';
import { pathExecutablesCollector } from './path-executables.js';
import { processesCollector } from './processes.js';
import { pythonPackagesCollector } from './python-packages.js';
import { runnerCachesCollector } from './runner-caches.js';
import { runtimeFilesCollector } from './runtime-files.js';
import type { Collector } from './types.js';
import { vscodeExtensionsCollector } from './vscode-extensions.js';
import { windowsShortcutsCollector } from './windows-shortcuts.js';
import { windowsUninstallCollector } from './windows-uninstall.js';

export type { Collector, ScanContext } from './types.js';

export const COLLECTORS: readonly Collector[] = [
  npmGlobalsCollector,
  runnerCachesCollector,
  pathExecutablesCollector,
  vscodeExtensionsCollector,
  jetbrainsPluginsCollector,
  pythonPackagesCollector,
  linuxPackagesCollector,
  macBundlesCollector,
  windowsUninstallCollector,
  windowsShortcutsCollector,
  configDirsCollector,
  processesCollector,
  runtimeFilesCollector,
];
