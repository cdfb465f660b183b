// Enrolled devices: identity, hashed credential, last facts from hello and last health.
import { hashSecret } from '../secrets.js';
import type { Db } from './db.js';

export interface DeviceRow {
  id: string;
  hostname: string;
  enrolledAt: string;
  platform: string | null;
  osRelease: string | null;
  arch: string | null;
  agentVersion: string | null;
  policyVersion: number | null;
  lastSeenAt: string | null;
  lastHealth: unknown;
  revokedAt: string | null;
  tags: string[];
}

const COLUMNS = `id, hostname, enrolled_at AS enrolledAt, platform, os_release AS osRelease, arch,
  agent_version AS agentVersion, policy_version AS policyVersion, last_seen_at AS lastSeenAt,
  last_health AS lastHealth, revoked_at AS revokedAt, tags`;

function decode(row: (Omit<DeviceRow, 'lastHealth' | 'tags'> & { lastHealth: string | null; tags: string }) | undefined): DeviceRow | undefined {
  return row && { ...row, lastHealth: row.lastHealth ? JSON.parse(row.lastHealth) : null, tags: JSON.parse(row.tags) as string[] };
}

export class DeviceStore {
  constructor(private readonly db: Db) {}

  create(id: string, hostname: string, credential: string, enrollmentTokenId: string): void {
    this.db
      .prepare('INSERT INTO devices(id, hostname, credential_hash, enrollment_token_id, enrolled_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, hostname, hashSecret(credential), enrollmentTokenId, new Date().toISOString());
  }

  /** The device a credential belongs to, revoked or not (the caller tells the two apart). */
  findByCredential(credential: string): DeviceRow | undefined {
    return decode(this.db.prepare(`SELECT ${COLUMNS} FROM devices WHERE credential_hash = ?`).get(hashSecret(credential)) as never);
  }

  get(id: string): DeviceRow | undefined {
    return decode(this.db.prepare(`SELECT ${COLUMNS} FROM devices WHERE id = ?`).get(id) as never);
  }

  list(): DeviceRow[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM devices ORDER BY hostname, id`).all() as never[]).map((r) => decode(r)!);
  }

  recordHello(id: string, f: { hostname: string; platform: string; osRelease: string; arch: string; agentVersion: string; policyVersion: number | null }): void {
    this.db
      .prepare(
        `UPDATE devices SET hostname = ?, platform = ?, os_release = ?, arch = ?, agent_version = ?, policy_version = ?, last_seen_at = ? WHERE id = ?`,
      )
      .run(f.hostname, f.platform, f.osRelease, f.arch, f.agentVersion, f.policyVersion, new Date().toISOString(), id);
  }

  recordHeartbeat(id: string, health: unknown): void {
    this.db.prepare('UPDATE devices SET last_seen_at = ?, last_health = ? WHERE id = ?').run(new Date().toISOString(), JSON.stringify(health), id);
  }

  recordPolicyVersion(id: string, version: number): void {
    this.db.prepare('UPDATE devices SET policy_version = ? WHERE id = ?').run(version, id);
  }

  setTags(id: string, tags: readonly string[]): boolean {
    return this.db.prepare('UPDATE devices SET tags = ? WHERE id = ?').run(JSON.stringify([...new Set(tags)].sort()), id).changes > 0;
  }

  revoke(id: string): boolean {
    return this.db.prepare('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(new Date().toISOString(), id).changes > 0;
  }
}
