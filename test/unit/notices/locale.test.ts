// Language choice: the user's own supported language wins, then the policy default, then English;
// readers find the locale in a session's environ, ~/.config/locale.conf or the system file.
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chooseLocale, localeOfTag, parseLocaleConf, readLocaleConf, sessionLocaleEnv, userLocaleEnv } from '../../../agent/src/notices/locale.js';
import { environOf } from '../../../agent/src/notifier/session-env.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';

afterAll(cleanupTempDirs);

describe('localeOfTag', () => {
  test.each([
    ['zh_CN.UTF-8', 'zh-CN'],
    ['zh_CN.GB18030', 'zh-CN'],
    ['zh-Hans', 'zh-CN'],
    ['zh-Hans-CN', 'zh-CN'],
    ['zh_SG', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['en_US.UTF-8', 'en'],
    ['en_GB@euro', 'en'],
    ['zh_TW.UTF-8', undefined],
    ['zh-Hant', undefined],
    ['de_DE.UTF-8', undefined],
    ['C.UTF-8', undefined],
    ['POSIX', undefined],
    [undefined, undefined],
  ])('%s → %s', (tag, want) => expect(localeOfTag(tag)).toBe(want));
});

describe('chooseLocale', () => {
  test('user language wins when supported', () => {
    expect(chooseLocale('en', { LANG: 'zh_CN.UTF-8' })).toBe('zh-CN');
    expect(chooseLocale('zh-CN', { LANG: 'en_US.UTF-8' })).toBe('en');
  });
  test('LC_ALL beats LC_MESSAGES beats LANG', () => {
    expect(chooseLocale(undefined, { LANG: 'en_US.UTF-8', LC_MESSAGES: 'zh_CN.UTF-8' })).toBe('zh-CN');
    expect(chooseLocale(undefined, { LANG: 'zh_CN.UTF-8', LC_MESSAGES: 'zh_CN.UTF-8', LC_ALL: 'en_US.UTF-8' })).toBe('en');
  });
  test('unsupported or missing user locale → policy default → English', () => {
    expect(chooseLocale('zh-CN', { LANG: 'de_DE.UTF-8' })).toBe('zh-CN');
    expect(chooseLocale('zh-CN', { LANG: 'C.UTF-8' })).toBe('zh-CN');
    expect(chooseLocale('zh-CN', undefined)).toBe('zh-CN');
    expect(chooseLocale(undefined, { LANG: 'fr_FR.UTF-8' })).toBe('en');
    expect(chooseLocale(undefined, undefined)).toBe('en');
  });
});

describe('readers', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  test('locale.conf parsing: quotes, comments, export, unrelated keys dropped', () => {
    expect(parseLocaleConf('# comment\nexport LANG="zh_CN.UTF-8"\nLC_TIME=en_GB.UTF-8\nLC_MESSAGES=\'en_US.UTF-8\'\n')).toEqual({ LANG: 'zh_CN.UTF-8', LC_MESSAGES: 'en_US.UTF-8' });
    const d = tempDir();
    expect(readLocaleConf(path.join(d, 'missing'))).toBeUndefined();
  });

  test('a running process of the user: only locale variables are read from its environ', async () => {
    const child = spawn('/bin/sleep', ['30'], { env: { LANG: 'zh_CN.UTF-8', SECRET_TOKEN: 'x' }, stdio: 'ignore' });
    children.push(child);
    await new Promise((r) => child.once('spawn', r));
    expect(environOf(child.pid!, ['LANG', 'LC_ALL'])).toEqual({ LANG: 'zh_CN.UTF-8' });
    // A fake /proc holding just this process, so the test does not depend on other processes of this uid.
    const proc = tempDir();
    mkdirSync(path.join(proc, String(child.pid)));
    writeFileSync(path.join(proc, String(child.pid), 'environ'), 'PATH=/bin\0LANG=zh_CN.UTF-8\0SECRET_TOKEN=x\0');
    const uid = process.getuid!();
    expect(sessionLocaleEnv(uid, proc)).toEqual({ LANG: 'zh_CN.UTF-8' });
  });

  test('userLocaleEnv order: session, then ~/.config/locale.conf, then system file', () => {
    const home = tempDir();
    const sys = path.join(tempDir(), 'default-locale');
    writeFileSync(sys, 'LANG=en_US.UTF-8\n');
    const emptyProc = tempDir();
    expect(userLocaleEnv({ uid: 4242, home }, { procRoot: emptyProc, systemFiles: [sys] })).toEqual({ LANG: 'en_US.UTF-8' });
    mkdirSync(path.join(home, '.config'));
    writeFileSync(path.join(home, '.config', 'locale.conf'), 'LANG=zh_SG.UTF-8\n');
    expect(userLocaleEnv({ uid: 4242, home }, { procRoot: emptyProc, systemFiles: [sys] })).toEqual({ LANG: 'zh_SG.UTF-8' });
    expect(chooseLocale('en', userLocaleEnv({ uid: 4242, home }, { procRoot: emptyProc, systemFiles: [sys] }))).toBe('zh-CN');
  });
});
