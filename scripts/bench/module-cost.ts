// What one dependency costs in resident memory: a Node process with the agent's V8 options
// (agent/src/cli.ts) loads only that module (and, for some, does the one thing the agent would do
// with it), waits for the heap to settle and prints its VmRSS in kB. `npm run bench` runs it per
// module and subtracts the same process loading nothing. Usage: module-cost.js <case> | --list.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-opt');
setFlagsFromString('--no-sparkplug');
setFlagsFromString('--semi-space-growth-factor=1');

const CASES: Record<string, () => Promise<unknown>> = {
  'bare Node': async () => undefined,
  systeminformation: () => import('systeminformation'),
  'ps-list': () => import('ps-list'),
  'node-cron (loaded)': () => import('node-cron'),
  'node-cron (one schedule)': async () => {
    const cron = (await import('node-cron')).default;
    await cron.schedule('*/30 * * * *', () => undefined).stop();
  },
  'Intl date formatting (ICU data)': async () => new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai' }).format(new Date()),
  pino: () => import('pino'),
  zod: () => import('zod'),
  ws: () => import('ws'),
  luxon: () => import('luxon'),
  commander: () => import('commander'),
};

const name = process.argv[2];
if (name === '--list') {
  process.stdout.write(JSON.stringify(Object.keys(CASES)) + '\n');
} else {
  const run = name === undefined ? undefined : CASES[name];
  if (!run) {
    process.stderr.write(`unknown case ${name}; one of: ${Object.keys(CASES).join(', ')}\n`);
    process.exit(2);
  }
  await run();
  await new Promise((r) => setTimeout(r, 1000));
  process.stdout.write(`${/^VmRSS:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}\n`);
}
