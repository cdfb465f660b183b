/// <reference lib="dom" />
// The dashboard for the other roles and its safety rails, in Debian's Chromium against a real
// server (agents speak the real protocol through raw WebSocket peers): the auditor sees no write
// control, has a write refused by the server, and downloads a compliance report whose CSV is
// checked (a bad date is refused at the field first, no report made); the helpdesk decides
// exceptions and nothing else; a session write without the CSRF token is refused; sign-out and a
// revoked token end the session; and the Chinese interface renders real CJK glyphs (checked on a
// screenshot: with no CJK font every character is the same empty box).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { inkOf, launchBrowser, newPage, seriousAxe, signIn } from '../helpers/browser.js';
import { connectRaw, hello, report, type RawPeer } from '../helpers/raw-agent.js';
import { publishPolicy, startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let server: TestServer;
let browser: Browser;
let policyId: string;
const peers: RawPeer[] = [];
const devices: { id: string; hostname: string }[] = [];
const tokens: Record<string, { id: string; token: string }> = {};

async function device(hostname: string, tags: string[]): Promise<{ id: string; peer: RawPeer }> {
  const token = (await server.api('POST', '/enrollment-tokens', { label: 'roles', tags })).body.token;
  const e = (await (await fetch(`${server.url}/api/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, hostname }) })).json()) as { deviceId: string; credential: string };
  const peer = await connectRaw(server.url, e.credential);
  peer.send(hello({ device: { hostname, platform: 'linux', osRelease: 'Debian 12', arch: 'x64' } }));
  await peer.next('welcome');
  peers.push(peer);
  devices.push({ id: e.deviceId, hostname });
  return { id: e.deviceId, peer };
}

async function send(peer: RawPeer, msg: { events: any[] }): Promise<void> {
  const n = peer.received.length;
  peer.send(msg);
  await peer.next('ack', n);
}

beforeAll(async () => {
  server = await startTestServer();
  for (const role of ['auditor', 'helpdesk'] as const) tokens[role] = (await server.api('POST', '/tokens', { role, name: `${role}-one` })).body;
  const ban = await publishPolicy(server, {
    name: 'Claude Code ban',
    tools: ['claude-code'],
    reason: { en: 'Covert collection', 'zh-CN': '暗中收集' },
    replacements: [{ toolId: 'qoder' }],
    stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai' } },
  });
  policyId = ban.id;
  const a = await device('laptop-violating', ['eng']);
  await send(a.peer, report(1));
  const b = await device('laptop-asking', ['sales']);
  const r = report(1);
  await send(b.peer, r);
  await send(b.peer, { events: [{ eventId: randomUUID(), type: 'exception-request', observedAt: new Date().toISOString(), toolId: 'claude-code', user: 'alice', reason: 'Needed for the vendor audit next week' }], ...{ type: 'report', batchId: randomUUID() } } as never);
  await device('laptop-clean', ['eng']);
  await waitFor(async () => (await server.api('GET', '/compliance?state=violating')).body.items.length === 2, 'two devices violating');
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  for (const p of peers) p.ws.close();
  await browser?.close();
  await server?.close();
  cleanupTempDirs();
});

/** A write made from the page with the session cookie and the page's CSRF token (or without it). */
async function pageWrite(page: Page, method: string, path: string, body: unknown, withCsrf = true): Promise<{ status: number; code?: string }> {
  return page.evaluate(
    async ({ method, path, body, withCsrf }) => {
      const s = await (await fetch('/api/v1/session')).json();
      const r = await fetch(`/api/v1${path}`, { method, headers: { 'content-type': 'application/json', ...(withCsrf ? { 'x-edict-csrf': s.csrfToken } : {}) }, body: JSON.stringify(body) });
      const j = await r.json().catch(() => ({}));
      return { status: r.status, code: j?.error?.code };
    },
    { method, path, body, withCsrf },
  );
}

describe('auditor', () => {
  let page: Page;
  let problems: string[];
  beforeAll(async () => {
    ({ page, problems } = await newPage(browser));
    await signIn(page, server.url, tokens.auditor.token);
  });

  test('sees no write control anywhere, and the server refuses a write all the same', async () => {
    expect(await page.locator('[data-testid=who]').textContent()).toContain('auditor');
    await page.goto(`${server.url}/#/bans`);
    await page.locator('table').waitFor();
    expect(await page.getByText('New ban').count()).toBe(0);
    await page.goto(`${server.url}/#/bans/${policyId}`);
    await page.getByRole('heading', { name: 'Impact preview' }).waitFor();
    for (const name of ['Save draft', 'Publish…', 'Retire…']) expect([name, await page.getByRole('button', { name }).count()]).toEqual([name, 0]);
    expect(await page.locator('form').count()).toBe(0);
    await page.goto(`${server.url}/#/devices/${devices[0].id}`);
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    expect(await page.getByRole('button', { name: 'Save tags' }).count()).toBe(0);
    await page.goto(`${server.url}/#/exceptions`);
    await page.locator('[data-testid=exceptions]').waitFor();
    expect(await page.getByText('Needed for the vendor audit next week').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Deny' }).count()).toBe(0);
    await page.goto(`${server.url}/#/catalog/cursor`);
    await page.locator('[data-testid=signatures]').waitFor();
    expect(await page.getByRole('button', { name: 'Override…' }).count()).toBe(0);
    expect(await page.getByText('Add a tool').count()).toBe(0);

    const before = (await server.api('GET', '/policies')).body.items.length;
    expect(await pageWrite(page, 'POST', '/policies', { name: 'sneaky', tools: ['cursor'], reason: { en: 'x' }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'UTC' } } })).toEqual({ status: 403, code: 'EDICT_ERR_FORBIDDEN' });
    expect(await pageWrite(page, 'POST', `/policies/${policyId}/retire`, {})).toEqual({ status: 403, code: 'EDICT_ERR_FORBIDDEN' });
    expect((await server.api('GET', '/policies')).body.items.length).toBe(before);
    expect((await server.api('GET', `/policies/${policyId}`)).body.status).toBe('published');
    expect(problems).toEqual([]);
  });

  test('downloads the compliance report; its CSV has every device of the ban with its state', async () => {
    await page.goto(`${server.url}/#/reports`);
    await page.locator('#r-asof').waitFor();
    // A date that is not one: refused at the field, no report made.
    await page.locator('#r-asof').fill('');
    await page.getByRole('button', { name: 'Make the report' }).click();
    await page.locator('#r-asof-err').waitFor();
    expect(await page.locator('[data-testid=jobs]').count()).toBe(0);
    expect((await seriousAxe(page)).map((f) => f.id)).toEqual([]);
    // Now, to the second (the ban was published seconds ago).
    await page.locator('#r-asof').fill(localIn('Europe/Berlin', Date.now()));
    await page.locator('#r-policy').selectOption(policyId);
    await page.locator('#r-format').selectOption('csv');
    await page.getByRole('button', { name: 'Make the report' }).click();
    const link = page.locator('[data-testid=download]');
    await link.waitFor({ timeout: 30_000 }).catch(async (err) => {
      throw new Error(`${err}; jobs: ${await page.locator('[data-testid=jobs]').textContent().catch(() => 'none')}; form: ${await page.locator('form').textContent()}`);
    });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/^edict-compliance-.*\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    const [header, ...rows] = csv.trim().split(/\r?\n/).filter((l) => !l.startsWith('#'));
    const cols = header.split(',');
    const at = (row: string, col: string) => row.split(',')[cols.indexOf(col)];
    expect(cols.slice(0, 4)).toEqual(['deviceId', 'hostname', 'toolId', 'state']);
    const byHost = Object.fromEntries(rows.map((r) => [at(r, 'hostname'), at(r, 'state')]));
    expect(byHost).toMatchObject({ 'laptop-violating': 'violating', 'laptop-asking': 'violating', 'laptop-clean': 'clear' });
    // Making a report is audited under the auditor's name.
    const audit = (await server.api('GET', '/audit?order=desc&action=report.')).body.items;
    expect(audit[0]).toMatchObject({ actor: 'auditor:auditor-one', action: 'report.compliance' });
  }, 60_000);
});

