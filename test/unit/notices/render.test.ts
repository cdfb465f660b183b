// Notices as an employee reads them, in English and Simplified Chinese, on real strings: the tool,
// "company policy", the date in the user's own zone with a countdown (or "since" once enforced),
// the reason, replacements with how to get them, and the ack / exception commands.
import { describe, expect, test } from '@jest/globals';
import { formatInstant, relativeTime, renderNotice, type NoticeInput } from '../../../agent/src/notices/render.js';

// SPEC's case: Claude Code banned from 2026-07-10 00:00 Asia/Shanghai = 2026-07-09T16:00Z.
const base: NoticeInput = {
  kind: 'stage-change',
  toolId: 'claude-code',
  toolName: 'Claude Code',
  stage: 'notice',
  action: 'notify',
  effectiveInstant: '2026-07-09T16:00:00.000Z',
  reason: {
    en: 'The tool inspects the local environment and marks prompts covertly.',
    'zh-CN': '该工具会检查本地环境并暗中标记提示词。',
  },
  replacements: [
    { toolId: 'qoder', name: 'Qoder', installUrl: 'https://qoder.com/download', note: { en: 'IDE and CLI; sign in with your company account.', 'zh-CN': '提供 IDE 和命令行版本，请使用公司账号登录。' } },
    { toolId: 'tongyi-lingma', name: 'Tongyi Lingma' },
  ],
};
const threeDaysBefore = new Date('2026-07-06T16:00:00.000Z');

describe('renderNotice, English', () => {
  test('stage change: date in the user zone, countdown, reason, replacements, commands', () => {
    const n = renderNotice(base, 'en', threeDaysBefore, 'Asia/Shanghai');
    expect(n.title).toBe('Company policy: Claude Code will not be allowed from Fri, July 10, 2026 at 00:00 GMT+8');
    expect(n.body.split('\n')).toEqual([
      'Under company policy, Claude Code may no longer be used on company computers from Fri, July 10, 2026 at 00:00 GMT+8 (in 3 days).',
      'Why: The tool inspects the local environment and marks prompts covertly.',
      'Approved replacements:',
      '• Qoder: get it from https://qoder.com/download',
      '  IDE and CLI; sign in with your company account.',
      '• Tongyi Lingma: ask your IT department',
      'To confirm you have read this notice and stop reminders: edict-agent ack claude-code',
      'Need an exception? edict-agent request-exception claude-code --reason "…"',
    ]);
    expect(n.actions).toEqual([{ id: 'ack', label: 'I have read this' }]);
  });

  test('the same instant reads as the user local time elsewhere (Berlin is 18:00 the day before)', () => {
    const n = renderNotice(base, 'en', threeDaysBefore, 'Europe/Berlin');
    expect(n.title).toContain('Thu, July 9, 2026 at 18:00 GMT+2');
  });

  test('reminder and warn action: acknowledgement asked for', () => {
    const n = renderNotice({ ...base, kind: 'reminder', action: 'warn' }, 'en', new Date('2026-07-09T11:00:00Z'), 'Asia/Shanghai');
    expect(n.title).toMatch(/^Reminder of company policy: Claude Code/);
    expect(n.body).toContain('(in 5 hours)');
    expect(n.body).toContain('Please confirm you have read this notice: edict-agent ack claude-code');
  });

  test('once enforced: "since" the date, with how long ago', () => {
    const n = renderNotice({ ...base, stage: 'enforce', kind: 'reminder' }, 'en', new Date('2026-07-12T16:00:00Z'), 'Asia/Shanghai');
    expect(n.title).toBe('Company policy: Claude Code is not allowed on company computers');
    expect(n.body).toContain('since Fri, July 10, 2026 at 00:00 GMT+8 (3 days ago)');
  });

  test('stop warning: minutes left, nothing deleted, no ack action', () => {
    const n = renderNotice({ ...base, kind: 'stop-warning', stage: 'hard', action: 'stop', stopInSeconds: 300 }, 'en', new Date('2026-07-12T16:00:00Z'), 'UTC');
    expect(n.title).toBe('Company policy: Claude Code will be closed in 5 minutes');
    expect(n.body.split('\n')[0]).toBe('Please save your work: running copies of Claude Code on this computer will be closed in 5 minutes. Nothing on your disk will be deleted.');
    expect(n.actions).toEqual([]);
  });

  test('exception decisions', () => {
    const granted = renderNotice({ ...base, kind: 'exception-decision', decision: { granted: true, expiresAt: '2026-08-01T04:00:00Z', reason: 'Migration project' } }, 'en', threeDaysBefore, 'Asia/Shanghai');
    expect(granted.title).toBe('Exception granted for Claude Code');
    expect(granted.body).toBe('Your request was approved: you may keep using Claude Code until Sat, August 1, 2026 at 12:00 GMT+8.\nNote from IT: Migration project');
    const denied = renderNotice({ ...base, kind: 'exception-decision', decision: { granted: false } }, 'en', threeDaysBefore, 'Asia/Shanghai');
    expect(denied.title).toBe('Exception request for Claude Code declined');
    expect(denied.body.split('\n')[0]).toBe('Your request for an exception was declined.');
    expect(denied.body).toContain('(in 3 days)');
    expect(() => renderNotice({ ...base, kind: 'exception-decision' }, 'en', threeDaysBefore, 'UTC')).toThrow(/decision/);
  });

  test('an unknown user time zone falls back to UTC instead of failing', () => {
    const n = renderNotice(base, 'en', threeDaysBefore, 'Mars/Olympus');
    expect(n.title).toContain('Thu, July 9, 2026 at 16:00 UTC');
  });
});

