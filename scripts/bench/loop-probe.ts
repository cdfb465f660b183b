// Preloaded into an edict-server process by the server benchmark (`node --import loop-probe.js`):
// measures the event loop's delay with perf_hooks.monitorEventLoopDelay and answers the bench over
// the IPC channel ({probe:'reset'} / {probe:'read'}). It works on any server build, so the same
// figure can be taken on the code before and after a change, in one run.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
// Peak resident memory since the last reset, sampled every 50 ms (off the measured code's path).
let rssPeak = 0;
const sample = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 50);
sample.unref();

process.on('message', (m: { probe?: string; id?: number }) => {
  if (!m || typeof m.probe !== 'string') return;
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  // The figures since the last reset; a reset starts the next window.
  process.send!({
    probeReply: m.id,
    maxMs: ms(h.max),
    p99Ms: ms(h.percentile(99)),
    meanMs: ms(h.mean),
    rssMb: Math.round(process.memoryUsage.rss() / 1048576),
    rssPeakMb: Math.round(Math.max(rssPeak, process.memoryUsage.rss()) / 1048576),
  });
  if (m.probe === 'reset') {
    h.reset();
    rssPeak = process.memoryUsage.rss();
  }
});
