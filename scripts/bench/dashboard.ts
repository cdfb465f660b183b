// The dashboard's scenario of `npm run bench:server` (`--only dashboard`): every request each view
// of the dashboard makes, timed against a real edict-server process on a database seeded with
// 50,000 devices and 1,000,000 detection events (plus a chained audit log of ~60,000 entries,
// 1,000 waiting exception requests and a ban published 30 days ago, so the burn-down has history),
// made the way the dashboard makes them: with a session cookie and its CSRF token. Also the
// background work the views rely on (the daily rollup's 31-day backfill, a fleet-wide report
// export) with the event-loop delay meanwhile, and the floor in the same run: an HTTP round trip
// that touches no data (GET /health) and one full pass over the devices table in SQLite.
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flushSeed, SEEDED_BAN_ID, seedFleet, timeDeviceScan, timeFsync } from '../../server/src/store/index.js';

export interface BenchServer {
  url: string;
  dataDir: string;
  admin: string;
  probe(reset?: boolean): Promise<{ maxMs: number; p99Ms: number; meanMs: number; rssMb: number; rssPeakMb: number }>;
  stop(): Promise<void>;
}

export type Row = { view: string; request: string; n: number; p50: number; max: number };
export interface DashboardFigures {
  devices: number;
  events: number;
  auditEntries: number;
  seedSeconds: number;
  rows: Row[];
  background: { what: string; ms: number; loopMaxMs: number }[];
  floor: { healthP50Ms: number; devicesScanMs: number; fsyncP50Ms: number; fsyncMaxMs: number };
  /** GETs sent again after the server closed a kept-alive connection under them (as browsers do). */
  retries: number;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/**
 * `seededCopy`: a folder holding an edict.db seeded the same way (by an earlier run, kept with
 * --keep-seed) to copy instead of seeding again (seeding 50,000 devices takes minutes).
 */
export async function dashboardScenario(start: (cli: string, seeded: string) => Promise<BenchServer>, cli: string, devices: number, seededCopy?: string): Promise<DashboardFigures> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'edict-bench-dash-'));
  const t0 = performance.now();
  const auditEntries = devices + 10_000;
  if (seededCopy) cpSync(path.join(seededCopy, 'edict.db'), path.join(dataDir, 'edict.db'));
  else seedFleet(path.join(dataDir, 'edict.db'), { devices, events: devices * 20, violatingShare: 0.3, auditEntries, exceptionRequests: 1000, platforms: ['linux', 'linux', 'darwin', 'win32'], banPublishedDaysAgo: 30 });
  flushSeed(path.join(dataDir, 'edict.db'));
  const seedSeconds = Math.round((performance.now() - t0) / 1000);
  const fsyncs = Array.from({ length: 5 }, () => timeFsync(dataDir));
  // The floor: one full pass over the devices table, the most any unindexed device filter can cost.
  const devicesScanMs = Math.round(timeDeviceScan(path.join(dataDir, 'edict.db')));

  const s = await start(cli, dataDir);
  const rows: Row[] = [];
  const background: DashboardFigures['background'] = [];
  try {
    // The burn-down's backfill starts with the server: 31 days × the fleet, in slices.
    await s.probe(true);
    const b0 = performance.now();
    let cookie = '';
    let csrf = '';
    let retries = 0;
    const req = async (method: string, p: string, body?: unknown): Promise<{ ms: number; status: number; json: any }> => {
      const t = performance.now();
      const send = () =>
        fetch(`${s.url}/api/v1${p}`, {
          method,
          headers: { ...(cookie ? { cookie } : {}), ...(method !== 'GET' && csrf ? { 'x-edict-csrf': csrf } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      // A kept-alive connection the server closed as the request went out: a browser sends a GET
      // again on a new connection, and so does this (counted).
      const res = await send()
        .catch((err: Error & { cause?: Error & { code?: string } }) => {
          if (method !== 'GET' || err.cause?.code !== 'ECONNRESET') throw err;
          retries++;
          return send();
        })
        .catch((err: Error & { cause?: Error }) => {
          throw new Error(`${method} ${p}: ${err.message} (${err.cause?.message ?? 'no cause'})`);
        });
      const text = await res.text();
      const ms = performance.now() - t;
      if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${text.slice(0, 200)}`);
      return { ms, status: res.status, json: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined };
    };
    const time = async (view: string, request: string, method: string, paths: string | string[], n: number, body?: (i: number) => unknown) => {
      const ms: number[] = [];
      for (let i = 0; i < n; i++) {
        const p = Array.isArray(paths) ? paths[i % paths.length] : paths;
        ms.push((await req(method, p, body?.(i))).ms);
      }
      rows.push({ view, request, n, p50: Math.round(pct(ms, 50)), max: Math.round(Math.max(...ms)) });
    };
    const rollupDone = async () => ((await req('GET', `/policies/${SEEDED_BAN_ID}/burndown`)).json.days as unknown[]).length >= 31;

    // Sign-in, as the page does it (five times; the last session is used from here on).
    const signInMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const signIn = await fetch(`${s.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: s.admin }) });
      cookie = /^(edict_session=[^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')![1];
      csrf = ((await signIn.json()) as { csrfToken: string }).csrfToken;
      signInMs.push(performance.now() - t);
    }
    rows.push({ view: 'sign-in', request: 'POST /session', n: 5, p50: Math.round(pct(signInMs, 50)), max: Math.round(Math.max(...signInMs)) });
    await time('all views', 'GET /session', 'GET', '/session', 10);

    // Overview: the page opens the event stream; its answer comes at once, its first event once the
    // overview is computed (a new "not seen for N days" window each time forces a computation).
    const headers: number[] = [];
    const firstEvents: number[] = [];
    for (const days of [1, 2, 3, 4, 5, 6, 7, 14]) {
      const e0 = performance.now();
      const ctrl = new AbortController();
      const es = await fetch(`${s.url}/api/v1/summary/stream?staleDays=${days}`, { headers: { cookie }, signal: ctrl.signal });
      headers.push(performance.now() - e0);
      const reader = es.body!.getReader();
      let got = '';
      while (!got.includes('event: summary')) got += new TextDecoder().decode((await reader.read()).value);
      firstEvents.push(performance.now() - e0);
      ctrl.abort();
    }
    rows.push({ view: 'overview', request: 'GET /summary/stream (the answer: headers)', n: headers.length, p50: Math.round(pct(headers, 50)), max: Math.round(Math.max(...headers)) });
    rows.push({ view: 'overview', request: 'GET /summary/stream → first event, overview computed', n: firstEvents.length, p50: Math.round(pct(firstEvents, 50)), max: Math.round(Math.max(...firstEvents)) });
    await time('overview (API)', 'GET /summary (kept, nothing changed)', 'GET', '/summary?staleDays=7', 10);
    await time('overview', 'GET /policies/{id}/burndown', 'GET', `/policies/${SEEDED_BAN_ID}/burndown`, 10);

    // Bans: list, catalog, one ban, drafts saved, the impact preview of a tool found on every device.
    const draftBody = (i: number) => ({ name: `Bench ban ${i}`, tools: ['codex-cli'], reason: { en: 'r', 'zh-CN': '原因' }, scope: { tags: [] }, replacements: [{ toolId: 'qoder' }], stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai' } } });
    await time('bans', 'POST /policies (save a new draft)', 'POST', '/policies', 3, draftBody);
    const draft = (await req('POST', '/policies', draftBody(9))).json.id as string;
    await time('bans', 'PUT /policies/{id} (save the draft)', 'PUT', `/policies/${draft}`, 5, draftBody);
    await time('bans', 'GET /policies?limit=1000', 'GET', '/policies?limit=1000', 10);
    await time('bans', 'GET /tools?limit=1000', 'GET', '/tools?limit=1000', 10);
    await time('bans', 'GET /policies/{id}', 'GET', `/policies/${SEEDED_BAN_ID}`, 10);
    // The preview runs in the background; the page asks until it is done.
    await s.probe(true);
    const p0 = performance.now();
    const ppolls: number[] = [];
    for (;;) {
      const r = await req('GET', `/policies/${draft}/preview?devicesLimit=20&async=true`);
      ppolls.push(r.ms);
      if (r.json.status === 'done') break;
      await new Promise((res) => setTimeout(res, 700));
    }
    background.push({ what: `impact preview of a draft banning codex-cli (installed on all ${devices.toLocaleString('en-US')} devices)`, ms: Math.round(performance.now() - p0), loopMaxMs: (await s.probe(true)).maxMs });
    rows.push({ view: 'bans', request: 'GET /policies/{id}/preview?async=true (asked until done; codex-cli on every device)', n: ppolls.length, p50: Math.round(pct(ppolls, 50)), max: Math.round(Math.max(...ppolls)) });

    // Devices: every filter, 50 a page, and deep paging.
    const D = (q: string) => `/devices?limit=50${q}`;
    for (const [label, q] of [
      ['(no filter)', ''],
      ['search=host-04', '&search=host-04'],
      ['search matching nothing (full scan)', '&search=zzz'],
      ['tag=contractors', '&tag=contractors'],
      ['os=darwin', '&os=darwin'],
      [`policy=…&state=violating`, `&policy=${SEEDED_BAN_ID}&state=violating`],
      [`policy=…&state=clear`, `&policy=${SEEDED_BAN_ID}&state=clear`],
      ['state=exempt (none: full scan)', '&state=exempt'],
      ['tool=cursor (none present: full scan)', '&tool=cursor'],
      ['tool=codex-cli', '&tool=codex-cli'],
      ['notSeenDays=7', '&notSeenDays=7'],
      ['seenWithinDays=1', '&seenWithinDays=1'],
      [`policy=…&state=violating&notSeenDays=7`, `&policy=${SEEDED_BAN_ID}&state=violating&notSeenDays=7`],
    ] as const) {
      await time('devices', `GET /devices ${label}`, 'GET', D(q), 5);
    }
    let cursor: string | null = null;
    const deep: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r: { ms: number; json: any } = await req('GET', D(cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''));
      deep.push(r.ms);
      cursor = r.json.next;
    }
    rows.push({ view: 'devices', request: 'GET /devices, 40 pages deep', n: 40, p50: Math.round(pct(deep, 50)), max: Math.round(Math.max(...deep)) });

    // One device's page.
    const ids = Array.from({ length: 10 }, (_, i) => `dev_seed${String(Math.floor((i * devices) / 10)).padStart(7, '0')}`);
    await time('device', 'GET /devices/{id}', 'GET', ids.map((id) => `/devices/${id}`), 10);
    await time('device', 'GET /compliance?deviceId=', 'GET', ids.map((id) => `/compliance?deviceId=${id}&limit=100`), 10);
    await time('device', 'GET /detections?deviceId=&current=true&state=present', 'GET', ids.map((id) => `/detections?deviceId=${id}&current=true&state=present&limit=200`), 10);
    await time('device', 'GET /devices/{id}/timeline?limit=100', 'GET', ids.map((id) => `/devices/${id}/timeline?limit=100`), 10);
    await time('device', 'GET /exceptions?deviceId=', 'GET', ids.map((id) => `/exceptions?deviceId=${id}&limit=100`), 10);
    await time('device', 'PUT /devices/{id}/tags', 'PUT', ids.map((id) => `/devices/${id}/tags`), 5, () => ({ tags: ['eng', 'bench'] }));

    // Exceptions: the queue, in force, a decision.
    await time('exceptions', 'GET /exceptions?status=requested&limit=50', 'GET', '/exceptions?status=requested&limit=50', 10);
    await time('exceptions', 'GET /exceptions?status=granted&limit=50', 'GET', '/exceptions?status=granted&limit=50', 10);
    await time('exceptions', 'POST /exceptions/{id}/approve', 'POST', Array.from({ length: 5 }, (_, i) => `/exceptions/exc_seed${i}/approve`), 5, () => ({ expiresAt: new Date(Date.now() + 30 * 86400_000).toISOString() }));

    // Catalog and audit.
    await time('catalog', 'GET /tools/{id}', 'GET', '/tools/cursor', 10);
    await time('catalog', 'PUT /tools/{id}', 'PUT', '/tools/bench-tool', 3, () => ({ displayName: 'Bench tool', vendor: 'Bench', category: ['cli-agent'], signatures: { executables: ['bench-tool'] } }));
    // The verification runs in the background (sliced); the page asks until the verdict is there.
    await s.probe(true);
    const v0 = performance.now();
    const vpolls: number[] = [];
    for (let first = true; ; first = false) {
      const r = await req('GET', `/audit/verify?async=true${first ? '&fresh=true' : ''}`);
      vpolls.push(r.ms);
      if (r.json.status === 'done') {
        if (!r.json.ok) throw new Error(`audit verification failed: ${r.json.problems.join('; ')}`);
        break;
      }
      await new Promise((res) => setTimeout(res, 700));
    }
    background.push({ what: `audit chain verification, ${auditEntries.toLocaleString('en-US')}+ entries, in slices of 2,000`, ms: Math.round(performance.now() - v0), loopMaxMs: (await s.probe(true)).maxMs });
    rows.push({ view: 'audit', request: 'GET /audit/verify?async=true (asked until the verdict is there)', n: vpolls.length, p50: Math.round(pct(vpolls, 50)), max: Math.round(Math.max(...vpolls)) });
    await time('audit', 'GET /audit/verify?async=true (verdict kept)', 'GET', '/audit/verify?async=true', 5);
    await time('audit', 'GET /audit?order=desc&limit=50', 'GET', '/audit?order=desc&limit=50', 10);
    await time('audit', 'GET /audit?order=desc&action=exception.', 'GET', '/audit?order=desc&limit=50&action=exception.', 10);
    await time('audit', 'GET /audit?order=desc&actor=admin:seed-3', 'GET', '/audit?order=desc&limit=50&actor=admin:seed-3', 10);
    await time('audit', 'GET /audit?order=desc&from=…&to=… (one day)', 'GET', `/audit?order=desc&limit=50&from=${new Date(Date.now() - 80 * 86400_000).toISOString()}&to=${new Date(Date.now() - 79 * 86400_000).toISOString()}`, 10);

    // The rollup's backfill (started with the server) must be over before the next figures.
    while (!(await rollupDone())) await new Promise((r) => setTimeout(r, 500));
    const rollupLoop = await s.probe(true);
    background.push({ what: 'daily rollup: 31-day backfill of the seeded ban at start (50,000 devices a day, in slices; requests above ran meanwhile)', ms: Math.round(performance.now() - b0), loopMaxMs: rollupLoop.maxMs });

    // Reports: the export starts at once; it is built in the background; the file downloads.
    await time('reports', 'GET /policies?limit=1000', 'GET', '/policies?limit=1000', 5);
    const x0 = performance.now();
    const job = (await req('POST', '/reports/compliance/exports', { asOf: new Date().toISOString(), policy: SEEDED_BAN_ID, format: 'csv' })).json;
    rows.push({ view: 'reports', request: 'POST /reports/compliance/exports (csv)', n: 1, p50: Math.round(performance.now() - x0), max: Math.round(performance.now() - x0) });
    const polls: number[] = [];
    let status = job;
    while (status.status !== 'done' && status.status !== 'failed') {
      await new Promise((r) => setTimeout(r, 700));
      const r = await req('GET', `/reports/compliance/exports/${job.id}`);
      polls.push(r.ms);
      status = r.json;
    }
    const buildMs = performance.now() - x0;
    const exportLoop = await s.probe(true);
    if (status.status !== 'done') throw new Error(`export failed: ${status.error}`);
    rows.push({ view: 'reports', request: 'GET /reports/compliance/exports/{id} (polled while building)', n: polls.length, p50: Math.round(pct(polls, 50)), max: Math.round(Math.max(...polls)) });
    const f0 = performance.now();
    const file = await fetch(`${s.url}/api/v1/reports/compliance/exports/${job.id}/file`, { headers: { cookie } });
    const firstByte = performance.now() - f0;
    await file.arrayBuffer();
    rows.push({ view: 'reports', request: `GET …/exports/{id}/file (first byte of ${Math.round(status.bytes / 1e6)} MB)`, n: 1, p50: Math.round(firstByte), max: Math.round(firstByte) });
    background.push({ what: `report export: CSV of the seeded ban, ${devices.toLocaleString('en-US')} devices, built in the background (${Math.round(status.bytes / 1e6)} MB)`, ms: Math.round(buildMs), loopMaxMs: exportLoop.maxMs });

    const health: number[] = [];
    for (let i = 0; i < 20; i++) {
      const h0 = performance.now();
      await (await fetch(`${s.url}/api/v1/health`)).text();
      health.push(performance.now() - h0);
    }
    return { devices, events: devices * 20, auditEntries, seedSeconds, rows, background, floor: { healthP50Ms: Math.round(pct(health, 50) * 10) / 10, devicesScanMs, fsyncP50Ms: Math.round(pct(fsyncs, 50) * 10) / 10, fsyncMaxMs: Math.round(Math.max(...fsyncs)) }, retries };
  } finally {
    await s.stop();
  }
}

export const DASH_START = '<!-- dashboard-bench:start -->';
export const DASH_END = '<!-- dashboard-bench:end -->';

export function renderDashboard(f: DashboardFigures, machine: string): string {
  const worst = Math.max(...f.rows.map((r) => r.max));
  const lines = [
    DASH_START,
    '## Dashboard (`npm run bench:server -- --only dashboard`)',
    '',
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} at the end (2 cores). Database seeded directly (${f.seedSeconds} s): ${f.devices.toLocaleString('en-US')} devices, ${f.events.toLocaleString('en-US')} detection events, ${f.auditEntries.toLocaleString('en-US')} chained audit entries, 1,000 waiting exception requests, a Claude Code ban published 30 days ago (every device in scope, 30 % violating). Every request below is made as the dashboard makes it (session cookie, CSRF token on writes) against a separate edict-server process; times are client-side round trips on loopback, so they include the HTTP client and are an upper bound of the server's time.`,
    '',
    `Floor, same run: an HTTP round trip that reads no data (GET /health) ${f.floor.healthP50Ms} ms (median); one full pass over the devices table in SQLite (an unindexed hostname search) ${f.floor.devicesScanMs} ms; an fsync of a small write on the data folder's disk (what every acknowledged write waits for) ${f.floor.fsyncP50Ms} ms median, ${f.floor.fsyncMaxMs} ms max of 5.`,
    '',
    '| view | request | calls | median ms | max ms | ≤ 300 ms |',
    '| --- | --- | --- | --- | --- | --- |',
    ...f.rows.map((r) => `| ${r.view} | ${r.request.replace(/\|/g, '\\|')} | ${r.n} | ${r.p50} | ${r.max} | ${r.max <= 300 ? 'yes' : '**no**'} |`),
    '',
    `Slowest request: ${worst} ms (goal ≤ 300 ms: ${worst <= 300 ? 'met' : '**not met**'}). GETs sent again on a new connection after the server closed a kept-alive one under them (as a browser does): ${f.retries}.`,
    '',
    'Background work the views rely on (not a request; the event loop stays free between slices):',
    '',
    '| work | took | event-loop delay max meanwhile |',
    '| --- | --- | --- |',
    ...f.background.map((b) => `| ${b.what} | ${(b.ms / 1000).toFixed(1)} s | ${b.loopMaxMs} ms |`),
    '',
    DASH_END,
  ];
  return lines.join('\n');
}
