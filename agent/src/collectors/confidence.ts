// How sure each kind of evidence makes the matcher that it found the catalogued tool and not a
// lookalike. One table so detections from different collectors compare fairly (the scanner keeps
// the strongest per place). Each value with its reason.

export const CONFIDENCE = {
  /** The executable's SHA-256 equals a known release of the tool: cannot be a lookalike. */
  contentHash: 0.99,
  /** npm package folder whose package.json carries the catalogued name. */
  npmPackage: 0.95,
  /** A native executable containing every string of one of the tool's marker sets. */
  contentMarkers: 0.95,
  /** Process executable path matches the tool's install-layout pattern. */
  exePath: 0.95,
  /** IDE extension listed in the editor's extensions.json (what the editor loads). */
  ideExtension: 0.95,
  /** JetBrains plugin whose plugin.xml declares the catalogued id. */
  jetbrainsPlugin: 0.95,
  /** Python distribution metadata (dist-info / egg-info) with the catalogued name. */
  pythonPackage: 0.95,
  /** Installed dpkg/rpm package of that name (the package manager says so). */
  osPackage: 0.95,
  /** macOS bundle whose Info.plist carries the catalogued CFBundleIdentifier. */
  macBundle: 0.95,
  /** Executable found by name whose real file lies inside the tool's package or layout. */
  executableTraced: 0.9,
  /** Command line matches a tool-specific pattern (a script path, a tool's own flag): argument text. */
  cmdline: 0.9,
  /** The process is a package runner (npx, npm exec, pnpm dlx, yarn dlx, bunx) running the tool's package. */
  runner: 0.9,
  /** A child process carries the tool's marker variable: the tool started it. */
  childEnv: 0.9,
  /** snap / flatpak of that name: names are namespaced, but not vendor-verified here. */
  sandboxedPackage: 0.9,
  /** Tool-specific install path (e.g. ~/.local/share/claude/versions/*) exists. */
  knownPath: 0.85,
  /** Per-pid runtime file whose pid is alive and started before the file was written. */
  runtimeFile: 0.85,
  /** Windows uninstall entry whose DisplayName (and Publisher, when set) match. */
  windowsUninstall: 0.85,
  /** npx / pnpm dlx / bunx cache holding the package: it was fetched to run, not installed. */
  runnerCache: 0.8,
  /** IDE extension folder present but not listed in extensions.json (may be a leftover). */
  ideExtensionFolder: 0.7,
  /** AppImage file named like the tool's releases. */
  appImage: 0.7,
  /** Node process whose title was set to the tool's name (legacy Node builds do this). */
  processTitle: 0.7,
  /** Start Menu shortcut named like the tool. */
  windowsShortcut: 0.6,
  /** The executable file itself is named like the tool, nothing else known. */
  processName: 0.6,
  /** An executable named like the tool on PATH, content not recognised either way. */
  executableName: 0.5,
  /** A config/data folder in a home: the tool was used at some point. */
  configDir: 0.3,
} as const;
