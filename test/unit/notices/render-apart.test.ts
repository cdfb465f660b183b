// Notices are rendered in a helper process (notices/render-helper.ts) so the agent never loads
// ICU's locale and time-zone data: the helper's notice is the one the agent would render itself,
// the agent process makes no Intl date formatting of its own for it, and a helper that cannot run
// falls back to rendering in-process (a notice is never lost). Runs the built helper (dist/).
import { afterEach, expect, jest, test } from '@jest/globals';
import path from 'node:path';
import { renderApart } from '../../../agent/src/notices/render-apart.js';
import { renderNotice, type NoticeInput } from '../../../agent/src/notices/render.js';
import { ROOT } from '../../helpers/paths.js';

const HELPER = path.join(ROOT, 'dist/agent/src/notices/render-helper.js');
const input: NoticeInput = {
  kind: 'stage-change',
  toolId: 'claude-code',
  toolName: 'Claude Code',
  stage: 'notice',
  action: 'notify',
  effectiveInstant: '2026-07-09T16:00:00.000Z',
  reason: { en: 'Company policy.', 'zh-CN': '公司政策。' },
  replacements: [{ toolId: 'qoder', name: 'Qoder', installUrl: 'https://qoder.com/download' }],
};
const now = new Date('2026-07-06T16:00:00Z');

afterEach(() => {
  jest.restoreAllMocks();
});

test.each(['en', 'zh-CN'] as const)('the helper renders what the agent would (%s), without Intl date formatting in the agent', async (locale) => {
  const spy = jest.spyOn(Intl, 'DateTimeFormat');
  const apart = await renderApart(input, locale, now, 'Asia/Shanghai', { helper: HELPER });
  expect(spy).not.toHaveBeenCalled();
  expect(apart).toEqual(renderNotice(input, locale, now, 'Asia/Shanghai'));
  expect(apart.body).toContain('Qoder');
});

test('a helper that cannot run: the notice is rendered in-process and the failure logged', async () => {
  const warned: unknown[] = [];
  const log = { warn: (o: unknown) => warned.push(o) } as never;
  const r = await renderApart(input, 'en', now, 'UTC', { helper: path.join(ROOT, 'no-such-helper.js'), log });
  expect(r).toEqual(renderNotice(input, 'en', now, 'UTC'));
  expect(warned).toHaveLength(1);
});
