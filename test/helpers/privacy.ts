// Holds the agent to docs/privacy.md: `documentedFields()` reads the field paths listed in the
// doc's tables (e.g. `report.events[].detection.evidence.path`), and `undocumentedFields(message)`
// walks one message the agent sent and returns every field path the doc does not list. Integration
// tests run it over every message an agent sent; a non-empty answer is a privacy bug or a doc gap.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';

export const PRIVACY_DOC = path.join(ROOT, 'docs', 'privacy.md');
/** The doc section whose tables are the contract; tables elsewhere on the page are not fields. */
const FIELDS_SECTION = '## Every field the agent can send';

/** Field paths from the first column of every table in the fields section of privacy.md. */
export function documentedFields(markdown: string = readFileSync(PRIVACY_DOC, 'utf8')): Set<string> {
  const start = markdown.indexOf(FIELDS_SECTION);
  if (start < 0) throw new Error(`privacy doc has no "${FIELDS_SECTION}" section`);
  const rest = markdown.slice(start + FIELDS_SECTION.length);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  const out = new Set<string>();
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([A-Za-z][\w-]*(?:\[\])*(?:\.[A-Za-z][\w-]*(?:\[\])*)*)`\s*\|/.exec(line);
    if (m) out.add(m[1]!);
  }
  if (out.size === 0) throw new Error('privacy doc lists no fields: the table format changed?');
  return out;
}

/** Every field path of `message` (`<type>.<key>…`, `[]` for list elements), in walk order. */
export function fieldPaths(message: unknown): string[] {
  if (!message || typeof message !== 'object' || Array.isArray(message) || typeof (message as { type?: unknown }).type !== 'string') {
    return ['(not a message: no string `type`)'];
  }
  const out: string[] = [];
  const walk = (v: unknown, p: string) => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, `${p}[]`);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const q = `${p}.${k}`;
        out.push(q);
        walk(x, q);
      }
    }
  };
  walk(message, (message as { type: string }).type);
  return out;
}

/** Field paths in `message` that docs/privacy.md does not list, each once, in walk order. */
export function undocumentedFields(message: unknown, documented: Set<string> = cachedDocumented()): string[] {
  return [...new Set(fieldPaths(message).filter((p) => !documented.has(p)))];
}

let cache: Set<string> | undefined;
function cachedDocumented(): Set<string> {
  return (cache ??= documentedFields());
}