describe('renderNotice, Simplified Chinese', () => {
  test('stage change in Chinese with Chinese reason and notes', () => {
    const n = renderNotice(base, 'zh-CN', threeDaysBefore, 'Asia/Shanghai');
    expect(n.title).toBe('公司政策：自 2026年7月10日周五 GMT+8 00:00 起禁止使用 Claude Code');
    expect(n.body.split('\n')).toEqual([
      '根据公司政策，自 2026年7月10日周五 GMT+8 00:00（3天后）起，公司电脑上将不再允许使用 Claude Code。',
      '原因：该工具会检查本地环境并暗中标记提示词。',
      '请改用以下经公司批准的工具：',
      '• Qoder：获取地址 https://qoder.com/download',
      '  提供 IDE 和命令行版本，请使用公司账号登录。',
      '• Tongyi Lingma：请联系 IT 部门获取',
      '如已知悉，可运行以下命令确认并停止提醒：edict-agent ack claude-code',
      '如需申请例外：edict-agent request-exception claude-code --reason "…"',
    ]);
    expect(n.actions).toEqual([{ id: 'ack', label: '我已知悉' }]);
  });

  test('a reason without a Chinese text falls back to English', () => {
    const n = renderNotice({ ...base, reason: { en: 'Licensing.' } }, 'zh-CN', threeDaysBefore, 'Asia/Shanghai');
    expect(n.body).toContain('原因：Licensing.');
  });

  test('enforced and stop warning', () => {
    const enforced = renderNotice({ ...base, stage: 'enforce' }, 'zh-CN', new Date('2026-07-12T16:00:00Z'), 'Asia/Shanghai');
    expect(enforced.title).toBe('公司政策：公司电脑已禁止使用 Claude Code');
    expect(enforced.body).toContain('（3天前）起，公司电脑上已禁止使用 Claude Code。');
    const stop = renderNotice({ ...base, kind: 'stop-warning', stage: 'hard', action: 'stop', stopInSeconds: 90 }, 'zh-CN', new Date('2026-07-12T16:00:00Z'), 'Asia/Shanghai');
    expect(stop.title).toBe('公司政策：Claude Code 即将关闭（2分钟后）');
    expect(stop.body).toContain('您磁盘上的任何文件都不会被删除');
  });

  test('exception granted', () => {
    const n = renderNotice({ ...base, kind: 'exception-decision', decision: { granted: true } }, 'zh-CN', threeDaysBefore, 'Asia/Shanghai');
    expect(n.title).toBe('Claude Code 的例外申请已获批准');
    expect(n.body).toBe('您的申请已获批准：在例外被撤销之前，您可以继续使用 Claude Code。');
  });
});

describe('countdown and dates', () => {
  test('units and rounding', () => {
    const h = 3_600_000;
    expect(relativeTime('en', 3 * 24 * h)).toBe('in 3 days');
    expect(relativeTime('en', 30 * h)).toBe('in 30 hours');
    expect(relativeTime('en', 61_000)).toBe('in 2 minutes');
    expect(relativeTime('en', 59_500)).toBe('in 60 seconds');
    expect(relativeTime('en', 200)).toBe('now');
    expect(relativeTime('en', -2 * 24 * h)).toBe('2 days ago');
    expect(relativeTime('zh-CN', 3 * 24 * h)).toBe('3天后');
    expect(relativeTime('zh-CN', -5 * h)).toBe('5小时前');
  });

  test('dates in the requested zone', () => {
    expect(formatInstant(Date.parse('2026-07-09T16:00:00Z'), 'en', 'America/New_York')).toBe('Thu, July 9, 2026 at 12:00 EDT');
  });
});