describe('bad input in the other forms', () => {
  test('catalog, exception decision, device and audit filters: a message at the field, nothing stored', async () => {
    const { page, problems } = await newPage(browser);
    await signIn(page, server.url, server.adminToken);
    // A tool with a regular expression that is not one: the line is named, the tool not stored.
    await page.goto(`${server.url}/#/catalog/new`);
    await page.locator('#tool-id').fill('inhouse-agent');
    await page.locator('#tool-name').fill('In-house agent');
    await page.locator('#tool-vendor').fill('Us');
    await page.getByLabel('cli-agent').check();
    await page.locator('#sig-executables').fill('inhouse-agent');
    await page.locator('#sig-exePathPatterns').fill('inhouse-agent$\n(unclosed');
    await page.getByRole('button', { name: 'Save tool' }).click();
    await page.locator('#sig-exePathPatterns-err').waitFor();
    expect(await page.locator('#sig-exePathPatterns-err').textContent()).toMatch(/line 2: not a valid regular expression/);
    expect((await server.api('GET', '/tools/inhouse-agent')).status).toBe(404);
    await page.locator('#sig-exePathPatterns').fill('inhouse-agent$');
    await page.getByRole('button', { name: 'Save tool' }).click();
    await page.waitForURL(/#\/catalog\/inhouse-agent$/);
    expect((await server.api('GET', '/tools/inhouse-agent')).body.source).toBe('custom');

    // A denial note longer than a notice can carry: refused at the field, the request still waits.
    await page.goto(`${server.url}/#/exceptions`);
    const row = page.locator('[data-testid=exceptions] tbody tr', { hasText: 'Needed for the vendor audit next week' });
    await row.getByRole('button', { name: 'Deny' }).click();
    await page.locator('#exc-note').fill('n'.repeat(2001));
    await page.locator('dialog').getByRole('button', { name: 'Deny' }).click();
    await page.locator('#exc-note-err').waitFor();
    expect((await server.api('GET', `/exceptions?deviceId=${devices[1].id}`)).body.items[0].status).toBe('requested');
    await page.locator('dialog').getByRole('button', { name: 'Cancel' }).click();

    // Filters: too long a search or actor is named at its field.
    await page.goto(`${server.url}/#/devices`);
    await page.locator('#f-search').fill('h'.repeat(201));
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#f-search-err').waitFor();
    await page.goto(`${server.url}/#/audit`);
    await page.locator('#a-actor').fill('a'.repeat(201));
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#a-actor-err').waitFor();
    expect(problems).toEqual([]);
  }, 60_000);
});

describe('helpdesk', () => {
  test('decides exceptions and nothing else', async () => {
    const { page, problems } = await newPage(browser);
    await signIn(page, server.url, tokens.helpdesk.token);
    await page.goto(`${server.url}/#/bans`);
    await page.locator('table').waitFor();
    expect(await page.getByText('New ban').count()).toBe(0);
    await page.goto(`${server.url}/#/devices/${devices[0].id}`);
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    expect(await page.getByRole('button', { name: 'Save tags' }).count()).toBe(0);
    expect(await pageWrite(page, 'PUT', `/devices/${devices[0].id}/tags`, { tags: ['moved'] })).toEqual({ status: 403, code: 'EDICT_ERR_FORBIDDEN' });
    expect((await server.api('GET', `/devices/${devices[0].id}`)).body.tags).toEqual(['eng']);

    await page.goto(`${server.url}/#/exceptions`);
    const row = page.locator('[data-testid=exceptions] tbody tr', { hasText: 'Needed for the vendor audit next week' });
    await row.waitFor();
    await row.getByRole('button', { name: 'Deny' }).click();
    await page.locator('#exc-note').fill('Use Qoder for the audit; Claude Code stays banned');
    await page.locator('dialog').getByRole('button', { name: 'Deny' }).click();
    await page.getByText('No request is waiting.').waitFor();
    const exc = (await server.api('GET', `/exceptions?deviceId=${devices[1].id}`)).body.items[0];
    expect(exc).toMatchObject({ status: 'denied', decidedBy: 'helpdesk:helpdesk-one', decisionNote: 'Use Qoder for the audit; Claude Code stays banned' });
    expect(problems).toEqual([]);
  }, 60_000);
});

describe('sessions', () => {
  test('a session write without the CSRF token is refused; sign-out and a revoked token end the session', async () => {
    const { page } = await newPage(browser);
    const second = (await server.api('POST', '/tokens', { role: 'admin', name: 'second-admin' })).body;
    await signIn(page, server.url, second.token);
    const before = (await server.api('GET', '/policies')).body.items.length;
    expect(await pageWrite(page, 'POST', '/policies', { name: 'no csrf', tools: ['cursor'], reason: { en: 'x' }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'UTC' } } }, false)).toEqual({ status: 403, code: 'EDICT_ERR_CSRF' });
    expect((await server.api('GET', '/policies')).body.items.length).toBe(before);

    // Revoking the token ends its session: the next view shows the sign-in page.
    expect((await server.api('DELETE', `/tokens/${second.id}`)).status).toBe(204);
    await page.goto(`${server.url}/#/devices`);
    await page.locator('#token').waitFor();
    expect(await page.evaluate(async () => (await fetch('/api/v1/session')).status)).toBe(401);

    // Sign-out ends a session and clears its cookie.
    await signIn(page, server.url, server.adminToken);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#token').waitFor();
    expect(await page.evaluate(async () => (await fetch('/api/v1/session')).status)).toBe(401);
    expect((await page.context().cookies()).filter((c) => c.name === 'edict_session' && c.value)).toEqual([]);
  }, 60_000);
});

