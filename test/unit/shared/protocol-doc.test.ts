// Keeps docs/protocol.md in step with the protocol schemas: every field of every message (walked
// from the zod schemas through JSON Schema) is named in the doc, and the documented protocol
// version is the code's.
import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AGENT_MESSAGES, PROTOCOL_VERSION, SERVER_MESSAGES } from '../../../shared/src/protocol/index.js';
import { ROOT } from '../../helpers/paths.js';

const doc = readFileSync(path.join(ROOT, 'docs', 'protocol.md'), 'utf8');

type JsonSchema = { properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[] };

/** Dotted field paths of a schema, not descending into the policy bundle's policies and catalog. */
function fields(schema: JsonSchema, prefix = ''): string[] {
  const out: string[] = [];
  for (const s of [schema, ...(schema.anyOf ?? [])]) {
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      const p = prefix ? `${prefix}.${k}` : k;
      out.push(p);
      if (p === 'bundle.policies' || p === 'bundle.catalog') continue;
      out.push(...fields(v, p));
      if (v.items) out.push(...fields(v.items, p));
    }
  }
  return out;
}

test.each(Object.entries({ ...AGENT_MESSAGES, ...SERVER_MESSAGES }))('every field of %s is documented', (_type, schema) => {
  const missing = fields(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema).filter((p) => {
    const leaf = p.split('.').pop()!;
    return !doc.includes('`' + leaf + '`') && !doc.includes('`' + p + '`') && !doc.includes('.' + leaf + '`');
  });
  expect(missing).toEqual([]);
});

test('the documented protocol version is the code one', () => {
  expect(doc).toContain(`**Protocol version: \`${PROTOCOL_VERSION}\`**`);
});
