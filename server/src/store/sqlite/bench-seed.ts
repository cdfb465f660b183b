// Seeds a server database directly for the REST benchmark (`npm run bench:server`, which may seed
// rather than simulate 50,000 devices and 1,000,000 detection events): devices with tags,
// detection events with their findings, compliance states and their timeline rows, exceptions and
// audit entries, in the server's own schema (migrations applied first), in large transactions.
import { randomUUID } from 'node:crypto';
import { openConnection } from './connection.js';

export interface SeedOptions {
  devices: number;
  events: number;
  /** Share of devices with the banned tool present (violating under an enforced ban). */
  violatingShare: number;
}

export function seedFleet(file: string, o: SeedOptions): void {
  const c = openConnection(file);
  const db = c.db;
  db.pragma('synchronous = OFF'); // a benchmark fixture, not data anyone keeps
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  db.prepare("INSERT INTO enrollment_tokens(id, token_hash, label, created_at, expires_at, max_uses) VALUES ('enr_seed', 'seed', 'seed', ?, ?, 1000000)").run(iso(now), iso(now + 86400_000));
  const dev = db.prepare("INSERT INTO devices(id, hostname, credential_hash, enrollment_token_id, enrolled_at, platform, os_release, arch, agent_version, last_seen_at, tags) VALUES (?, ?, ?, 'enr_seed', ?, 'linux', 'Debian GNU/Linux 12', 'x64', '0.1.0', ?, ?)");
  const ev = db.prepare(
    `INSERT INTO detection_events(event_id, device_id, batch_id, tool_id, detection_key, kind, os_user, state, evidence, confidence, observed_at, received_at, agent_stage, stage)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0.95, ?, ?, ?, ?)`,
  );
  const fi = db.prepare('INSERT OR REPLACE INTO findings(device_id, detection_key, tool_id, kind, os_user, state, observed_at, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const comp = db.prepare('INSERT INTO compliance(device_id, tool_id, state, since) VALUES (?, ?, ?, ?)');
  const tl = db.prepare("INSERT INTO timeline(device_id, tool_id, at, kind, from_state, to_state, cause, detail, recorded_at) VALUES (?, ?, ?, 'state', ?, ?, 'seed', '{}', ?)");
  const tags = ['eng', 'sales', 'ops', 'contractors', 'shanghai', 'berlin'];
  const tools = ['claude-code', 'cursor', 'codex-cli', 'gemini-cli'];
  const perDevice = Math.max(1, Math.floor(o.events / o.devices));
  db.transaction(() => {
    for (let i = 0; i < o.devices; i++) {
      const id = `dev_seed${String(i).padStart(7, '0')}`;
      dev.run(id, `host-${String(i).padStart(6, '0')}`, `seed-cred-${i}`, iso(now - 90 * 86400_000), iso(now - (i % 600) * 60_000), JSON.stringify([tags[i % tags.length], tags[(i * 7) % tags.length]].sort()));
      const violating = i < o.devices * o.violatingShare;
      for (let k = 0; k < perDevice; k++) {
        const tool = tools[k % tools.length];
        const key = `${tool}|running|u${i}|/home/u${i}/bin/${tool}#${k}`;
        const t = now - (perDevice - k) * 60_000;
        const present = k === perDevice - 1 ? violating || tool !== 'claude-code' : k % 2 === 0;
        const evid = randomUUID();
        ev.run(evid, id, 'seed', tool, key, 'running', `u${i}`, present ? 'present' : 'absent', JSON.stringify({ source: 'process', signature: `process-name:${tool}`, path: `/home/u${i}/bin/${tool}`, pid: 1000 + k }), iso(t), iso(t), 'enforce', 'enforce');
        fi.run(id, key, tool, 'running', `u${i}`, present ? 'present' : 'absent', iso(t), evid);
      }
      if (violating) {
        comp.run(id, 'claude-code', 'violating', iso(now - 86400_000));
        tl.run(id, 'claude-code', iso(now - 30 * 86400_000), 'clear', 'noticed', iso(now));
        tl.run(id, 'claude-code', iso(now - 86400_000), 'noticed', 'violating', iso(now));
      }
    }
  })();
  c.close();
}
