// Test helpers for running things as a separate, real OS user (the agent runs as root and must
// act as the employee): a dedicated test account, a private session D-Bus for it, and a minimal
// freedesktop notification server on that bus that records every Notify call.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './tmp.js';
import { waitFor } from './wait.js';

export const TEST_USER = 'edict-test-user';

export interface TestUser {
  user: string;
  uid: number;
  gid: number;
  home: string;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The test account, created with useradd the first time (root only). */
export function ensureTestUser(name = TEST_USER): TestUser {
  const find = () => readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === name);
  let entry = find();
  if (!entry) {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', '--comment', 'Edict test user (tests only)', name], { stdio: 'pipe' });
    entry = find();
  }
  if (!entry) throw new Error(`could not create test user ${name}`);
  return { user: name, uid: Number(entry[2]), gid: Number(entry[3]), home: entry[5]! };
}

/** A folder the test user owns, inside `parent` (which gets o+x so the user can reach it). */
export function userOwnedDir(parent: string, name: string, u: TestUser, mode = 0o700): string {
  chmodSync(parent, 0o711);
  const d = path.join(parent, name);
  mkdirSync(d, { recursive: true });
  chownSync(d, u.uid, u.gid);
  chmodSync(d, mode);
  return d;
}

export interface SessionBus {
  address: string;
  socket: string;
  daemon: ChildProcess;
  stop(): void;
}

/**
 * A real session dbus-daemon running as `u`, listening on `socket` (a path the user may create).
 * Its own config: the standard session policy (anyone authenticated may own names and call methods),
 * EXTERNAL auth only, so only `u` (and root) can connect, as on a desktop.
 */
export async function startSessionBus(u: TestUser, socket: string, workDir: string): Promise<SessionBus> {
  const conf = path.join(workDir, 'session.conf');
  writeFileSync(
    conf,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  chmodSync(conf, 0o644);
  const daemon = spawn('dbus-daemon', ['--config-file', conf, '--nofork', '--nopidfile', '--print-address'], {
    uid: u.uid,
    gid: u.gid,
    cwd: '/',
    env: { PATH: '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  daemon.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  daemon.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const address = await waitFor(() => {
    if (daemon.exitCode !== null) throw new Error(`dbus-daemon exited ${daemon.exitCode}: ${err}`);
    return out.includes('\n') ? out.split('\n')[0]!.trim() : undefined;
  }, 'dbus-daemon address', 10_000, 20);
  return { address, socket, daemon, stop: () => daemon.kill('SIGTERM') };
}

export interface RecordedNotify {
  appName: string;
  replacesId: number;
  icon: string;
  summary: string;
  body: string;
  actions: string[];
  hints: Record<string, unknown>;
  timeout: number;
  sender: string;
}

export interface NotificationServer {
  calls: RecordedNotify[];
  /** Unix uid of the peer that sent each call, as the bus daemon reports it. */
  senderUids: number[];
  stop(): void;
}

/**
 * Starts NOTIFICATION_SERVER_JS (plain Node, no dependencies: it speaks the D-Bus wire
 * protocol itself) as `u` on `address`. It owns org.freedesktop.Notifications, answers Notify /
 * GetCapabilities / GetServerInformation, and prints each Notify call as one JSON line.
 */
export async function startNotificationServer(u: TestUser, address: string, capabilities: string[] = ['body', 'body-markup']): Promise<NotificationServer & { exited: Promise<void> }> {
  const dir = tempDir('edict-notify-srv-');
  chmodSync(dir, 0o755);
  const script = path.join(dir, 'notification-server.mjs');
  writeFileSync(script, NOTIFICATION_SERVER_JS, { mode: 0o644 });
  const child = spawn(process.execPath, [script, address, capabilities.join(',')], {
    uid: u.uid,
    gid: u.gid,
    cwd: '/',
    env: {},
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const calls: RecordedNotify[] = [];
  const senderUids: number[] = [];
  let ready = false;
  let buf = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => {
    buf += b.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const msg = JSON.parse(line) as { ready?: boolean; notify?: RecordedNotify; senderUid?: number };
      if (msg.ready) ready = true;
      if (msg.notify) {
        calls.push(msg.notify);
        senderUids.push(msg.senderUid ?? -1); // one per call, so indexes match calls
      }
    }
  });
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`notification server exited ${child.exitCode}: ${err}`);
    return ready;
  }, 'notification server to own org.freedesktop.Notifications', 10_000, 20);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { calls, senderUids, exited, stop: () => child.kill('SIGTERM') };
}

