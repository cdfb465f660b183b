#!/usr/bin/env node
// edict-agent entry point. Before any other module loads it sets three V8 options for a small,
// long-running process (docs/benchmarks.md has the figures):
// - no optimizing compiler (TurboFan): the agent's own work is short bursts (a poll, a message, a
//   scan every half hour) that run fine on V8's baseline tiers, while TurboFan's compilations and
//   code cost ~10 MB of resident memory for the life of the process;
// - no baseline compiler (Sparkplug) either: its machine code for every warm function held ~2 MB
//   resident (59.5 against 61.5 MB in one side-by-side run); the interpreter is fast enough for
//   a poll every half second;
// - the young generation kept at its initial size (1 MB per semi-space): a burst of allocation
//   (start-up, an inventory scan) would otherwise grow it to 2 × 16 MB, resident from then on.
// Then the commands are loaded (no top-level await: the packaged agent is one CommonJS bundle).
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-opt');
setFlagsFromString('--no-sparkplug');
setFlagsFromString('--semi-space-growth-factor=1');
void import('./cli-commands.js');
