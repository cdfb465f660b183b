// Linux notices end to end on a real D-Bus: a session dbus-daemon running as a separate OS user
// (edict-test-user), a notification server on that bus owning org.freedesktop.Notifications (it
// speaks the wire protocol itself and asks the bus for each caller's uid), and the agent's Linux
// notifier running as root delivering to that user. The captured Notify calls must carry the
// rendered notice, in English and in Chinese, and must come from the user's uid, not root's.
// Needs root (to create the user and act as it) and Debian's dbus + libglib2.0-bin.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chooseLocale, userLocaleEnv } from '../../agent/src/notices/locale.js';
import { renderNotice, type NoticeInput } from '../../agent/src/notices/render.js';
import { findSessionBus, linuxNotifier } from '../../agent/src/notifier/linux.js';
import { pickNotifier } from '../../agent/src/notifier/index.js';
import {
  ensureTestUser,
  isRoot,
  requireDbusTools,
  startNotificationServer,
  startSessionBus,
  startUserSessionProcess,
  userOwnedDir,
  type NotificationServer,
  type SessionBus,
  type TestUser,
} from '../helpers/dbus.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const notice: NoticeInput = {
  kind: 'stage-change',
  toolId: 'claude-code',
  toolName: 'Claude Code',
  stage: 'notice',
  action: 'warn',
  effectiveInstant: '2026-07-09T16:00:00.000Z',
  reason: { en: 'It inspects the local environment & marks prompts <covertly>.', 'zh-CN': '该工具会检查本地环境并暗中标记提示词。' },
  replacements: [
    { toolId: 'qoder', name: 'Qoder', installUrl: 'https://qoder.com/download?src=it&lang=zh' },
    { toolId: 'tongyi-lingma', name: 'Tongyi Lingma', note: { en: 'IDE extension', 'zh-CN': 'IDE 插件' } },
  ],
};
const now = new Date('2026-07-06T16:00:00.000Z');
const unescapeMarkup = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const suite = isRoot() ? describe : describe.skip;
if (!isRoot()) console.warn('notifications-dbus: skipped — needs root to create edict-test-user and to deliver as that user');

