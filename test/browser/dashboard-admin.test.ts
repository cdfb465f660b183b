/// <reference lib="dom" />
// The admin's day in the dashboard, end to end, in Debian's Chromium against a real server and a
// real agent: sign in (a bad token is refused at the field), tag the device, draft a ban on Cursor
// scoped to that tag (bad input shown at each field, nothing stored), see the impact preview,
// publish with the dates restated, watch the agent's violation appear on the overview without a
// reload when a process named like Cursor starts, approve the employee's exception request (made
// with `edict-agent request-exception`; a missing expiry is refused at the field) and see the
// device become exempt. axe-core finds no serious or critical problem on any view visited.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { enrollAgent, runAgent, type AgentProcess, type AgentSetup } from '../helpers/agent.js';
import { launchBrowser, newPage, seriousAxe, signIn } from '../helpers/browser.js';
import { AGENT_CLI } from '../helpers/paths.js';
import { spawnNamedSleeper, type NamedProcess } from '../helpers/processes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let server: TestServer;
let setup: AgentSetup;
let agent: AgentProcess;
let browser: Browser;
let page: Page;
let problems: string[];
const sleepers: NamedProcess[] = [];
const axeFindings: Record<string, unknown[]> = {};

beforeAll(async () => {
  server = await startTestServer();
  setup = await enrollAgent(server.url, server.adminToken);
  agent = runAgent(setup);
  await waitFor(async () => (await server.api('GET', `/devices/${setup.deviceId}`)).body.connected, 'agent connected', 30_000);
  browser = await launchBrowser();
  ({ page, problems } = await newPage(browser));
}, 60_000);

afterAll(async () => {
  for (const s of sleepers) s.kill();
  await browser?.close();
  await agent?.stop();
  await server?.close();
  cleanupTempDirs();
});

const goto = (hash: string) => page.goto(`${server.url}/${hash}`);
async function checkAxe(view: string): Promise<void> {
  axeFindings[view] = await seriousAxe(page);
}
const cursorPresent = async () =>
  (await server.api('GET', `/detections?deviceId=${setup.deviceId}&toolId=cursor&current=true`)).body.items.some((d: any) => d.state === 'present' && d.kind === 'running');

