// What the dashboard needs from the server, on a real server (port 0, a temporary database) with
// devices speaking the real protocol: sessions (cookie attributes, lifetime bounded by the token,
// cross-origin and CSRF refusals, expiry, revocation ending them, audited), the static files and
// their headers, device filters (state within a ban's scope, OS, tool, last seen), the summary's
// counts and "not seen" counts, the daily rollup behind the burn-down (past days from the timeline,
// re-derived after a late event), report exports (checked before they start, owned by their
// token), the bulk preview's limits, audit filters, timeline paging and collector errors.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connectRaw, hello, report, type RawPeer } from '../helpers/raw-agent.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let server: TestServer;
const peers: RawPeer[] = [];
afterAll(async () => {
  for (const p of peers) p.ws.close();
  await server?.close();
  cleanupTempDirs();
});
beforeAll(async () => {
  server = await startTestServer();
});

async function device(hostname: string, opts: { tags?: string[]; platform?: string } = {}): Promise<{ id: string; peer: RawPeer }> {
  const token = (await server.api('POST', '/enrollment-tokens', { label: 'dash', tags: opts.tags ?? [] })).body.token;
  const e = (await (await fetch(`${server.url}/api/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, hostname }) })).json()) as { deviceId: string; credential: string };
  const peer = await connectRaw(server.url, e.credential);
  peer.send(hello({ device: { hostname, platform: opts.platform ?? 'linux', osRelease: 'test', arch: 'x64' } }));
  await peer.next('welcome');
  peers.push(peer);
  return { id: e.deviceId, peer };
}

async function send(peer: RawPeer, events: any[]): Promise<void> {
  const n = peer.received.length;
  peer.send({ type: 'report', batchId: randomUUID(), events });
  await peer.next('ack', n);
}

const claude = (observedAt = new Date().toISOString(), state: 'present' | 'absent' = 'present') => {
  const e = report(1).events[0];
  return { ...e, observedAt, state, detection: { ...e.detection, evidence: { ...e.detection.evidence, path: '/opt/claude' } } };
};

async function signIn(token: string, headers: Record<string, string> = {}): Promise<{ status: number; cookie?: string; setCookie: string; body: any }> {
  const res = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ token }) });
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { status: res.status, cookie: /^(edict_session=[^;]+)/.exec(setCookie)?.[1], setCookie, body: await res.json() };
}

async function withCookie(cookie: string, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/api/v1${p}`, { method, headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const sessionRows = () => server.sql.all<{ tokenId: string; endedAt: string | null }>('SELECT token_id AS "tokenId", ended_at AS "endedAt" FROM dashboard_sessions');

describe('sessions', () => {
  test('sign-in sets an HttpOnly, SameSite=Strict, expiring cookie; a token expiring sooner bounds it', async () => {
    const s = await signIn(server.adminToken);
    expect(s.status).toBe(201);
    expect(s.setCookie).toMatch(/^edict_session=edict_ses_[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(s.body).toMatchObject({ role: 'admin', name: 'initial', via: 'session' });
    expect(s.body.csrfToken).toMatch(/^[\w-]{20,}$/);
    const who = await withCookie(s.cookie!, 'GET', '/session');
    expect(who.body).toMatchObject({ role: 'admin', csrfToken: s.body.csrfToken, via: 'session' });
    // Only the cookie's hash is stored.
    expect(JSON.stringify(await server.sql.all('SELECT * FROM dashboard_sessions'))).not.toContain(s.cookie!.split('=')[1]);

    const short = (await server.api('POST', '/tokens', { role: 'auditor', name: 'short', expiresAt: new Date(Date.now() + 3600_000).toISOString() })).body;
    const maxAge = Number(/Max-Age=(\d+)/.exec((await signIn(short.token)).setCookie)![1]);
    expect(maxAge).toBeGreaterThan(3500);
    expect(maxAge).toBeLessThanOrEqual(3600);
  });

  test('bad sign-ins: a wrong or empty token, or a sign-in from another origin, make no session', async () => {
    const before = (await sessionRows()).length;
    expect(await signIn('edict_adm_not-a-token')).toMatchObject({ status: 401, body: { error: { code: 'EDICT_ERR_BAD_CREDENTIAL' } } });
    const empty = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(await empty.json()).toMatchObject({ error: { code: 'EDICT_ERR_VALIDATION', fields: [{ path: 'token' }] } });
    const cross = await signIn(server.adminToken, { origin: 'http://evil.example' });
    expect(cross).toMatchObject({ status: 403, body: { error: { code: 'EDICT_ERR_CSRF' } } });
    expect(cross.setCookie).toBe('');
    // A form post (not JSON) is not even parsed.
    const form = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${server.adminToken}` });
    expect(form.status).toBeGreaterThanOrEqual(400);
    expect((await sessionRows()).length).toBe(before);
  });

  test('writes need the CSRF token and this origin; nothing changes when refused', async () => {
    const s = await signIn(server.adminToken);
    const body = { label: 'from the dashboard' };
    const count = () => server.sql.value<number>('SELECT count(*) FROM enrollment_tokens');
    const before = await count();
    expect(await withCookie(s.cookie!, 'POST', '/enrollment-tokens', body)).toMatchObject({ status: 403, body: { error: { code: 'EDICT_ERR_CSRF' } } });
    expect(await withCookie(s.cookie!, 'POST', '/enrollment-tokens', body, { 'x-edict-csrf': 'wrong' })).toMatchObject({ status: 403, body: { error: { code: 'EDICT_ERR_CSRF' } } });
    expect(await withCookie(s.cookie!, 'POST', '/enrollment-tokens', body, { 'x-edict-csrf': s.body.csrfToken, origin: 'http://evil.example' })).toMatchObject({ status: 403 });
    expect(await count()).toBe(before);
    expect((await withCookie(s.cookie!, 'POST', '/enrollment-tokens', body, { 'x-edict-csrf': s.body.csrfToken, origin: server.url })).status).toBe(201);
    expect(await count()).toBe(before + 1);
    // A bearer token needs no CSRF token (no browser sends it on its own).
    expect((await server.api('POST', '/enrollment-tokens', body)).status).toBe(201);
  });

  test('sign-out, expiry and revocation end sessions; each is audited or refused as documented', async () => {
    const s = await signIn(server.adminToken);
    const out = await withCookie(s.cookie!, 'DELETE', '/session', undefined, { 'x-edict-csrf': s.body.csrfToken });
    expect(out.status).toBe(204);
    expect(await withCookie(s.cookie!, 'GET', '/devices')).toMatchObject({ status: 401, body: { error: { code: 'EDICT_ERR_SESSION_ENDED' } } });

    const e = await signIn(server.adminToken);
    await server.sql.run('UPDATE dashboard_sessions SET expires_at = ? WHERE ended_at IS NULL AND expires_at > ?', '2001-01-01T00:00:00.000Z', new Date(Date.now() + 43_000_000).toISOString());
    expect(await withCookie(e.cookie!, 'GET', '/devices')).toMatchObject({ status: 401, body: { error: { code: 'EDICT_ERR_SESSION_ENDED' } } });

    const t = (await server.api('POST', '/tokens', { role: 'helpdesk', name: 'to-revoke' })).body;
    const r1 = await signIn(t.token);
    const r2 = await signIn(t.token);
    expect((await withCookie(r1.cookie!, 'GET', '/exceptions')).status).toBe(200);
    expect((await server.api('DELETE', `/tokens/${t.id}`)).status).toBe(204);
    await waitFor(async () => (await sessionRows()).filter((x) => x.tokenId === t.id).every((x) => x.endedAt), 'sessions of the revoked token ended');
    for (const r of [r1, r2]) expect(await withCookie(r.cookie!, 'GET', '/exceptions')).toMatchObject({ status: 401, body: { error: { code: 'EDICT_ERR_SESSION_ENDED' } } });

    const audit = (await server.api('GET', '/audit?order=desc&action=session.')).body.items.map((a: any) => [a.actor, a.action]);
    expect(audit).toEqual(expect.arrayContaining([['admin:initial', 'session.start'], ['admin:initial', 'session.end'], ['helpdesk:to-revoke', 'session.start']]));
  });
});

describe('the dashboard files', () => {
  test('served by the server with a strict policy; nothing outside the built files', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    // No asset from anywhere but this server.
    expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => !u.startsWith('/assets/') && u !== 'data:,')).toEqual([]);
    const js = /src="(\/assets\/[^"]+)"/.exec(html)![1];
    const asset = await fetch(`${server.url}${js}`);
    expect([asset.status, asset.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    // Nothing is fetched from elsewhere (the only URLs in the bundle are XML namespace names).
    expect((await asset.text()).match(/https?:\/\/(?!www\.w3\.org\/)[\w.-]+/g)).toBeNull();
    for (const p of ['/assets/nope.js', '/assets/..%2f..%2fpackage.json', '/assets/%2e%2e/index.html']) expect([p, (await fetch(`${server.url}${p}`)).status]).toEqual([p, 404]);
  });
});

describe('fleet views', () => {
  let ban: string;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    const a = await device('mac-violating', { tags: ['eng'], platform: 'darwin' });
    const b = await device('linux-clear', { tags: ['eng'] });
    const c = await device('linux-sales', { tags: ['sales'] });
    Object.assign(ids, { a: a.id, b: b.id, c: c.id });
    await send(a.peer, [claude()]);
    await send(c.peer, [claude()]);
    const draft = await server.api('POST', '/policies', { name: 'Eng ban', tools: ['claude-code'], reason: { en: 'r' }, scope: { tags: ['eng'] }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'UTC' } } });
    ban = draft.body.id;
    await server.api('POST', `/policies/${ban}/publish`);
    await server.compliance.idle();
    // Hello facts reach the database with the next presence flush.
    await waitFor(async () => (await server.api('GET', '/devices?os=darwin')).body.items.length === 1, 'presence flushed');
  });

  test('device filters: a ban\'s scope and state, OS, tool, last seen; a bad filter is refused by name', async () => {
    const names = async (q: string) => (await server.api('GET', `/devices?${q}`)).body.items.map((d: any) => d.hostname);
    expect(await names(`policy=${ban}&state=violating`)).toEqual(['mac-violating']);
    expect(await names(`policy=${ban}&state=clear`)).toEqual(['linux-clear']);
    expect(await names(`policy=${ban}`)).toEqual(['linux-clear', 'mac-violating']);
    expect(await names('state=violating')).toEqual(['mac-violating']);
    expect(await names('os=darwin')).toEqual(['mac-violating']);
    expect(await names('tool=claude-code')).toEqual(['linux-sales', 'mac-violating']);
    expect(await names('tag=sales&tool=claude-code')).toEqual(['linux-sales']);
    await server.sql.run('UPDATE devices SET last_seen_at = ? WHERE id = ?', new Date(Date.now() - 10 * 86400_000).toISOString(), ids.b);
    await waitFor(async () => (await names('notSeenDays=7')).includes('linux-clear'), 'the old last-seen stays until the next heartbeat');
    expect(await names('seenWithinDays=1')).not.toContain('linux-clear');
    const bad = await server.api('GET', '/devices?os=beos&state=happy');
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: any) => f.path).sort()).toEqual(['os', 'state']);
    expect((await server.api('GET', '/devices?policy=pol_nope')).status).toBe(404);
  });

  test('the summary counts every device in scope once, with those not seen for N days', async () => {
    await server.sql.run('UPDATE devices SET last_seen_at = ? WHERE id = ?', new Date(Date.now() - 10 * 86400_000).toISOString(), ids.b);
    const s = (await server.api('GET', '/summary?staleDays=7')).body;
    const p = s.policies.find((x: any) => x.policyId === ban);
    expect(p).toMatchObject({ inScope: 2, stage: 'enforce', counts: { violating: 1, clear: 1 } });
    expect(Object.values(p.counts as Record<string, number>).reduce((x, y) => x + y, 0)).toBe(p.inScope);
    expect(p.notSeen.violating).toBe(0);
    expect(p.stages.find((x: any) => x.stage === 'enforce')).toMatchObject({ at: '2026-07-10T00:00', timeZone: 'UTC', instant: '2026-07-10T00:00:00.000Z' });
    expect((await server.api('GET', '/summary?staleDays=0')).body.error.fields[0].path).toBe('staleDays');
  });

  test('the preview counts every pair and lists at most devicesLimit of them, the most pressing first', async () => {
    const draft = (await server.api('POST', '/policies', { name: 'Everyone', tools: ['claude-code'], reason: { en: 'r' }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'UTC' } } })).body;
    const pv = (await server.api('GET', `/policies/${draft.id}/preview?devicesLimit=1`)).body;
    const now = pv.points.find((x: any) => x.label === 'now');
    expect(now).toMatchObject({ total: 2, truncated: 1, counts: { violating: 2 } });
    expect(now.devices).toHaveLength(1);
    expect(pv.instants.enforce).toBe('2026-07-10T00:00:00.000Z');
    // In the background (what the dashboard asks for): running first, then the same result.
    const first = await server.api('GET', `/policies/${draft.id}/preview?devicesLimit=1&async=true`);
    expect([first.status, first.body.status]).toEqual([202, 'running']);
    const done = await waitFor(async () => {
      const r = await server.api('GET', `/policies/${draft.id}/preview?devicesLimit=1&async=true`);
      return r.status === 200 ? r.body : undefined;
    }, 'background preview');
    expect(done).toMatchObject({ status: 'done', points: pv.points.map((p: any) => ({ label: p.label, counts: p.counts, total: p.total })) });
    // A changed draft is previewed again.
    await server.api('PUT', `/policies/${draft.id}`, { name: 'Everyone but sales', tools: ['claude-code'], reason: { en: 'r' }, scope: { tags: ['eng'] }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'UTC' } } });
    expect((await server.api('GET', `/policies/${draft.id}/preview?devicesLimit=1&async=true`)).status).toBe(202);
  });

  test('timeline pages; audit filters newest first', async () => {
    const whole = (await server.api('GET', `/devices/${ids.a}/timeline`)).body.items;
    const paged: any[] = [];
    let cursor: string | null = null;
    do {
      const r: any = (await server.api('GET', `/devices/${ids.a}/timeline?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body;
      expect(r.items.length).toBeLessThanOrEqual(1);
      paged.push(...r.items);
      cursor = r.next;
    } while (cursor);
    expect(whole.length).toBeGreaterThan(0);
    expect(paged.map((x) => x.seq)).toEqual(whole.map((x: any) => x.seq));
    const all = (await server.api('GET', '/audit?order=desc&action=policy.&limit=1000')).body.items;
    expect(all.length).toBeGreaterThan(2);
    expect(all.every((a: any) => a.action.startsWith('policy.'))).toBe(true);
    expect(all.map((a: any) => a.seq)).toEqual([...all.map((a: any) => a.seq)].sort((x: number, y: number) => y - x));
    // Paging backwards by cursor gives the same entries.
    const page1 = (await server.api('GET', '/audit?order=desc&action=policy.&limit=2')).body;
    const page2 = (await server.api('GET', `/audit?order=desc&action=policy.&limit=2&cursor=${page1.next}`)).body;
    expect([...page1.items, ...page2.items].map((a: any) => a.seq)).toEqual(all.slice(0, 4).map((a: any) => a.seq));
    expect((await server.api('GET', '/audit?action=policy.')).body.error.fields[0].path).toBe('order');
    expect((await server.api('GET', '/audit?order=desc&from=2026-07-10')).body.error.fields[0].path).toBe('from');
  });

  test('collector errors from a heartbeat show on the device; an oversized list is refused', async () => {
    const d = await device('with-errors');
    d.peer.send({ type: 'heartbeat', sentAt: new Date().toISOString(), health: { outboxPending: 0, lastScanAt: null, uptimeSec: 5, collectorErrors: [{ collector: 'npm-globals', code: 'EACCES', message: "EACCES: permission denied, scandir '/home/bob/.npm-global'", count: 1, since: new Date().toISOString() }] } });
    const dev = await waitFor(async () => (await server.api('GET', `/devices/${d.id}`)).body.lastHealth?.collectorErrors, 'health with collector errors');
    expect(dev[0]).toMatchObject({ collector: 'npm-globals' });
    const n = d.peer.received.length;
    d.peer.send({ type: 'heartbeat', sentAt: new Date().toISOString(), health: { outboxPending: 0, lastScanAt: null, uptimeSec: 6, collectorErrors: Array.from({ length: 51 }, () => ({ collector: 'x', code: 'EIO', message: 'y', count: 1, since: new Date().toISOString() })) } });
    expect((await d.peer.next('error', n)).code).toBe('EDICT_ERR_INVALID_MESSAGE');
  });
});

describe('burn-down rollup', () => {
  test('past days come from the timeline; a late event re-derives the days it changes', async () => {
    const d = await device('rollup-laptop', { tags: ['rollup'] });
    const day = 86400_000;
    const now = Date.now();
    await server.sql.run('UPDATE devices SET enrolled_at = ? WHERE id = ?', new Date(now - 10 * day).toISOString(), d.id);
    const draft = (await server.api('POST', '/policies', { name: 'Rollup ban', tools: ['claude-code'], reason: { en: 'r' }, scope: { tags: ['rollup'] }, stages: { enforce: { at: '2026-01-01T00:00', timeZone: 'UTC' } } })).body;
    // Published three days ago: the chart starts then.
    await server.policies.publish(draft.id, 'admin:test', new Date(now - 3 * day));
    server.compliance.kick();
    await server.compliance.idle();
    await send(d.peer, [claude(new Date(now - 2 * day).toISOString())]);
    await server.rollup.run();
    const series = async () => (await server.api('GET', `/policies/${draft.id}/burndown`)).body;
    const b = await series();
    const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    expect(b.timeZone).toBe('UTC');
    const byDay = Object.fromEntries(b.days.map((x: any) => [x.day, x]));
    expect(b.days.map((x: any) => x.day)).toEqual([dayOf(now - 3 * day), dayOf(now - 2 * day), dayOf(now - day), dayOf(now)]);
    expect(byDay[dayOf(now - 3 * day)]).toMatchObject({ inScope: 1, counts: { clear: 1, violating: 0 }, final: true });
    expect(byDay[dayOf(now - 2 * day)]).toMatchObject({ inScope: 1, counts: { violating: 1 }, final: true });
    expect(byDay[dayOf(now)]).toMatchObject({ counts: { violating: 1 }, final: false });
    // A laptop reports late that the tool went away a day and a half ago: yesterday is re-derived.
    await send(d.peer, [claude(new Date(now - 1.5 * day).toISOString(), 'absent')]);
    await server.rollup.run();
    const after = Object.fromEntries((await series()).days.map((x: any) => [x.day, x]));
    expect(after[dayOf(now - day)]).toMatchObject({ counts: { violating: 0, remediated: 1 } });
    expect(after[dayOf(now - 2 * day)].counts.violating).toBe(dayOf(now - 1.5 * day) === dayOf(now - 2 * day) ? 0 : 1);
  });
});

describe('report exports', () => {
  test('checked before they start; built in the background; only their token sees them', async () => {
    const bad = await server.api('POST', '/reports/compliance/exports', { asOf: '2026-07-10', format: 'csv' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].path).toBe('asOf');
    expect((await server.api('POST', '/reports/compliance/exports', { asOf: new Date().toISOString(), format: 'pdf' })).body.error.fields[0].path).toBe('format');
    const job = (await server.api('POST', '/reports/compliance/exports', { asOf: new Date().toISOString(), format: 'csv' })).body;
    expect(job.status).toMatch(/queued|running/);
    const done = await waitFor(async () => {
      const j = (await server.api('GET', `/reports/compliance/exports/${job.id}`)).body;
      return j.status === 'done' || j.status === 'failed' ? j : undefined;
    }, 'export done');
    expect(done).toMatchObject({ status: 'done', filename: expect.stringMatching(/\.csv$/) });
    const file = await fetch(`${server.url}/api/v1/reports/compliance/exports/${job.id}/file`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    expect(file.headers.get('content-disposition')).toContain(done.filename);
    expect((await file.text()).split('\n')[0]).toContain('hostname');
    const other = (await server.api('POST', '/tokens', { role: 'auditor', name: 'other-reader' })).body.token;
    expect((await server.api('GET', `/reports/compliance/exports/${job.id}`, undefined, other)).status).toBe(404);
    expect((await server.api('GET', `/reports/compliance/exports/${job.id}/file`, undefined, other)).status).toBe(404);
  });
});
