// Server config: file < environment < flags; a bad config names every bad field and its source,
// and the real `edict-server` exits 78 with one message.
import { afterAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { EdictError } from '../../../shared/src/errors.js';
import { loadServerConfig } from '../../../server/src/config.js';
import { SERVER_CLI } from '../../helpers/paths.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';

afterAll(cleanupTempDirs);

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EdictError);
    expect((err as EdictError).code).toBe('EDICT_ERR_CONFIG');
    return (err as EdictError).message;
  }
  throw new Error('expected a config error');
}

describe('loadServerConfig', () => {
  test('defaults, then file, then environment, then flags', () => {
    const dir = tempDir();
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ port: 1111, host: '127.0.0.2', logLevel: 'debug' }));
    const cfg = loadServerConfig({ file, env: { EDICT_SERVER_PORT: '2222', EDICT_SERVER_LOG_LEVEL: 'warn' }, flags: { port: '3333' } });
    expect(cfg).toMatchObject({ port: 3333, host: '127.0.0.2', logLevel: 'warn' });
    expect(path.isAbsolute(cfg.dataDir)).toBe(true);
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  test('every bad field is named, with where it came from', () => {
    const dir = tempDir();
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ port: 'eighty', logLevel: 'loud', colour: 'blue' }));
    const msg = configError(() => loadServerConfig({ file, env: { EDICT_SERVER_PUBLIC_URL: 'not a url' }, flags: {} }));
    expect(msg).toMatch(/port: .*\(from config file/);
    expect(msg).toMatch(/logLevel: .*\(from config file/);
    expect(msg).toMatch(/colour/);
    expect(msg).toMatch(/publicUrl: .*\(from environment EDICT_SERVER_PUBLIC_URL\)/);
  });

  test('a port out of range from a flag is named as the flag', () => {
    expect(configError(() => loadServerConfig({ flags: { port: '70000' } }))).toMatch(/port: .*\(from flag --port\)/);
  });

  test('store: postgres from the environment with its URL and pool size; the signing key defaults into the data folder', () => {
    const cfg = loadServerConfig({
      env: { EDICT_SERVER_STORE: 'postgres', EDICT_SERVER_DATABASE_URL: 'postgres://edict:pw@db.internal:5432/edict', EDICT_SERVER_DATABASE_POOL_SIZE: '20' },
      flags: { dataDir: '/var/lib/edict' },
    });
    expect(cfg).toMatchObject({ store: 'postgres', databaseUrl: 'postgres://edict:pw@db.internal:5432/edict', databasePoolSize: 20, signingKeyFile: '/var/lib/edict/signing-key.pem' });
    expect(loadServerConfig({ env: { EDICT_SERVER_SIGNING_KEY_FILE: '/etc/edict/key.pem' } })).toMatchObject({ store: 'sqlite', signingKeyFile: '/etc/edict/key.pem' });
  });

  test('postgres without a URL, a URL that is not postgres://, sqlite with a URL: each named, and the password never shown', () => {
    expect(configError(() => loadServerConfig({ env: { EDICT_SERVER_STORE: 'postgres' }, flags: { port: 'x' } }))).toMatch(
      /port: .*databaseUrl: is required when store is postgres \(store from environment EDICT_SERVER_STORE\)/,
    );
    const bad = configError(() => loadServerConfig({ env: { EDICT_SERVER_STORE: 'postgres', EDICT_SERVER_DATABASE_URL: 'mysql://u:s3cret@h/db', EDICT_SERVER_DATABASE_POOL_SIZE: '1' } }));
    expect(bad).toMatch(/databaseUrl: must be a postgres:\/\/ or postgresql:\/\/ URL \(from environment EDICT_SERVER_DATABASE_URL\)/);
    expect(bad).toMatch(/databasePoolSize: /);
    expect(bad).not.toContain('s3cret');
    expect(configError(() => loadServerConfig({ env: { EDICT_SERVER_DATABASE_URL: 'postgres://u:s3cret@h/db' } }))).toMatch(/store: is sqlite but databaseUrl is set/);
    expect(configError(() => loadServerConfig({ env: { EDICT_SERVER_STORE: 'mongodb' } }))).toMatch(/store: .*\(from environment EDICT_SERVER_STORE\)/);
  });

  test('a config file that is not JSON, or not an object, is refused', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a.json'), '{ port: 1 ');
    writeFileSync(path.join(dir, 'b.json'), '[1]');
    expect(configError(() => loadServerConfig({ file: path.join(dir, 'a.json') }))).toMatch(/a\.json/);
    expect(configError(() => loadServerConfig({ file: path.join(dir, 'b.json') }))).toMatch(/must hold a JSON object/);
    expect(configError(() => loadServerConfig({ file: path.join(dir, 'missing.json') }))).toMatch(/missing\.json/);
  });
});

test('edict-server with a bad config exits 78 with one message naming every bad field', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ port: -1, logLevel: 'chatty' }));
  const r = await promisify(execFile)(process.execPath, [SERVER_CLI, '--config', file, '--data', dir]).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => e,
  );
  expect(r.code).toBe(78);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^edict-server: EDICT_ERR_CONFIG: .*port: .*logLevel: /);
});
