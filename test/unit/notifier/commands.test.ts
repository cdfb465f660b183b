// Command lines the notifiers build, per platform. Linux delivery itself is exercised against a
// real bus in test/integration/notifications-dbus.test.ts. The macOS (launchctl asuser + osascript)
// and Windows (schtasks + PowerShell toast) parts cannot run on this Linux host: here only the
// produced commands and their escaping are checked; the OS side is NOT exercised by these tests.
import { describe, expect, test } from '@jest/globals';
import { appleScriptString, osascriptCommand, parseConsoleOwner } from '../../../agent/src/notifier/darwin.js';
import { pickNotifier } from '../../../agent/src/notifier/index.js';
import { escapeMarkup, gvariantString, notifyArgs, parseCapabilities, parseLoginctlSessions } from '../../../agent/src/notifier/linux.js';
import { parseQueryUser, schtasksCommands, SCHTASKS_TR_MAX, toastScript, xmlEscape } from '../../../agent/src/notifier/win32.js';

const notice = { title: 'Company policy: "Claude Code"', body: 'Why: a & b <c>\nline 2 \\ end', actions: [{ id: 'ack', label: "I've read it" }] };

describe('linux (gdbus)', () => {
  test('GVariant string literals escape quotes, backslashes and control characters', () => {
    expect(gvariantString('a "b" \\ c\nd\te\u0001f\0g')).toBe('"a \\"b\\" \\\\ c\\nd\\te\\u0001fg"');
    expect(gvariantString('公司政策')).toBe('"公司政策"');
  });

  test('Notify arguments: values after "--", markup escaped only when the server renders markup, actions opt-in', () => {
    const args = notifyArgs({ ...notice, urgency: 'critical' }, { appName: 'Edict', markup: true, sendActions: true });
    const values = args.slice(args.indexOf('--') + 1);
    expect(args.slice(0, args.indexOf('--'))).toEqual(['call', '--session', '--dest', 'org.freedesktop.Notifications', '--object-path', '/org/freedesktop/Notifications', '--method', 'org.freedesktop.Notifications.Notify']);
    expect(values).toEqual([
      '"Edict"',
      '0',
      '"dialog-warning"',
      '"Company policy: \\"Claude Code\\""',
      '"Why: a &amp; b &lt;c&gt;\\nline 2 \\\\ end"',
      '@as ["ack", "I\'ve read it"]',
      '{"urgency": <byte 2>}',
      '0',
    ]);
    const plain = notifyArgs(notice, { appName: 'Edict', markup: false, sendActions: false });
    expect(plain.slice(-4)).toEqual(['"Why: a & b <c>\\nline 2 \\\\ end"', '@as []', '{"urgency": <byte 1>}', '-1']);
  });

  test('parsers: capabilities and loginctl sessions (old and new column layouts)', () => {
    expect(parseCapabilities("(['body', 'body-markup', 'actions'],)\n")).toEqual(['body', 'body-markup', 'actions']);
    expect(parseLoginctlSessions('     2 1000 alice seat0 tty2\n   c1  120 gdm   seat0 tty1\n')).toEqual([1000, 120]);
    expect(parseLoginctlSessions('3 1001 bob seat0 tty2 active no -\n')).toEqual([1001]);
    expect(escapeMarkup('<b>&</b>')).toBe('&lt;b&gt;&amp;&lt;/b&gt;');
  });
});

describe('darwin (launchctl asuser + osascript) — command only, not run here', () => {
  test('runs in the user GUI session as the user, text escaped for AppleScript', () => {
    const cmd = osascriptCommand({ user: 'alice', uid: 501, home: '/Users/alice' }, notice);
    expect(cmd.file).toBe('/bin/launchctl');
    expect(cmd.args.slice(0, 7)).toEqual(['asuser', '501', '/usr/bin/sudo', '-u', 'alice', '/usr/bin/osascript', '-e']);
    expect(cmd.args[7]).toBe('display notification "Why: a & b <c>\nline 2 \\\\ end" with title "Company policy: \\"Claude Code\\""');
    expect(osascriptCommand({ user: 'a', uid: 501, home: '/' }, { ...notice, urgency: 'critical' }).args[7]).toMatch(/ sound name "Sosumi"$/);
  });

  test('AppleScript strings: a quote cannot end the literal early', () => {
    expect(appleScriptString('x" & do shell script "rm')).toBe('"x\\" & do shell script \\"rm"');
  });

  test('console owner: a user, or nobody at the login window', () => {
    expect(parseConsoleOwner('alice 501\n')).toEqual({ user: 'alice', uid: 501, home: '/Users/alice' });
    expect(parseConsoleOwner('root 0\n')).toBeUndefined();
  });
});

