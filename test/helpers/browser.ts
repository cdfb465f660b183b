/// <reference lib="dom" />
// Browser tests: Debian's Chromium driven by playwright-core (no browser download), the dashboard
// signed in as a role, axe-core run inside the page (evaluated through the DevTools protocol, so
// the dashboard's Content-Security-Policy stays on), and a look at rendered glyphs on a screenshot.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Debian's chromium is not installed at ${CHROMIUM}: apt-get install chromium fonts-noto-cjk (.ci/run does)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A page that fails the test on any script error or CSP violation it logs. */
export async function newPage(browser: Browser, opts: { locale?: string; timezoneId?: string } = {}): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: opts.locale ?? 'en-US', timezoneId: opts.timezoneId ?? 'Europe/Berlin', acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // A refused sign-in or a refused write answers 4xx on purpose; anything else logged as an error is a defect.
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.setDefaultTimeout(20_000);
  return { page, problems };
}

export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.locator('#token').fill(token);
  await page.locator('button[type=submit]').click();
  await page.locator('[data-testid=who]').waitFor();
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's violations on the current page (WCAG 2.1 A/AA rules and best practices). */
export async function axe(page: Page): Promise<AxeFinding[]> {
  if (!(await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined'))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  return result;
}

/** The serious and critical axe findings only (what the quality bar forbids). */
export async function seriousAxe(page: Page): Promise<AxeFinding[]> {
  return (await axe(page)).filter((f) => f.impact === 'serious' || f.impact === 'critical');
}

/**
 * How many dark pixels a PNG has, and a fingerprint of where they are: decoded by the browser in a
 * blank page (a canvas), so no image library is needed.
 */
export async function inkOf(browser: Browser, png: Buffer): Promise<{ ink: number; width: number; height: number; shape: string }> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(async (dataUrl) => {
      const img = new Image();
      await new Promise((resolve, reject) => {
        img.onload = resolve;
        img.onerror = reject;
        img.src = dataUrl;
      });
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      const cols: number[] = new Array(c.width).fill(0);
      for (let i = 0; i < d.length; i += 4) {
        const lum = 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
        if (lum < 140) {
          ink++;
          cols[(i / 4) % c.width]++;
        }
      }
      return { ink, width: c.width, height: c.height, shape: cols.join(',') };
    }, `data:image/png;base64,${png.toString('base64')}`);
  } finally {
    await page.close();
  }
}
