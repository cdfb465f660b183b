// What the agent needs from the operating system, behind one interface so business logic has no
// platform branches. One implementation per OS (linux.ts, darwin.ts, win32.ts), chosen in index.ts.

export interface UserHome {
  user: string;
  uid?: number;
  /** Primary group, where the OS has one. */
  gid?: number;
  home: string;
}

/** One process as the collector sees it. Only what matching needs; never the environment. */
export interface ProcessSnapshot {
  pid: number;
  ppid?: number;
  /** comm / image name (can be set by the program). */
  name: string;
  /** Command line, arguments joined by spaces. */
  cmd?: string;
  uid?: number;
  /** Resolved executable path as the process sees it (inside its container, if any). */
  exe?: string;
  /** Start time in clock ticks since boot (Linux); tells a reused pid from the original. */
  startTicks?: number;
  /** The source's fingerprint of this process as read (see ProcessSource.fingerprint). */
  fp?: string;
}

/**
 * Where processes come from. Linux reads /proc directly and can look at one pid at a time (the fast
 * path: only new pids are read). Elsewhere `pids()` takes a full snapshot with ps-list and `read`
 * answers from it. Optional methods exist where the OS exposes the fact cheaply.
 */
export interface ProcessSource {
  /** Current pids (Linux: one readdir of /proc). */
  pids(): Promise<number[]>;
  /** Details of one pid, undefined if it ended or cannot be read. */
  read(pid: number): ProcessSnapshot | undefined;
  /** Cheap identity of a pid (its exe link) to notice exec(). */
  fingerprint?(pid: number): string | undefined;
  /**
   * The most recently allocated pid (Linux: /proc/loadavg, one small read). Unchanged since the
   * last call means no process was created; otherwise the new ones are the pids after the
   * previous value (threads take pids too, see isProcess). Undefined where the OS cannot tell.
   */
  lastPid?(): number | undefined;
  /** False for a thread id or a pid that does not exist (a thread's /proc entry opens like a process's). */
  isProcess?(pid: number): boolean;
  /** Start time in clock ticks since boot: with the pid, identifies one process for its lifetime. */
  startTicks?(pid: number): number | undefined;
  /** Which of `names` occur in the process's environment (values compared by the caller's rule); nothing else is kept. */
  environMarkers?(pid: number, markers: readonly { name: string; value?: string }[]): Set<number>;
  /** `<runtime>:<short id>` when the process runs in a container. */
  container?(pid: number): string | undefined;
  /** A path that opens the process's executable file even if renamed, deleted or in a container. */
  exeHandle?(pid: number): string | undefined;
  /** Prefix that makes the process's own paths readable from here (`/proc/<pid>/root` for another mount namespace, else ''). */
  rootOf?(pid: number): string;
  /** Current working directory (to resolve a relative script path). */
  cwd?(pid: number): string | undefined;
  /** Whether the pid exists now. */
  alive(pid: number): boolean;
  /** Process start as epoch ms, to reject runtime files left by an earlier process with the same pid. */
  startedAtMs?(pid: number): number | undefined;
}

/** System-wide OS package databases, where this OS has them. Missing paths are skipped. */
export interface PackageSources {
  dpkgStatus?: string;
  rpmDb?: string;
  snapDir?: string;
  flatpakDirs: string[];
}

export interface Platform {
  name: 'linux' | 'darwin' | 'win32' | 'other';
  /** Human users with a home directory (and root), for scanning every home when running as a service. */
  listUsers(): UserHome[];
  /** uid → user name for attributing processes and files. */
  userName(uid: number): string | undefined;
  /** Resolved executable path of a running process, when the OS exposes it. */
  processExe(pid: number): string | undefined;
  /** System-wide npm global node_modules folders (before per-user ones). */
  systemNpmRoots(): string[];
  /** How processes are listed and read on this OS. */
  processSource(): ProcessSource;
  /** System-wide folders holding .app bundles (per-user ~/Applications is added by the collector). */
  appBundleDirs(): string[];
  /** System-wide Python site-packages folders. */
  systemPythonDirs(): string[];
  /** dpkg / rpm / snap / flatpak locations. */
  packageSources(): PackageSources;
  /** Raw `reg query <key> /s` output for every Uninstall key (Windows only; '' elsewhere). */
  uninstallRegistryText(): Promise<string>;
  /** System-wide Start Menu folders (Windows only). */
  startMenuDirs(): string[];
}