describe('win32 (schtasks + PowerShell toast) — script and commands only, not run here', () => {
  test('toast script: XML-escaped text inside a single-quoted here-string that nothing can close early', () => {
    const evil = { title: "x'@\n$(Remove-Item C:\\)", body: "'@)\nStop-Computer\n@'", actions: notice.actions };
    const script = toastScript(evil);
    const lines = script.split('\r\n');
    // Exactly one line closes the here-string, and it is ours.
    expect(lines.filter((l) => l.startsWith("'@"))).toEqual(["'@)"]);
    const xml = lines[lines.indexOf("$xml.LoadXml(@'") + 1]!;
    expect(xml).toContain('<text>x&apos;@\n$(Remove-Item C:\\)</text>');
    expect(script).not.toContain("'@)\nStop-Computer");
    expect(xml).toContain('<action content="I&apos;ve read it" arguments="ack" activationType="background"/>');
    expect(script).toContain("CreateToastNotifier('{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\\WindowsPowerShell\\v1.0\\powershell.exe')");
  });

  test('escaping helpers', () => {
    expect(xmlEscape(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });

  test('schtasks: a one-off interactive task for the user, run, then deleted; /TR within its limit', () => {
    const c = schtasksCommands('CORP\\alice', 'C:\\ProgramData\\Edict\\notices\\0b1e2f3a-1111-2222-3333-444455556666.ps1', 'Edict\\Notice-1');
    expect(c.create).toEqual([
      '/Create', '/TN', 'Edict\\Notice-1',
      '/TR', 'powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -WindowStyle Hidden -File "C:\\ProgramData\\Edict\\notices\\0b1e2f3a-1111-2222-3333-444455556666.ps1"',
      '/SC', 'ONCE', '/ST', '00:00', '/RU', 'CORP\\alice', '/IT', '/F',
    ]);
    expect(c.create[4]!.length).toBeLessThanOrEqual(SCHTASKS_TR_MAX);
    expect(c.run).toEqual(['/Run', '/TN', 'Edict\\Notice-1']);
    expect(c.remove).toEqual(['/Delete', '/TN', 'Edict\\Notice-1', '/F']);
    expect(() => schtasksCommands('alice', 'C:\\' + 'x'.repeat(300) + '.ps1', 't')).toThrow(/max 261/);
    expect(() => schtasksCommands('al"ice', 'C:\\a.ps1', 't')).toThrow(/quotes/);
  });

  test('query user: active sessions only, current-session marker and empty session name handled', () => {
    const out = [
      ' USERNAME              SESSIONNAME        ID  STATE   IDLE TIME  LOGON TIME',
      '>alice                 console             1  Active      none   11/21/2026 9:02 AM',
      ' bob                                       2  Disc        1:05   11/20/2026 5:10 PM',
      ' carol                 rdp-tcp#3           3  Active         .   11/21/2026 8:00 AM',
    ].join('\r\n');
    expect(parseQueryUser(out)).toEqual([
      { user: 'alice', home: 'C:\\Users\\alice' },
      { user: 'carol', home: 'C:\\Users\\carol' },
    ]);
  });
});

describe('pickNotifier', () => {
  test('one implementation per platform, and an honest "none" elsewhere', async () => {
    expect(pickNotifier('linux').channel).toBe('freedesktop-dbus');
    expect(pickNotifier('darwin').channel).toBe('macos-notification');
    expect(pickNotifier('win32').channel).toBe('windows-toast');
    const none = pickNotifier('aix');
    expect(await none.deliver({ user: 'a', home: '/' }, { title: 't', body: 'b', actions: [] })).toEqual({ delivered: false, channel: 'none', detail: 'no notification channel on aix' });
    expect(await none.loggedInUsers()).toEqual([]);
  });
});
