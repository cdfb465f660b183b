// Enrolled devices in SQLite: identity, hashed credential, last facts from hello and last health.
import { hashSecret } from '../../secrets.js';
import type { DeviceRepo, DeviceRow, HelloFacts } from '../types.js';
import type { SqliteConnection } from './connection.js';

const COLUMNS = `id, hostname, enrolled_at AS enrolledAt, platform, os_release AS osRelease, arch,
  agent_version AS agentVersion, policy_version AS policyVersion, last_seen_at AS lastSeenAt,
  last_health AS lastHealth, revoked_at AS revokedAt, tags`;

type Raw = Omit<DeviceRow, 'lastHealth' | 'tags'> & { lastHealth: string | null; tags: string };

function decode(row: Raw | undefined): DeviceRow | undefined {
  return row && { ...row, lastHealth: row.lastHealth ? JSON.parse(row.lastHealth) : null, tags: JSON.parse(row.tags) as string[] };
}

export class SqliteDevices implements DeviceRepo {
  constructor(private readonly c: SqliteConnection) {}

  async create(id: string, hostname: string, credential: string, enrollmentTokenId: string): Promise<void> {
    this.c
      .prep('INSERT INTO devices(id, hostname, credential_hash, enrollment_token_id, enrolled_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, hostname, hashSecret(credential), enrollmentTokenId, new Date().toISOString());
  }

  async findByCredential(credential: string): Promise<DeviceRow | undefined> {
    return decode(this.c.prep(`SELECT ${COLUMNS} FROM devices WHERE credential_hash = ?`).get(hashSecret(credential)) as Raw | undefined);
  }

  async get(id: string): Promise<DeviceRow | undefined> {
    return decode(this.c.prep(`SELECT ${COLUMNS} FROM devices WHERE id = ?`).get(id) as Raw | undefined);
  }

  async list(): Promise<DeviceRow[]> {
    return (this.c.prep(`SELECT ${COLUMNS} FROM devices ORDER BY hostname, id`).all() as Raw[]).map((r) => decode(r)!);
  }

  async recordHello(id: string, f: HelloFacts): Promise<void> {
    this.c
      .prep('UPDATE devices SET hostname = ?, platform = ?, os_release = ?, arch = ?, agent_version = ?, policy_version = ?, last_seen_at = ? WHERE id = ?')
      .run(f.hostname, f.platform, f.osRelease, f.arch, f.agentVersion, f.policyVersion, new Date().toISOString(), id);
  }

  async recordHeartbeat(id: string, health: unknown): Promise<void> {
    this.c.prep('UPDATE devices SET last_seen_at = ?, last_health = ? WHERE id = ?').run(new Date().toISOString(), JSON.stringify(health), id);
  }

  async recordPolicyVersion(id: string, version: number): Promise<void> {
    this.c.prep('UPDATE devices SET policy_version = ? WHERE id = ?').run(version, id);
  }

  async setTags(id: string, tags: readonly string[]): Promise<boolean> {
    return this.c.prep('UPDATE devices SET tags = ? WHERE id = ?').run(JSON.stringify([...new Set(tags)].sort()), id).changes > 0;
  }

  async revoke(id: string): Promise<boolean> {
    return this.c.prep('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(new Date().toISOString(), id).changes > 0;
  }
}
