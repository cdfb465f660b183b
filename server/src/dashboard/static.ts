// Serves the dashboard that `npm run build` bundled (server/dashboard → dist/dashboard): index.html
// at `/` and its assets under `/assets/`, all from edict-server itself (no CDN, works offline). The
// files are read once at start into memory; only names found there are served (no path from the
// request ever reaches the file system). Strict headers: a Content-Security-Policy allowing only
// this origin's scripts and styles, no framing, no referrer, no MIME sniffing.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiContext } from '../api/context.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Where the built dashboard is: beside the bundled server (the package), dist/dashboard from the
 * compiled server (a checkout), or dist/dashboard from the sources (tests run them directly).
 */
export function findDashboardDir(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const dir of [path.join(here, 'dashboard'), path.resolve(here, '..', '..', '..', 'dashboard'), path.resolve(here, '..', '..', '..', 'dist', 'dashboard')]) {
    if (existsSync(path.join(dir, 'index.html'))) return dir;
  }
  return null;
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', DASHBOARD_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin');
}

export function dashboardRoutes(app: FastifyInstance, ctx: Pick<ApiContext, 'dashboardDir'>): void {
  const dir = ctx.dashboardDir;
  if (!dir) {
    app.get('/', async (_req, reply) =>
      secure(reply)
        .type('text/plain; charset=utf-8')
        .send('The Edict dashboard was not built with this server. Run `npm run build` (a checkout) or install the edict-server package; the API is at /api/v1.\n'),
    );
    return;
  }
  const index = readFileSync(path.join(dir, 'index.html'));
  const assets = new Map<string, Buffer>();
  const assetDir = path.join(dir, 'assets');
  if (existsSync(assetDir)) for (const f of readdirSync(assetDir)) assets.set(f, readFileSync(path.join(assetDir, f)));

  app.get('/', async (_req, reply) => secure(reply).type(TYPES['.html']).header('cache-control', 'no-cache').send(index));
  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    const body = assets.get(req.params.file);
    if (!body) return reply.callNotFound();
    // Asset names carry a content hash (index.html is never cached), so they can be kept for good.
    return secure(reply)
      .type(TYPES[path.extname(req.params.file)] ?? 'application/octet-stream')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(body);
  });
}
