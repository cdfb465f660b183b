// Summarises a V8 .cpuprofile (from `--cpu-prof`): self time per function and per file, the top
// entries, so a benchmark's "where the time goes" can be read without a browser.
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const file = process.argv[2];
const top = Number(process.argv[3] ?? 30);
const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const self = new Map<number, number>();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFn = new Map<string, number>();
const byFile = new Map<string, number>();
for (const n of prof.nodes) {
  const t = self.get(n.id) ?? 0;
  const f = n.callFrame.url.replace(/^.*\/(node_modules\/[^/]+|dist\/[^?]+|node:[^?]+)/, '$1') || '(native)';
  const k = `${n.callFrame.functionName || '(anonymous)'} ${f}:${n.callFrame.lineNumber + 1}`;
  byFn.set(k, (byFn.get(k) ?? 0) + t);
  byFile.set(f, (byFile.get(f) ?? 0) + t);
}
const show = (m: Map<string, number>) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, t]) => `${((100 * t) / total).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(0).padStart(7)} ms  ${k}`)
    .join('\n');
console.log(`total ${(total / 1e6).toFixed(1)} s\n-- by function --\n${show(byFn)}\n-- by file --\n${show(byFile)}`);
