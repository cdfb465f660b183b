// The notice languages and their message catalogs, plus the one template filler. Adding a
// language is adding a catalog file under messages/ and one line here.
import { en } from './messages/en.js';
import { zhCN } from './messages/zh-CN.js';
import type { MessageKey, Messages } from './messages/types.js';

export type Locale = 'en' | 'zh-CN';
export const LOCALES: readonly Locale[] = ['en', 'zh-CN'];
export const catalogs: Readonly<Record<Locale, Messages>> = { en, 'zh-CN': zhCN };

/** Placeholder names used in a template, in order of appearance (`{tool}` → `tool`). */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}

/** Fills `{name}` placeholders; a missing value is a programming error, so it throws. */
export function message(locale: Locale, key: MessageKey, vars: Record<string, string> = {}): string {
  return catalogs[locale][key].replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`notice message ${locale}/${key} needs {${name}}`);
    return v;
  });
}
