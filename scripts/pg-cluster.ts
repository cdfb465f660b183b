// A throw-away PostgreSQL cluster for tests and the multi-node benchmark: initdb into a fresh temp
// folder, started with pg_ctl on a free loopback port (no Unix socket outside that folder), password
// login (scram) for one superuser. Run as an unprivileged user: PostgreSQL refuses to run as root,
// so as root the cluster belongs to the `postgres` user that Debian's package creates. Binaries come
// from /usr/lib/postgresql/<newest>/bin (Debian) or PATH. `stop()` ends it and removes the folder.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PgCluster {
  dir: string;
  port: number;
  user: string;
  password: string;
  /** URL of one database of this cluster (default: the maintenance database `postgres`). */
  url(database?: string): string;
  /** Creates a database (createdb over the loopback port). */
  createDatabase(name: string): void;
  stop(): void;
}

export interface PgClusterOptions {
  /** Durable commits (fsync) as in production; tests turn it off for speed (PostgreSQL is never killed there). */
  durable?: boolean;
  maxConnections?: number;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string | number>;
}

export function pgBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions.length) return path.join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return path.dirname(which.stdout.trim());
  throw new Error('PostgreSQL server binaries not found (install the Debian package postgresql)');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export async function startPgCluster(o: PgClusterOptions = {}): Promise<PgCluster> {
  const bin = pgBinDir();
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? userIds('postgres') : undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edict-pg-'));
  chmodSync(dir, 0o700);
  const data = path.join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  const pwfile = path.join(dir, 'pw');
  writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  const run = (cmd: string, args: string[]) => {
    const full = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]] as const : [path.join(bin, cmd), args] as const;
    const r = spawnSync(full[0], full[1] as string[], { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  const user = 'edict';
  run('initdb', ['-D', data, '-U', user, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  const port = await freePort();
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    port,
    unix_socket_directories: dir,
    max_connections: o.maxConnections ?? 300,
    shared_buffers: '128MB',
    ...(o.durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
    ...(o.settings ?? {}),
  };
  writeFileSync(path.join(data, 'postgresql.auto.conf'), Object.entries(settings).map(([k, v]) => `${k} = '${v}'`).join('\n') + '\n');
  if (owner) chownSync(path.join(data, 'postgresql.auto.conf'), owner.uid, owner.gid);
  run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  const url = (database = 'postgres') => `postgres://${user}:${password}@127.0.0.1:${port}/${database}`;
  return {
    dir,
    port,
    user,
    password,
    url,
    createDatabase(name: string) {
      const r = spawnSync(path.join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', user, name], { encoding: 'utf8', env: { ...process.env, PGPASSWORD: password } });
      if (r.status !== 0) throw new Error(`createdb ${name} failed: ${r.stderr}`);
    },
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function userIds(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`running as root needs the unprivileged user ${name} (the Debian postgresql package creates it)`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** psql-free helper: runs SQL against the cluster with the `psql` client if present (diagnostics only). */
export function pgLog(c: PgCluster): string {
  try {
    return readFileSync(path.join(c.dir, 'log'), 'utf8');
  } catch {
    return '';
  }
}

// `node dist/scripts/pg-cluster.js` starts a cluster and prints its URL (for trying things by hand).
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1])) && process.argv[1].includes('pg-cluster')) {
  const c = await startPgCluster();
  process.stdout.write(`${c.url()}\n(ctrl-c stops and removes it)\n`);
  mkdirSync(c.dir, { recursive: true });
  process.on('SIGINT', () => {
    c.stop();
    process.exit(0);
  });
  setInterval(() => undefined, 1 << 30);
}