/** A long-running process of `u` with the given environment: stands in for the user's desktop session. */
export function startUserSessionProcess(u: TestUser, env: Record<string, string>): ChildProcess {
  return spawn('/bin/sleep', ['600'], { uid: u.uid, gid: u.gid, cwd: '/', env, stdio: 'ignore' });
}

/** Fails with the Debian packages to install when a D-Bus tool is missing. */
export function requireDbusTools(): void {
  const missing = [
    ['dbus-daemon', 'dbus'],
    ['gdbus', 'libglib2.0-bin'],
  ].filter(([bin]) => !['/usr/bin', '/bin', '/usr/local/bin'].some((d) => existsSync(path.join(d, bin!))));
  if (missing.length) throw new Error(`missing ${missing.map((m) => m[0]).join(', ')}: apt-get install ${missing.map((m) => m[1]).join(' ')}`);
}

/** The notification server's source, run by a separate `node` as the test user (written to a temp file). */
const NOTIFICATION_SERVER_JS = String.raw`// Minimal freedesktop notification server speaking the D-Bus wire protocol itself (no dependencies).
// argv: <bus address unix:path=…> <comma-separated capabilities>. Prints {"ready":true} once it owns
// org.freedesktop.Notifications, then one JSON line per Notify call with the caller's unix uid.
import net from 'node:net';

const [address, caps = ''] = process.argv.slice(2);
const socketPath = /unix:path=([^,;]+)/.exec(address)[1];
const capabilities = caps ? caps.split(',') : [];
const sock = net.createConnection(socketPath);
let serial = 0;
let nextId = 1;
const pending = new Map();
let uniqueName = '';

// ---- marshalling ----
class Writer {
  constructor() { this.b = []; }
  align(n) { while (this.b.length % n) this.b.push(0); }
  u8(v) { this.b.push(v & 255); }
  u32(v) { this.align(4); this.b.push(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255); }
  str(s) { const e = Buffer.from(s, 'utf8'); this.u32(e.length); for (const x of e) this.b.push(x); this.b.push(0); }
  sig(s) { const e = Buffer.from(s, 'utf8'); this.u8(e.length); for (const x of e) this.b.push(x); this.b.push(0); }
  value(t, v) {
    switch (t[0]) {
      case 'y': return this.u8(v);
      case 'u': case 'i': case 'b': return this.u32(v);
      case 's': case 'o': return this.str(v);
      case 'g': return this.sig(v);
      case 'a': {
        this.u32(0); const lenAt = this.b.length - 4;
        const et = t.slice(1); this.align(alignOf(et)); const start = this.b.length;
        for (const x of v) this.value(et, x);
        const len = this.b.length - start;
        this.b[lenAt] = len & 255; this.b[lenAt + 1] = (len >>> 8) & 255; this.b[lenAt + 2] = (len >>> 16) & 255; this.b[lenAt + 3] = (len >>> 24) & 255;
        return;
      }
      default: throw new Error('cannot write type ' + t);
    }
  }
}
function alignOf(t) {
  switch (t[0]) {
    case 'y': case 'g': case 'v': return 1;
    case 'n': case 'q': return 2;
    case 'x': case 't': case 'd': case '(': case '{': return 8;
    default: return 4;
  }
}
/** End index (exclusive) of the single complete type starting at sig[i]. */
function typeEnd(sig, i) {
  const c = sig[i];
  if (c === 'a') return typeEnd(sig, i + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let j = i + 1;
    while (sig[j] !== close) j = typeEnd(sig, j);
    return j + 1;
  }
  return i + 1;
}
function splitTypes(sig) { const out = []; for (let i = 0; i < sig.length; ) { const e = typeEnd(sig, i); out.push(sig.slice(i, e)); i = e; } return out; }

class Reader {
  constructor(buf, pos = 0, base = 0) { this.buf = buf; this.pos = pos; this.base = base; }
  align(n) { while ((this.pos - this.base) % n) this.pos++; }
  value(t) {
    const b = this.buf;
    switch (t[0]) {
      case 'y': return b[this.pos++];
      case 'b': this.align(4); { const v = b.readUInt32LE(this.pos); this.pos += 4; return v !== 0; }
      case 'n': this.align(2); { const v = b.readInt16LE(this.pos); this.pos += 2; return v; }
      case 'q': this.align(2); { const v = b.readUInt16LE(this.pos); this.pos += 2; return v; }
      case 'i': this.align(4); { const v = b.readInt32LE(this.pos); this.pos += 4; return v; }
      case 'u': case 'h': this.align(4); { const v = b.readUInt32LE(this.pos); this.pos += 4; return v; }
      case 'x': this.align(8); { const v = Number(b.readBigInt64LE(this.pos)); this.pos += 8; return v; }
      case 't': this.align(8); { const v = Number(b.readBigUInt64LE(this.pos)); this.pos += 8; return v; }
      case 'd': this.align(8); { const v = b.readDoubleLE(this.pos); this.pos += 8; return v; }
      case 's': case 'o': { this.align(4); const n = b.readUInt32LE(this.pos); this.pos += 4; const s = b.toString('utf8', this.pos, this.pos + n); this.pos += n + 1; return s; }
      case 'g': { const n = b[this.pos++]; const s = b.toString('utf8', this.pos, this.pos + n); this.pos += n + 1; return s; }
      case 'v': { const s = this.value('g'); return this.value(s); }
      case 'a': {
        this.align(4); const n = b.readUInt32LE(this.pos); this.pos += 4;
        const et = t.slice(1); this.align(alignOf(et)); const end = this.pos + n;
        if (et[0] === '{') { const o = {}; while (this.pos < end) { const [k, v] = this.value(et); o[k] = v; } return o; }
        const out = []; while (this.pos < end) out.push(this.value(et)); return out;
      }
      case '(': case '{': { this.align(8); return splitTypes(t.slice(1, -1)).map((x) => this.value(x)); }
      default: throw new Error('cannot read type ' + t);
    }
  }
}

function send(type, fields, sig, body, flags = 0) {
  const s = ++serial;
  const w = new Writer();
  w.u8(0x6c); w.u8(type); w.u8(flags); w.u8(1); w.u32(0); w.u32(s);
  // header fields a(yv)
  w.u32(0); const lenAt = w.b.length - 4; w.align(8); const start = w.b.length;
  const put = (code, t, v) => { w.align(8); w.u8(code); w.sig(t); w.value(t, v); };
  if (fields.path) put(1, 'o', fields.path);
  if (fields.iface) put(2, 's', fields.iface);
  if (fields.member) put(3, 's', fields.member);
  if (fields.error) put(4, 's', fields.error);
  if (fields.replySerial !== undefined) put(5, 'u', fields.replySerial);
  if (fields.dest) put(6, 's', fields.dest);
  if (sig) put(8, 'g', sig);
  const hlen = w.b.length - start;
  w.b.splice(lenAt, 4, hlen & 255, (hlen >>> 8) & 255, (hlen >>> 16) & 255, (hlen >>> 24) & 255);
  w.align(8);
  const headerLen = w.b.length;
  const types = sig ? splitTypes(sig) : [];
  types.forEach((t, i) => w.value(t, body[i]));
  const blen = w.b.length - headerLen;
  w.b.splice(4, 4, blen & 255, (blen >>> 8) & 255, (blen >>> 16) & 255, (blen >>> 24) & 255);
  sock.write(Buffer.from(w.b));
  return s;
}
function call(member, sig, body, iface = 'org.freedesktop.DBus') {
  return new Promise((resolve, reject) => {
    const s = send(1, { path: '/org/freedesktop/DBus', iface, member, dest: 'org.freedesktop.DBus' }, sig, body);
    pending.set(s, { resolve, reject });
  });
}

function onMessage(buf) {
  if (buf[0] !== 0x6c) throw new Error('only little-endian messages are handled');
  const type = buf[1];
  const bodyLen = buf.readUInt32LE(4);
  const msgSerial = buf.readUInt32LE(8);
  const r = new Reader(buf, 12);
  const fields = {};
  for (const [code, value] of r.value('a(yv)')) fields[code] = value;
  r.align(8);
  const sig = fields[8] ?? '';
  const br = new Reader(buf, r.pos, r.pos);
  const body = splitTypes(sig).map((t) => br.value(t));
  if (type === 2 || type === 3) {
    const p = pending.get(fields[5]);
    if (p) { pending.delete(fields[5]); type === 2 ? p.resolve(body) : p.reject(new Error(fields[4] + ': ' + body[0])); }
    return;
  }
  if (type !== 1) return; // signals (NameAcquired …)
  const sender = fields[7];
  const reply = (rsig, rbody) => send(2, { replySerial: msgSerial, dest: sender }, rsig, rbody);
  const iface = fields[2];
  const member = fields[3];
  if (iface === 'org.freedesktop.Notifications' || iface === undefined) {
    if (member === 'Notify') {
      const [appName, replacesId, icon, summary, bodyText, actions, hints, timeout] = body;
      const id = replacesId || nextId++;
      const notify = { appName, replacesId, icon, summary, body: bodyText, actions, hints, timeout, sender };
      // Ask the bus who the caller is BEFORE replying: once answered, the caller may disconnect.
      call('GetConnectionUnixUser', 's', [sender]).then(
        ([senderUid]) => {
          process.stdout.write(JSON.stringify({ notify, senderUid }) + '\n');
          reply('u', [id]);
        },
        (err) => {
          process.stdout.write(JSON.stringify({ notify, senderUidError: String(err) }) + '\n');
          reply('u', [id]);
        },
      );
      return;
    }
    if (member === 'GetCapabilities') return reply('as', [capabilities]);
    if (member === 'GetServerInformation') return reply('ssss', ['edict-test-notifications', 'edict', '1', '1.2']);
  }
  send(3, { replySerial: msgSerial, dest: sender, error: 'org.freedesktop.DBus.Error.UnknownMethod' }, 's', ['no such method: ' + member]);
}

// ---- connection: SASL EXTERNAL, then binary messages ----
let authed = false;
let inbuf = Buffer.alloc(0);
sock.on('connect', () => {
  sock.write(Buffer.from([0]));
  sock.write('AUTH EXTERNAL ' + Buffer.from(String(process.getuid())).toString('hex') + '\r\n');
});
sock.on('data', (chunk) => {
  inbuf = Buffer.concat([inbuf, chunk]);
  if (!authed) {
    const nl = inbuf.indexOf('\r\n');
    if (nl < 0) return;
    const line = inbuf.toString('latin1', 0, nl);
    inbuf = inbuf.subarray(nl + 2);
    if (!line.startsWith('OK ')) { console.error('auth failed: ' + line); process.exit(2); }
    authed = true;
    sock.write('BEGIN\r\n');
    start();
  }
  for (;;) {
    if (inbuf.length < 16) return;
    const fieldsLen = inbuf.readUInt32LE(12);
    const headerLen = 16 + fieldsLen + ((8 - ((16 + fieldsLen) % 8)) % 8);
    const total = headerLen + inbuf.readUInt32LE(4);
    if (inbuf.length < total) return;
    const msg = inbuf.subarray(0, total);
    inbuf = inbuf.subarray(total);
    onMessage(msg);
  }
});
sock.on('error', (err) => { console.error(String(err)); process.exit(3); });
sock.on('close', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

async function start() {
  [uniqueName] = await call('Hello', '', []);
  const [result] = await call('RequestName', 'su', ['org.freedesktop.Notifications', 4]);
  if (result !== 1) { console.error('could not own org.freedesktop.Notifications: ' + result); process.exit(4); }
  process.stdout.write(JSON.stringify({ ready: true, uniqueName }) + '\n');
}
`;
