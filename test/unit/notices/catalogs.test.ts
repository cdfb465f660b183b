// The message catalogs stay in step: same keys, same placeholders per key, no empty or
// untranslated text, and no "malware"/"threat" wording (a ban is company policy, not a security alert).
import { describe, expect, test } from '@jest/globals';
import { catalogs, LOCALES, message, placeholders } from '../../../agent/src/notices/catalog.js';
import { MESSAGE_KEYS } from '../../../agent/src/notices/messages/types.js';

describe('notice catalogs', () => {
  test('every catalog has exactly the declared keys', () => {
    for (const locale of LOCALES) {
      expect(Object.keys(catalogs[locale]).sort()).toEqual([...MESSAGE_KEYS].sort());
    }
  });

  test('every key has the same placeholders in every language', () => {
    const mismatches: string[] = [];
    for (const key of MESSAGE_KEYS) {
      const want = placeholders(catalogs.en[key]).sort().join(',');
      for (const locale of LOCALES) {
        const got = placeholders(catalogs[locale][key]).sort().join(',');
        if (got !== want) mismatches.push(`${locale}/${key}: {${got}} vs en {${want}}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  test('Chinese texts are translated (contain CJK) except command-only lines', () => {
    const untranslated = MESSAGE_KEYS.filter((k) => {
      const zh = catalogs['zh-CN'][k];
      return zh.trim() === '' || (!/[\u4e00-\u9fff]/.test(zh) && k !== 'body.replacement.note');
    });
    expect(untranslated).toEqual([]);
  });

  test('no alarming wording: policy, never malware or threat', () => {
    for (const locale of LOCALES) {
      for (const text of Object.values(catalogs[locale])) expect(text).not.toMatch(/malware|threat|virus|恶意|威胁|病毒/i);
    }
  });

  test('the placeholder checker sees a difference', () => {
    expect(placeholders('a {tool} b {date}')).toEqual(['tool', 'date']);
    expect(() => message('en', 'title.notice', { tool: 'X' })).toThrow(/needs \{date\}/);
  });
});
