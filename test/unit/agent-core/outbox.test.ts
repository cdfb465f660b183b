// The durable outbox on a real folder: order, survival across instances (a restart), ack removal,
// splitting into protocol-sized batches, and a corrupt batch file moved aside without blocking.
import { afterAll, describe, expect, test } from '@jest/globals';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_EVENTS_PER_REPORT } from '../../../shared/src/constants.js';
import { Outbox } from '../../../agent/src/state/outbox.js';
import { report } from '../../helpers/raw-agent.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';

afterAll(cleanupTempDirs);

describe('Outbox', () => {
  test('batches come back oldest first, survive a new instance, and leave on ack', () => {
    const dir = tempDir();
    const a = new Outbox(dir);
    const e1 = report(2).events;
    const e2 = report(1).events;
    a.enqueue(e1);
    a.enqueue(e2);
    const b = new Outbox(dir); // as after an agent restart
    const first = b.peek()!;
    expect(first.events).toEqual(e1);
    expect(b.pendingEvents()).toBe(3);
    expect(b.remove(first.batchId)).toBe(true);
    expect(b.remove(first.batchId)).toBe(false); // a second ack for the same batch is harmless
    expect(b.peek()!.events).toEqual(e2);
  });

  test('more events than one report may carry are split into several batches', () => {
    const o = new Outbox(tempDir());
    o.enqueue(report(MAX_EVENTS_PER_REPORT + 7).events);
    const all = o.all();
    expect(all.map((b) => b.events.length)).toEqual([MAX_EVENTS_PER_REPORT, 7]);
  });

  test('a corrupt batch file is quarantined and the next valid batch is served', () => {
    const dir = tempDir();
    const o = new Outbox(dir);
    writeFileSync(path.join(dir, '000000000000001-000000-00000000-0000-4000-8000-000000000000.json'), '{"batchId": "trunc');
    const good = report(1).events;
    o.enqueue(good);
    expect(o.peek()!.events).toEqual(good);
    expect(readdirSync(path.join(dir, 'corrupt')).length).toBe(1);
    expect(o.all()).toHaveLength(1);
  });

  test('temp files from an interrupted write are not served', () => {
    const dir = tempDir();
    const o = new Outbox(dir);
    writeFileSync(path.join(dir, '.000000000000001-000000-x.json.123.tmp'), '{');
    expect(o.peek()).toBeUndefined();
  });
});