suite('freedesktop notices on a real session bus, delivered by root as another user', () => {
  let u: TestUser;
  let runtimeRoot: string;
  let bus: SessionBus;
  let server: NotificationServer & { exited: Promise<void> };
  let session: ChildProcess;

  beforeAll(async () => {
    requireDbusTools();
    u = ensureTestUser();
    const work = tempDir('edict-dbus-');
    chmodSync(work, 0o711);
    runtimeRoot = path.join(work, 'run-user');
    mkdirSync(runtimeRoot, { mode: 0o755 });
    chmodSync(runtimeRoot, 0o755);
    // Like logind's /run/user/<uid>: owned by the user, the bus socket inside.
    const userRuntime = userOwnedDir(runtimeRoot, String(u.uid), u);
    bus = await startSessionBus(u, path.join(userRuntime, 'bus'), work);
    server = await startNotificationServer(u, bus.address);
    // The user's "desktop session": Chinese locale, and the bus address in its environment.
    session = startUserSessionProcess(u, { LANG: 'zh_CN.UTF-8', DBUS_SESSION_BUS_ADDRESS: bus.address });
  });

  afterAll(async () => {
    session?.kill('SIGKILL');
    server?.stop();
    bus?.stop();
    cleanupTempDirs();
  });

  test('the user shows up as logged in (runtime dir with a bus socket)', async () => {
    const users = await linuxNotifier({ runtimeRoot, useLoginctl: false }).loggedInUsers();
    expect(users).toContainEqual({ user: u.user, uid: u.uid, gid: u.gid, home: u.home });
  });

  test('English notice: captured title and body are the rendered text, sent from the user uid', async () => {
    const rendered = renderNotice(notice, 'en', now, 'Asia/Shanghai');
    const result = await linuxNotifier({ runtimeRoot, useLoginctl: false }).deliver({ user: u.user, home: u.home }, { ...rendered, urgency: 'normal' });
    expect(result).toEqual({ delivered: true, channel: 'freedesktop-dbus', detail: expect.stringMatching(/^id=\d+$/) });
    const call = await waitFor(() => server.calls.find((c) => c.summary.startsWith('Company policy')), 'the English Notify call');
    expect(call.appName).toBe('Edict');
    expect(call.summary).toBe('Company policy: Claude Code will not be allowed from Fri, July 10, 2026 at 00:00 GMT+8');
    // The server announced body-markup, so the body arrives escaped and reads back exactly.
    expect(call.body).toContain('&amp; marks prompts &lt;covertly&gt;.');
    expect(unescapeMarkup(call.body)).toBe(rendered.body);
    expect(call.body).toContain('(in 3 days)');
    expect(call.body).toContain('Please confirm you have read this notice: edict-agent ack claude-code');
    expect(call.body).toContain('edict-agent request-exception claude-code --reason "…"');
    expect(call.body).toContain('• Qoder: get it from https://qoder.com/download?src=it&amp;lang=zh');
    expect(call.hints).toEqual({ urgency: 1 });
    expect(call.actions).toEqual([]); // no buttons unless someone listens for ActionInvoked
    expect(call.timeout).toBe(-1);
    expect(server.senderUids[server.calls.indexOf(call)]).toBe(u.uid);
  });

  test('Chinese notice: language from the user session locale, bus from the session environment', async () => {
    // Nothing under this runtime root: the notifier must find the bus in the user's processes.
    const emptyRuntime = tempDir('edict-no-runtime-');
    expect(findSessionBus(u.uid, { runtimeRoot: emptyRuntime })).toBe(bus.address);
    const locale = chooseLocale('en', userLocaleEnv({ uid: u.uid, home: u.home }));
    expect(locale).toBe('zh-CN');
    const rendered = renderNotice({ ...notice, kind: 'stop-warning', stage: 'hard', action: 'stop', stopInSeconds: 300 }, locale, new Date('2026-07-12T16:00:00Z'), 'Asia/Shanghai');
    const notifier = pickNotifier('linux', { linux: { runtimeRoot: emptyRuntime, useLoginctl: false, sendActions: true } });
    const result = await notifier.deliver({ user: u.user, uid: u.uid, home: u.home }, { title: rendered.title, body: rendered.body, actions: [{ id: 'ack', label: '我已知悉' }], urgency: 'critical' });
    expect(result.delivered).toBe(true);
    const call = await waitFor(() => server.calls.find((c) => c.summary.startsWith('公司政策')), 'the Chinese Notify call');
    expect(call.summary).toBe('公司政策：Claude Code 即将关闭（5分钟后）');
    expect(unescapeMarkup(call.body)).toBe(rendered.body);
    expect(call.body.split('\n')[0]).toBe('请及时保存您的工作：本机正在运行的 Claude Code 即将关闭（5分钟后）。您磁盘上的任何文件都不会被删除。');
    expect(call.body).toContain('原因：该工具会检查本地环境并暗中标记提示词。');
    expect(call.body).toContain('  IDE 插件');
    expect(call.actions).toEqual(['ack', '我已知悉']);
    expect(call.hints).toEqual({ urgency: 2 });
    expect(call.timeout).toBe(0);
    expect(call.icon).toBe('dialog-warning');
    expect(server.senderUids[server.calls.indexOf(call)]).toBe(u.uid);
  });

  test('quotes, backslashes, tabs and newlines survive the trip unchanged', async () => {
    const tricky = { title: 'He said "stop" \\ now', body: "line 1\n\tline 2 with 'single' and \"double\" quotes\n$(echo no) `no`", actions: [] };
    const r = await linuxNotifier({ runtimeRoot, useLoginctl: false }).deliver({ user: u.user, home: u.home }, tricky);
    expect(r.delivered).toBe(true);
    const call = await waitFor(() => server.calls.find((c) => c.summary === tricky.title), 'the tricky Notify call');
    expect(call.body).toBe(tricky.body);
  });

  test('not delivered, with a reason: a user without a session bus; a bus without a notification server', async () => {
    const none = await linuxNotifier({ runtimeRoot: tempDir(), procRoot: tempDir(), useLoginctl: false }).deliver({ user: u.user, home: u.home }, { title: 't', body: 'b', actions: [] });
    expect(none).toEqual({ delivered: false, channel: 'freedesktop-dbus', detail: `no session bus for ${u.user} (not logged in to a desktop)` });
    const unknown = await linuxNotifier({ runtimeRoot }).deliver({ user: 'no-such-user-edict', home: '/nonexistent' }, { title: 't', body: 'b', actions: [] });
    expect(unknown).toMatchObject({ delivered: false, detail: 'unknown user no-such-user-edict' });

    server.stop();
    await server.exited;
    const noServer = await linuxNotifier({ runtimeRoot, useLoginctl: false }).deliver({ user: u.user, home: u.home }, { title: 't', body: 'b', actions: [] });
    expect(noServer.delivered).toBe(false);
    expect(noServer.detail).toMatch(/^no notification server on the session bus: .*ServiceUnknown/);
  });
});
