// What the agent needs from the operating system, behind one interface so business logic has no
// platform branches. One implementation per OS (linux.ts, darwin.ts, win32.ts), chosen in index.ts.

export interface UserHome {
  user: string;
  uid?: number;
  home: string;
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
}
