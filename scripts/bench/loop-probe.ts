// Preloaded into an edict-server process by the server benchmark (`node --import loop-probe.js`):
// measures the event loop's delay with perf_hooks.monitorEventLoopDelay and answers the bench over
// the IPC channel ({probe:'reset'} / {probe:'read'}). It works on any server build, so the same
// figure can be taken on the code before and after a change, in one run.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();

process.on('message', (m: { probe?: string; id?: number }) => {
  if (!m || typeof m.probe !== 'string') return;
  if (m.probe === 'reset') h.reset();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  process.send!({
    probeReply: m.id,
    maxMs: ms(h.max),
    p99Ms: ms(h.percentile(99)),
    meanMs: ms(h.mean),
    rssMb: Math.round(process.memoryUsage().rss / 1048576),
  });
});
