// Agent configuration (agent.json in the state folder, or --config FILE): log level, a company CA
// file for TLS to the server, scan cadence (process poll and inventory intervals), which homes to
// scan and extra npm prefixes. Validated once at start; a bad file is rejected with one
// message naming every bad field (the agent keeps nothing half-configured).
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { EdictError } from '../../shared/src/errors.js';
import { DEFAULT_INVENTORY_INTERVAL_MS, DEFAULT_OUTBOX_MAX_BYTES, DEFAULT_PROCESS_INTERVAL_MS, MAX_TIMER_MS } from './constants.js';

export const AgentConfigSchema = z.strictObject({
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** A company CA (PEM file) trusted for the server's https:// and wss:// besides the public roots. */
  caFile: z.string().min(1).optional(),
  /** More server URLs (other nodes) to fail over to, besides those given at enrollment. */
  servers: z.array(z.url()).max(16).optional(),
  scan: z
    .strictObject({
      /** Milliseconds between two polls of the running processes (see process-watcher.ts). */
      processIntervalMs: z.number().int().min(100).max(MAX_TIMER_MS).default(DEFAULT_PROCESS_INTERVAL_MS),
      /** Milliseconds from the end of one inventory scan (installs, extensions, packages...) to the next; one runs at start. */
      inventoryIntervalMs: z.number().int().min(1000).max(MAX_TIMER_MS).default(DEFAULT_INVENTORY_INTERVAL_MS),
      /** Homes to scan instead of the discovered users (e.g. a managed profile root). */
      homes: z.array(z.strictObject({ user: z.string().min(1), home: z.string().min(1) })).optional(),
      /** npm prefixes to look in besides the discovered ones. */
      extraNpmPrefixes: z.array(z.string().min(1)).default([]),
    })
    .default({ processIntervalMs: DEFAULT_PROCESS_INTERVAL_MS, inventoryIntervalMs: DEFAULT_INVENTORY_INTERVAL_MS, extraNpmPrefixes: [] }),
  outbox: z
    .strictObject({
      /** Bound of the queued events on disk while the server is unreachable (bytes; default 16 MiB). */
      maxBytes: z.number().int().min(64 * 1024).max(1024 * 1024 * 1024).default(DEFAULT_OUTBOX_MAX_BYTES),
    })
    .default({ maxBytes: DEFAULT_OUTBOX_MAX_BYTES }),
});
export type AgentConfig = Readonly<z.infer<typeof AgentConfigSchema>>;

export function loadAgentConfig(file: string | undefined, required: boolean): AgentConfig {
  if (!file || !existsSync(file)) {
    if (file && required) throw new EdictError('EDICT_ERR_CONFIG', `${file}: file not found`);
    return Object.freeze(AgentConfigSchema.parse({}));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new EdictError('EDICT_ERR_CONFIG', `${file}: ${(err as Error).message}`);
  }
  const r = AgentConfigSchema.safeParse(raw);
  if (!r.success) {
    const fields = r.error.issues.map((i) => `${i.path.join('.') || (i as { keys?: string[] }).keys?.join(', ') || '(root)'}: ${i.message}`);
    throw new EdictError('EDICT_ERR_CONFIG', `${file}: ${fields.join('; ')}`);
  }
  return Object.freeze(r.data);
}
