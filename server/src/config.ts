// Server configuration: defaults < config file (JSON) < environment (EDICT_SERVER_*) < flags.
// Parsed once at start into a frozen object; a bad config fails with one message naming every
// bad field and where it came from. Nothing reads process.env after this.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { EdictError } from '../../shared/src/errors.js';
import { DEFAULT_PORT, DRAIN_TIMEOUT_MS, PENDING_PER_SOURCE, PENDING_TIMEOUT_MS, PENDING_TOTAL, UNHELLOED_PER_SOURCE, UNHELLOED_TOTAL } from './constants.js';

const DatabaseUrl = z
  .string()
  .refine((s) => {
    try {
      return ['postgres:', 'postgresql:'].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  }, 'must be a postgres:// or postgresql:// URL');

export const ServerConfigSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(DEFAULT_PORT),
  dataDir: z.string().min(1).default('data'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** URL agents and admins use to reach this server, if it differs from http://host:port. */
  publicUrl: z.url().optional(),
  /** Connections without a complete request (or finished agent upgrade): at most this many… */
  maxPendingConnections: z.coerce.number().int().min(1).default(PENDING_TOTAL),
  /** …and this many from one source address. */
  maxPendingPerSource: z.coerce.number().int().min(1).default(PENDING_PER_SOURCE),
  /** Agent connections waiting for their hello: at most this many, and per source. */
  maxUnhelloedConnections: z.coerce.number().int().min(1).default(UNHELLOED_TOTAL),
  maxUnhelloedPerSource: z.coerce.number().int().min(1).default(UNHELLOED_PER_SOURCE),
  /** A connection that sends no complete request headers within this (ms) is closed. */
  pendingTimeoutMs: z.coerce.number().int().min(100).default(PENDING_TIMEOUT_MS),
  /** Where the data lives: the embedded SQLite file in dataDir, or a PostgreSQL database shared by several nodes. */
  store: z.enum(['sqlite', 'postgres']).default('sqlite'),
  /** postgres://user:password@host:port/database (store: postgres). */
  databaseUrl: DatabaseUrl.optional(),
  /** Connections this node keeps to PostgreSQL. */
  databasePoolSize: z.coerce.number().int().min(2).max(200).default(10),
  /** The Ed25519 key every node signs with (PEM, mode 0600); default dataDir/signing-key.pem. Never stored in the database. */
  signingKeyFile: z.string().min(1).optional(),
  /** On SIGTERM: how long (ms) to let connected agents finish in-flight reports and move away before closing. */
  drainTimeoutMs: z.coerce.number().int().min(0).max(600_000).default(DRAIN_TIMEOUT_MS),
});
export type ServerConfig = Readonly<z.infer<typeof ServerConfigSchema> & { signingKeyFile: string }>;
export type ServerConfigInput = z.input<typeof ServerConfigSchema>;

const ENV_KEYS: Record<string, keyof ServerConfigInput> = {
  EDICT_SERVER_HOST: 'host',
  EDICT_SERVER_PORT: 'port',
  EDICT_SERVER_DATA_DIR: 'dataDir',
  EDICT_SERVER_LOG_LEVEL: 'logLevel',
  EDICT_SERVER_PUBLIC_URL: 'publicUrl',
  EDICT_SERVER_MAX_PENDING_CONNECTIONS: 'maxPendingConnections',
  EDICT_SERVER_MAX_PENDING_PER_SOURCE: 'maxPendingPerSource',
  EDICT_SERVER_MAX_UNHELLOED_CONNECTIONS: 'maxUnhelloedConnections',
  EDICT_SERVER_MAX_UNHELLOED_PER_SOURCE: 'maxUnhelloedPerSource',
  EDICT_SERVER_PENDING_TIMEOUT_MS: 'pendingTimeoutMs',
  EDICT_SERVER_STORE: 'store',
  EDICT_SERVER_DATABASE_URL: 'databaseUrl',
  EDICT_SERVER_DATABASE_POOL_SIZE: 'databasePoolSize',
  EDICT_SERVER_SIGNING_KEY_FILE: 'signingKeyFile',
  EDICT_SERVER_DRAIN_TIMEOUT_MS: 'drainTimeoutMs',
};

export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  flags?: Partial<Record<keyof ServerConfigInput, unknown>>;
}

/** Merge and validate every source; throws EdictError(EDICT_ERR_CONFIG) listing all bad fields. */
export function loadServerConfig(sources: ConfigSources): ServerConfig {
  const origin: Record<string, string> = {};
  const merged: Record<string, unknown> = {};
  const problems: string[] = [];

  if (sources.file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(sources.file, 'utf8'));
    } catch (err) {
      throw new EdictError('EDICT_ERR_CONFIG', `${sources.file}: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new EdictError('EDICT_ERR_CONFIG', `${sources.file}: must hold a JSON object`);
    }
    for (const [k, v] of Object.entries(parsed)) {
      merged[k] = v;
      origin[k] = `config file ${sources.file}`;
    }
  }
  for (const [envKey, field] of Object.entries(ENV_KEYS)) {
    const v = sources.env?.[envKey];
    if (v !== undefined && v !== '') {
      merged[field] = v;
      origin[field] = `environment ${envKey}`;
    }
  }
  for (const [field, v] of Object.entries(sources.flags ?? {})) {
    if (v !== undefined) {
      merged[field] = v;
      origin[field] = `flag --${field === 'dataDir' ? 'data' : field}`;
    }
  }

  const result = ServerConfigSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const field = issue.path.length ? issue.path.join('.') : (issue as { keys?: string[] }).keys?.join(', ') ?? '(root)';
      const from = origin[String(issue.path[0])] ?? (issue.code === 'unrecognized_keys' ? `config file ${sources.file}` : 'default');
      problems.push(`${field}: ${issue.message} (from ${from})`);
    }
  }
  // Fields that only make sense together (checked whatever else is wrong, so every field is named).
  const store = merged.store ?? 'sqlite';
  if (store === 'postgres' && !merged.databaseUrl) problems.push(`databaseUrl: is required when store is postgres (store from ${origin.store})`);
  if (store === 'sqlite' && merged.databaseUrl) problems.push(`store: is sqlite but databaseUrl is set (from ${origin.databaseUrl}): set store to postgres, or drop databaseUrl`);
  if (problems.length || !result.success) throw new EdictError('EDICT_ERR_CONFIG', problems.join('; '));
  const cfg = {
    ...result.data,
    dataDir: path.resolve(result.data.dataDir),
    signingKeyFile: path.resolve(result.data.signingKeyFile ?? path.join(result.data.dataDir, 'signing-key.pem')),
  };
  return Object.freeze(cfg);
}
