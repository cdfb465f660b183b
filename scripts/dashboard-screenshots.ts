// `npm run screenshots`: the README's pictures of the dashboard. Seeds a demo database (3,000
// devices, a Claude Code ban published 30 days ago so the burn-down has history, exception requests,
// an audit log), starts edict-server on it, drafts a Cursor ban, and has Debian's Chromium take a
// picture of each main view (English, and the overview in Chinese) into docs/screenshots/.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { SEEDED_BAN_ID, seedFleet } from '../server/src/store/index.js';
import { projectRoot } from './project-root.js';

const root = projectRoot();
const out = path.join(root, 'docs', 'screenshots');
mkdirSync(out, { recursive: true });
const data = mkdtempSync(path.join(os.tmpdir(), 'edict-shots-'));
seedFleet(path.join(data, 'edict.db'), { devices: 3000, events: 60_000, violatingShare: 0.3, auditEntries: 3200, exceptionRequests: 4, platforms: ['linux', 'linux', 'darwin', 'win32'], banPublishedDaysAgo: 30 });
const server = spawn(process.execPath, [path.join(root, 'dist', 'server', 'src', 'cli.js'), '--port', '0', '--host', '127.0.0.1', '--data', data, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
server.stdout!.on('data', (c: Buffer) => (log += c));
server.stderr!.on('data', (c: Buffer) => (log += c));
try {
  const deadline = Date.now() + 30_000;
  while (!/listening on (http:\/\/\S+)/.test(log)) {
    if (Date.now() > deadline) throw new Error(`server did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = /listening on (http:\/\/\S+)/.exec(log)![1];
  const token = readFileSync(path.join(data, 'admin-token'), 'utf8').trim();
  const api = async (method: string, p: string, body?: unknown): Promise<any> =>
    (await fetch(`${url}/api/v1${p}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined })).json();
  const draft = await api('POST', '/policies', {
    name: 'Cursor ban (engineering)',
    tools: ['cursor'],
    reason: { en: 'Cursor sends code to servers we have not approved.', 'zh-CN': 'Cursor 会把代码发送到未经批准的服务器。' },
    scope: { tags: ['eng'] },
    replacements: [{ toolId: 'qoder', installUrl: 'https://qoder.com/download' }],
    stages: { notice: { at: '2026-12-01T09:00', timeZone: 'Asia/Shanghai' }, enforce: { at: '2027-01-04T09:00', timeZone: 'Asia/Shanghai' } },
  });
  // The burn-down's backfill runs at start; wait for its 31 days.
  while (((await api('GET', `/policies/${SEEDED_BAN_ID}/burndown`)).days ?? []).length < 31) await new Promise((r) => setTimeout(r, 500));

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    for (const locale of ['en-US', 'zh-CN']) {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 }, locale, timezoneId: 'Asia/Shanghai' })).newPage();
      await page.goto(`${url}/`);
      await page.locator('#token').fill(token);
      await page.locator('button[type=submit]').click();
      await page.locator('[data-testid=counts]').first().waitFor();
      await page.locator('.chart svg').first().waitFor();
      const shot = async (name: string) => page.screenshot({ path: path.join(out, `${name}.png`) });
      if (locale === 'zh-CN') {
        await shot('overview-zh-CN');
        continue;
      }
      await shot('overview');
      await page.goto(`${url}/#/bans/${draft.id}`);
      await page.getByRole('button', { name: 'Show the impact' }).click();
      await page.locator('[data-testid=preview]').waitFor({ timeout: 60_000 });
      await page.locator('#preview-h').scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(out, 'ban.png'), fullPage: true });
      await page.goto(`${url}/#/devices?policy=${SEEDED_BAN_ID}&state=violating&notSeenDays=3`);
      await page.locator('[data-testid=devices] tbody tr').first().waitFor();
      await shot('devices');
      await page.goto(`${url}/#/devices/dev_seed0000004`);
      await page.locator('[data-testid=detections]').waitFor();
      await page.screenshot({ path: path.join(out, 'device.png'), fullPage: true });
      await page.goto(`${url}/#/exceptions`);
      await page.locator('[data-testid=exceptions]').waitFor();
      await shot('exceptions');
      await page.goto(`${url}/#/audit`);
      await page.locator('[data-testid=verify] [role=status]').waitFor();
      await shot('audit');
      await page.goto(`${url}/#/reports`);
      await page.getByRole('button', { name: 'Make the report' }).click();
      await page.locator('[data-testid=download]').waitFor({ timeout: 60_000 });
      await shot('reports');
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(`screenshots written to ${path.relative(root, out)}\n`);
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(data, { recursive: true, force: true });
}
