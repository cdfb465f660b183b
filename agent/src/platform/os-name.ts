// The operating system's name and release for the hello message ("Debian GNU/Linux 12"). Linux
// says it in /etc/os-release, read directly; elsewhere systeminformation asks the OS, loaded only
// there and only when first needed (on Linux it would cost ~10 MB of resident memory for one line).
import { readFileSync } from 'node:fs';
import os from 'node:os';

let cached: Promise<string> | undefined;

/** "<distro> <release>", at most 200 characters; the kernel release when nothing better is known. */
export function osName(): Promise<string> {
  cached ??= describe().then(
    (s) => s.trim().slice(0, 200) || os.release(),
    () => os.release(),
  );
  return cached;
}

async function describe(): Promise<string> {
  if (process.platform === 'linux') {
    for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
      const text = readOrEmpty(file);
      if (text) return fromOsRelease(text);
    }
    return os.release();
  }
  const si = (await import('systeminformation')).default;
  const info = await si.osInfo();
  return `${info.distro} ${info.release}`;
}

/** NAME and VERSION_ID (or VERSION) of an os-release file (freedesktop.org format: KEY=value, value optionally quoted). */
export function fromOsRelease(text: string): string {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) fields.set(m[1], m[2].replace(/^(["'])(.*)\1$/, '$2'));
  }
  const name = fields.get('NAME') ?? fields.get('ID') ?? 'Linux';
  const version = fields.get('VERSION_ID') ?? fields.get('VERSION') ?? '';
  return `${name} ${version}`.trim();
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return ''; // not there: try the next location
  }
}
