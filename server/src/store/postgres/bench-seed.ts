// Seeds enrolled devices straight into a PostgreSQL database for `npm run bench:server -- --nodes N`
// (enrolling 50,000 simulated agents one REST call at a time would take the benchmark's whole
// budget: each enrollment is its own durable commit serialised by the audit chain). Rows as
// DeviceService.enroll writes them: an enrollment token, the devices with hashed credentials, the
// first entry of each tag history.
import { hashSecret } from '../../secrets.js';
import { createSql } from './connection.js';

export async function seedPgDevices(url: string, devices: readonly { id: string; hostname: string; credential: string }[]): Promise<void> {
  const sql = createSql({ url, poolSize: 1, applicationName: 'edict bench seed' });
  try {
    const now = new Date().toISOString();
    await sql.begin(async (t) => {
      await t.unsafe(
        "INSERT INTO enrollment_tokens(id, token_hash, label, created_at, expires_at, max_uses) VALUES ('enr_bench_seed', 'bench-seed', 'bench seed', $1, $1, 0) ON CONFLICT DO NOTHING",
        [now],
      );
      for (let i = 0; i < devices.length; i += 5000) {
        const chunk = devices.slice(i, i + 5000).map((d) => ({ id: d.id, hostname: d.hostname, h: hashSecret(d.credential) }));
        await t.unsafe(
          `INSERT INTO devices(id, hostname, credential_hash, enrollment_token_id, enrolled_at)
           SELECT r.id, r.hostname, r.h, 'enr_bench_seed', $2 FROM jsonb_to_recordset($1::text::jsonb) AS r(id text, hostname text, h text)`,
          [JSON.stringify(chunk), now],
        );
        await t.unsafe(
          `INSERT INTO device_tags(device_id, at, tags, cause, recorded_at) SELECT r.id, $2, '[]', 'enrolled', $2 FROM jsonb_to_recordset($1::text::jsonb) AS r(id text)`,
          [JSON.stringify(chunk.map((c) => ({ id: c.id }))), now],
        );
      }
    });
  } finally {
    await sql.end({ timeout: 2 });
  }
}
