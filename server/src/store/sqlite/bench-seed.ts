// Seeds a server database directly for the REST benchmark (`npm run bench:server`, which may seed
// rather than simulate 50,000 devices and 1,000,000 detection events): devices with tags,
// detection events with their findings, compliance states and their timeline rows, exception
// requests and a chained audit log, in the server's own schema (migrations applied first), in large transactions.
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { auditEntryHash, AUDIT_GENESIS } from '../../audit-chain.js';
import { openConnection } from './connection.js';

export interface SeedOptions {
  devices: number;
  events: number;
  /** Share of devices with the banned tool present (violating under an enforced ban). */
  violatingShare: number;
  /** Audit entries, properly chained: one `device.enroll` per device first (as enrolling writes), then others (default: none). */
  auditEntries?: number;
  /** Employee exception requests waiting for a decision, on the first devices (default: none). */
  exceptionRequests?: number;
  /** Platforms the devices report, round robin (default: all linux). */
  platforms?: string[];
  /** Also a Claude Code ban (every device, enforced from 2026-07-10 Asia/Shanghai) published this many days ago (the burn-down's history). */
  banPublishedDaysAgo?: number;
}

/** The id of the ban `banPublishedDaysAgo` seeds. */
export const SEEDED_BAN_ID = 'pol_seeded_claude';

export function seedFleet(file: string, o: SeedOptions): void {
  const c = openConnection(file);
  const db = c.db;
  db.pragma('synchronous = OFF'); // a benchmark fixture, not data anyone keeps
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  db.prepare("INSERT INTO enrollment_tokens(id, token_hash, label, created_at, expires_at, max_uses) VALUES ('enr_seed', 'seed', 'seed', ?, ?, 1000000)").run(iso(now), iso(now + 86400_000));
  const dev = db.prepare("INSERT INTO devices(id, hostname, credential_hash, enrollment_token_id, enrolled_at, platform, os_release, arch, agent_version, last_seen_at, tags) VALUES (?, ?, ?, 'enr_seed', ?, ?, 'seeded', 'x64', '0.1.0', ?, ?)");
  const platforms = o.platforms ?? ['linux'];
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
      // Last seen from now to ~14 days ago, so "not seen for N days" has something to count.
      dev.run(id, `host-${String(i).padStart(6, '0')}`, `seed-cred-${i}`, iso(now - 90 * 86400_000), platforms[i % platforms.length], iso(now - (i % 2000) * 600_000), JSON.stringify([...new Set([tags[i % tags.length], tags[(i * 7) % tags.length]])].sort()));
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
  const audits = o.auditEntries ?? 0;
  if (audits > 0) {
    const ins = db.prepare('INSERT INTO audit_log(at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)');
    let prev = (db.prepare('SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1').pluck().get() as string | undefined) ?? AUDIT_GENESIS;
    const actions = ['exception.granted', 'policy.draft.update', 'device.tags', 'report.compliance', 'exception.denied'];
    db.transaction(() => {
      for (let k = 0; k < audits; k++) {
        const at = iso(now - 90 * 86400_000 + k * 100);
        const enroll = k < o.devices;
        const [actor, action, subject, detail] = enroll
          ? ['enrollment:enr_seed', 'device.enroll', `dev_seed${String(k).padStart(7, '0')}`, JSON.stringify({ hostname: `host-${String(k).padStart(6, '0')}`, tags: [] })]
          : [`admin:seed-${k % 7}`, actions[k % actions.length], `sub_${k % 5000}`, JSON.stringify({ n: k })];
        const hash = auditEntryHash(prev, at, actor, action, subject, detail);
        ins.run(at, actor, action, subject, detail, prev, hash);
        prev = hash;
      }
    })();
  }
  const requests = o.exceptionRequests ?? 0;
  if (requests > 0) {
    const ins = db.prepare(
      "INSERT INTO exceptions(id, tool_id, device_id, os_user, reason, status, requested_by, requested_at, request_event) VALUES (?, 'claude-code', ?, ?, ?, 'requested', ?, ?, ?)",
    );
    db.transaction(() => {
      for (let k = 0; k < requests; k++) {
        const d = k % o.devices;
        ins.run(`exc_seed${k}`, `dev_seed${String(d).padStart(7, '0')}`, `u${d}`, 'I need it for a customer project until the end of the quarter', `employee:u${d}`, iso(now - k * 60_000), randomUUID());
      }
    })();
  }
  if (o.banPublishedDaysAgo !== undefined) {
    const publishedAt = iso(now - o.banPublishedDaysAgo * 86400_000);
    const spec = {
      name: 'Claude Code ban (seeded)',
      tools: ['claude-code'],
      reason: { en: 'Covert collection', 'zh-CN': '暗中收集' },
      defaultLocale: 'zh-CN',
      scope: { devices: [], tags: [], users: [] },
      replacements: [{ toolId: 'qoder' }],
      stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai', action: 'warn' } },
      reminders: { everyHours: 24, lastDaysEveryHours: 4 },
      stopCountdownSec: 300,
    };
    const policy = { ...spec, id: SEEDED_BAN_ID, version: 1, publishedAt, instants: { monitor: publishedAt, notice: publishedAt, enforce: '2026-07-09T16:00:00.000Z' } };
    const part = Number(db.prepare("SELECT value FROM meta WHERE key = 'policies_version'").pluck().get() ?? 1) + 1;
    db.prepare("UPDATE meta SET value = ? WHERE key = 'policies_version'").run(String(part));
    db.prepare("INSERT INTO policies(id, name, draft, status, created_at, created_by, updated_at, latest_version) VALUES (?, ?, ?, 'published', ?, 'admin:seed', ?, 1)").run(SEEDED_BAN_ID, spec.name, JSON.stringify(spec), publishedAt, publishedAt);
    db.prepare("INSERT INTO policy_versions(policy_id, version, body, published_at, published_by, policies_part) VALUES (?, 1, ?, ?, 'admin:seed', ?)").run(SEEDED_BAN_ID, JSON.stringify(policy), publishedAt, part);
  }
  c.close();
}

/** Writes the seeded file to disk (the seed runs with synchronous=OFF), so measuring starts without a backlog of dirty pages. */
export function flushSeed(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The floor of a write that is acknowledged: appending a line to a file in `dir` and fsyncing it (ms). */
export function timeFsync(dir: string): number {
  const file = path.join(dir, 'fsync-probe');
  const fd = openSync(file, 'a');
  try {
    const t = performance.now();
    writeSync(fd, 'probe\n');
    fsyncSync(fd);
    return performance.now() - t;
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
}

/** The floor of an unindexed device filter: one full pass over the devices table (ms), read-only. */
export function timeDeviceScan(file: string): number {
  const c = openConnection(file);
  try {
    const t = performance.now();
    c.db.prepare("SELECT count(*) FROM devices WHERE instr(lower(hostname), 'zzz') > 0").get();
    return performance.now() - t;
  } finally {
    c.close();
  }
}