describe('Chinese', () => {
  test('the interface in zh-CN renders Chinese glyphs (checked on a screenshot), with no serious axe finding', async () => {
    const { page, problems } = await newPage(browser, { locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    await page.goto(`${server.url}/`);
    await page.locator('#token').waitFor();
    expect(await page.locator('h1').textContent()).toBe('登录 Edict');
    await signIn(page, server.url, server.adminToken);
    const card = page.locator('[data-testid="ban-Claude Code ban"]');
    await card.waitFor();
    expect(await page.locator('nav.main').textContent()).toContain('总览');
    expect(await card.locator('th.state-violating').textContent()).toBe('违规');
    expect(await card.locator('[data-testid=count-violating]').textContent()).toBe('2');
    expect((await seriousAxe(page)).map((f) => f.id)).toEqual([]);

    // On the screenshot: each heading glyph has ink, and different characters look different (with
    // no CJK font Chromium draws every one as the same empty box).
    const shots: { text: string; ink: number; shape: string }[] = [];
    for (const text of ['总览', '设备', '例外']) {
      const link = page.locator('nav.main a', { hasText: text });
      const png = await link.screenshot();
      const i = await inkOf(browser, png);
      shots.push({ text, ink: i.ink, shape: i.shape });
    }
    for (const s of shots) expect([s.text, s.ink > 40]).toEqual([s.text, true]);
    expect(new Set(shots.map((s) => s.shape)).size).toBe(3);
    const whole = await inkOf(browser, await page.screenshot({ fullPage: true }));
    expect(whole.ink).toBeGreaterThan(2000);
    expect(problems).toEqual([]);
  }, 60_000);
});

/** A datetime-local value (to the second) for an instant in a zone. */
function localIn(zone: string, ms: number): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(ms)).map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}
