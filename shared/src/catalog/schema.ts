// A catalogued tool: identity plus the signatures the agent matches. Tools are data, not code:
// admins add or override them through the API and agents receive them inside the policy bundle.
// Every signature field is optional with an empty default, so a tool written for an older agent
// (only the first seven fields) still parses, and a new field never breaks an old catalog.
import { z } from 'zod';
import { ShortText, ToolId } from '../protocol/common.js';

const RegexSource = z.string().min(1).max(500).refine((s) => {
  try {
    new RegExp(s, 'i');
    return true;
  } catch {
    return false; // the refine's message below names the bad field
  }
}, 'not a valid regular expression');

const names = z.array(z.string().min(1).max(200)).max(100).default([]);
const regexes = z.array(RegexSource).max(50).default([]);

/** Strings searched for in a native executable (ELF, Mach-O, PE); all of one set must occur. */
const MarkerSet = z.array(z.string().min(6).max(200)).min(1).max(8);
/** `NAME` (present with any value) or `NAME=value` (exact); names are case-sensitive like the OS's. */
const EnvMarker = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(=.{0,200})?$/, 'env marker: NAME or NAME=value');
/** A per-pid runtime file: `~`-rooted path with exactly one `<pid>`; `*` matches within one segment. */
const RuntimeFile = z.string().min(3).max(300).regex(/^~\/.*<pid>/, 'runtime file: ~/... with one <pid>');

export const WindowsUninstallSignature = z.strictObject({
  /** Regex on the uninstall entry's DisplayName. */
  displayName: RegexSource,
  /** Regex on Publisher; when set, both must match. */
  publisher: RegexSource.optional(),
});

export const Signatures = z.strictObject({
  /** npm package names, scoped included, looked up in every global prefix of every user. */
  npmPackages: names,
  /** Executable file names looked up on PATH and in users' bin folders. */
  executables: names,
  /** Tool-specific install locations (not generic bin folders); `~` is each user's home, `*` one path segment. */
  knownPaths: names,
  /** Names a running process shows (comm / executable basename). Weak alone. */
  processNames: names,
  /** Regexes (case-insensitive) on a running process's resolved executable path. */
  exePathPatterns: regexes,
  /**
   * Regexes (case-insensitive) on a running process's command line: for a node / bun process only on
   * its script path; for other programs on the whole command line, except shells, terminal
   * multiplexers, wrappers and text tools (their arguments carry other programs' command lines).
   * Argument text is weak evidence: reported, never enough for the `stop` action.
   */
  cmdlinePatterns: regexes,
  /** Config / data folders in a home directory: evidence of use, weaker than an install. */
  configDirs: names,
  /** VS Code (and forks) extension ids `publisher.name`, compared case-insensitively. */
  vscodeExtensions: names,
  /** JetBrains plugin ids, the `<id>` in the plugin jar's META-INF/plugin.xml. */
  jetbrainsPlugins: names,
  /** Python distribution names (pip / pipx / uv), compared after PEP 503 normalisation. */
  pythonPackages: names,
  /** Linux package names: dpkg and rpm package names, snap names, flatpak application ids. */
  linuxPackages: names,
  /** Regexes on AppImage file names (e.g. `^Cursor-.*\.AppImage$`). */
  appImagePatterns: regexes,
  /** macOS CFBundleIdentifier values of the tool's .app bundles. */
  macBundleIds: names,
  /** Windows uninstall registry entries (HKLM/HKCU ...\Uninstall). */
  windowsUninstall: z.array(WindowsUninstallSignature).max(20).default([]),
  /** Regexes on Start Menu shortcut names (file name without .lnk). */
  windowsShortcuts: regexes,
  /** Content identity of native executables: each entry is a set of strings that must all occur. */
  contentMarkers: z.array(MarkerSet).max(10).default([]),
  /** SHA-256 (hex) of known release executables; a renamed copy still matches. */
  contentHashes: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(200).default([]),
  /** Variables the tool puts in its child processes' environment (e.g. `CLAUDECODE=1`). */
  childEnvMarkers: z.array(EnvMarker).max(20).default([]),
  /** Per-pid files the tool writes while running, e.g. `~/.claude/sessions/<pid>.json`. */
  runtimeFiles: z.array(RuntimeFile).max(20).default([]),
});
export type Signatures = z.infer<typeof Signatures>;

export const Tool = z.strictObject({
  id: ToolId,
  displayName: ShortText,
  vendor: ShortText,
  category: z.array(z.enum(['cli-agent', 'ide', 'ide-extension', 'desktop-app', 'python-package'])).min(1),
  homepage: z.url().optional(),
  signatures: Signatures,
});
export type Tool = z.infer<typeof Tool>;
export type ToolInput = z.input<typeof Tool>;

export const Catalog = z.array(Tool);