test('admin: sign in, tag, draft a Cursor ban, preview, publish, watch a violation arrive live, approve an exception', async () => {
  // --- sign in: a wrong token is refused at the field
  await goto('');
  await checkAxe('sign-in');
  await page.locator('#token').fill('edict_adm_this-is-not-a-token');
  await page.locator('button[type=submit]').click();
  await expect(page.locator('#token-err')).toBeDefined();
  await page.locator('#token-err').waitFor();
  expect(await page.locator('#token-err').textContent()).toMatch(/not valid/);
  expect(await page.locator('#token').getAttribute('aria-invalid')).toBe('true');
  await signIn(page, server.url, server.adminToken);
  expect(await page.locator('[data-testid=who]').textContent()).toContain('admin');

  // --- the device gets the tag the ban will be scoped to (a too-long tag is refused first)
  await goto(`#/devices/${setup.deviceId}`);
  await page.locator('#dev-tags').fill('x'.repeat(70));
  await page.getByRole('button', { name: 'Save tags' }).click();
  await page.locator('#dev-tags-err').waitFor();
  expect((await server.api('GET', `/devices/${setup.deviceId}`)).body.tags).toEqual([]);
  await page.locator('#dev-tags').fill('eng');
  await page.getByRole('button', { name: 'Save tags' }).click();
  await page.getByText('Tags saved').waitFor();
  expect((await server.api('GET', `/devices/${setup.deviceId}`)).body.tags).toEqual(['eng']);
  await checkAxe('device');

  // --- a process named like Cursor runs: the agent reports it (no ban yet: monitor only)
  sleepers.push(spawnNamedSleeper('cursor'));
  await waitFor(cursorPresent, 'the agent to report cursor running', 30_000);

  // --- draft: empty form first (every problem at its field, nothing stored)
  await goto('#/bans/new');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await page.locator('#ban-name-err').waitFor();
  await page.locator('#ban-tools-err').waitFor();
  await page.locator('#ban-reason-en-err').waitFor();
  await page.locator('[data-stage=enforce] .error').first().waitFor();
  expect(await page.locator('#ban-name').getAttribute('aria-invalid')).toBe('true');
  await checkAxe('ban form with errors');
  await page.locator('#ban-name').fill('Cursor ban');
  await page.getByLabel('Cursor', { exact: true }).check();
  await page.locator('#ban-tags').fill('eng');
  const enforce = page.locator('[data-stage=enforce]');
  await enforce.locator('input[type=datetime-local]').fill('2026-01-01T00:00');
  await enforce.locator('input[list]').fill('Mars/Olympus_Mons');
  await page.locator('#ban-reason-en').fill('Cursor sends code to servers we have not approved.');
  await page.locator('#ban-reason-zh').fill('Cursor 会把代码发送到未经批准的服务器。');
  await page.getByRole('button', { name: 'Save draft' }).click();
  // A zone that does not exist is refused at the zone field; still nothing stored.
  const zoneError = enforce.locator('.field', { has: page.locator('input[list]') }).locator('.error');
  await zoneError.waitFor();
  expect(await zoneError.textContent()).toMatch(/IANA time zone/);
  expect(await enforce.locator('.error').count()).toBe(1);
  expect((await server.api('GET', '/policies')).body.items).toEqual([]);
  await enforce.locator('input[list]').fill('Asia/Shanghai');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await page.waitForURL(/#\/bans\/pol_/);
  const policyId = /#\/bans\/(pol_\w+)/.exec(page.url())![1];
  const draft = (await server.api('GET', `/policies/${policyId}`)).body;
  expect(draft).toMatchObject({ status: 'draft', draft: { name: 'Cursor ban', tools: ['cursor'], scope: { tags: ['eng'] }, stages: { enforce: { at: '2026-01-01T00:00', timeZone: 'Asia/Shanghai' } } } });

  // --- impact preview: the tagged device with Cursor running would be violating now
  await page.getByRole('button', { name: 'Show the impact' }).click();
  const now = page.locator('[data-testid=preview] tr[data-point=now]');
  await now.waitFor();
  expect(await now.locator('td[data-state=violating]').textContent()).toBe('1');
  await checkAxe('ban page with preview');

  // Cursor stops before the ban is published: the overview will start from zero violations.
  sleepers.pop()!.kill();
  await waitFor(async () => !(await cursorPresent()), 'the agent to report cursor gone', 30_000);

  // --- publish: the dialog restates the dates in the ban's zone and the viewer's
  await page.getByRole('button', { name: 'Publish…' }).click();
  const dates = page.locator('[data-testid=publish-dates]');
  await dates.waitFor();
  const restated = (await dates.textContent()) ?? '';
  expect(restated).toContain('2026-01-01 00:00 Asia/Shanghai');
  expect(restated).toContain('12/31/2025, 17:00 Europe/Berlin');
  await checkAxe('publish dialog');
  await page.getByRole('button', { name: 'Publish now' }).click();
  await waitFor(async () => (await server.api('GET', `/policies/${policyId}`)).body.status === 'published', 'published');

  // --- the overview, kept open: the violation arrives without a reload
  await goto('');
  const card = page.locator('[data-testid="ban-Cursor ban"]');
  await card.waitFor();
  await expect(waitForText(card.locator('[data-testid=in-scope]'), '1')).resolves.toBe(true);
  expect(await card.locator('[data-testid=count-violating]').textContent()).toBe('0');
  await page.evaluate(() => ((window as unknown as { edictMarker: string }).edictMarker = 'still the same page'));
  sleepers.push(spawnNamedSleeper('cursor'));
  await expect(waitForText(card.locator('[data-testid=count-violating]'), '1', 30_000)).resolves.toBe(true);
  expect(await page.evaluate(() => (window as unknown as { edictMarker?: string }).edictMarker)).toBe('still the same page');
  await checkAxe('overview');
  // The count links to exactly that device.
  await card.locator('[data-testid=count-violating]').click();
  await page.locator('[data-testid=devices] tbody tr').first().waitFor();
  expect(await page.locator('[data-testid=devices] tbody tr').count()).toBe(1);
  await checkAxe('devices');

  // --- the employee asks for an exception on the device
  await promisify(execFile)(process.execPath, [AGENT_CLI, '--state-dir', setup.stateDir, 'request-exception', 'cursor', '--reason', 'I need Cursor for one more week to finish the migration of the billing service']);
  await waitFor(async () => (await server.api('GET', `/exceptions?deviceId=${setup.deviceId}&status=requested`)).body.items.length, 'the request to reach the server', 30_000);
  await goto('#/exceptions');
  const row = page.locator('[data-testid=exceptions] tbody tr', { hasText: 'finish the migration of the billing service' });
  await row.waitFor({ timeout: 30_000 });
  await checkAxe('exceptions');
  await row.getByRole('button', { name: 'Approve' }).click();
  // No expiry: refused at the field, the request stays a request.
  await page.locator('#exc-expires').fill('');
  await page.locator('dialog').getByRole('button', { name: 'Approve' }).click();
  await page.locator('#exc-expires-err').waitFor();
  const requested = (await server.api('GET', `/exceptions?deviceId=${setup.deviceId}`)).body.items;
  expect(requested.map((e: any) => e.status)).toEqual(['requested']);
  await checkAxe('approve dialog');
  await page.locator('#exc-expires').fill(berlinLocal(Date.now() + 30 * 86400_000));
  await page.locator('#exc-note').fill('Approved until the migration is done');
  await page.locator('dialog').getByRole('button', { name: 'Approve' }).click();
  await waitFor(async () => (await server.api('GET', `/exceptions?deviceId=${setup.deviceId}`)).body.items[0].status === 'granted', 'exception granted');
  await page.getByText('No request is waiting.').waitFor();

  // --- exempt, on the overview (live) and on the device's page
  await goto('');
  await expect(waitForText(page.locator('[data-testid="ban-Cursor ban"] [data-testid=count-exempt]'), '1', 30_000)).resolves.toBe(true);
  expect(await page.locator('[data-testid="ban-Cursor ban"] [data-testid=count-violating]').textContent()).toBe('0');
  await goto(`#/devices/${setup.deviceId}`);
  await page.locator('[data-testid=state-cursor]').waitFor();
  expect(await page.locator('[data-testid=state-cursor]').textContent()).toBe('exempt');

  // --- the other main views, for axe
  for (const [view, hash, ready] of [
    ['bans', '#/bans', 'table'],
    ['catalog', '#/catalog', '[data-testid=catalog]'],
    ['tool', '#/catalog/cursor', '[data-testid=signatures]'],
    ['audit', '#/audit', '[data-testid=verify] [role=status]'],
    ['reports', '#/reports', 'form'],
  ] as const) {
    await goto(hash);
    await page.locator(ready).first().waitFor();
    await checkAxe(view);
  }
  expect(axeFindings).toEqual(Object.fromEntries(Object.keys(axeFindings).map((k) => [k, []])));
  expect(problems).toEqual([]);
}, 240_000);

/** Resolves true once the element shows exactly `text` (the page updates itself; no fixed sleep). */
async function waitForText(loc: ReturnType<Page['locator']>, text: string, timeoutMs = 20_000): Promise<boolean> {
  await waitFor(async () => (await loc.textContent())?.trim() === text, `"${text}" in ${loc}`, timeoutMs, 100);
  return true;
}

/** A datetime-local value in the browser's zone (Europe/Berlin in these tests). */
function berlinLocal(ms: number): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}
