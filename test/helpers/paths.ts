// Paths the tests need: the project root and the built CLIs (tests run `npm run build` first via
// the pretest script, and spawn the same dist/ files a user runs).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SERVER_CLI = path.join(ROOT, 'dist', 'server', 'src', 'cli.js');
export const AGENT_CLI = path.join(ROOT, 'dist', 'agent', 'src', 'cli.js');
export const CTL_CLI = path.join(ROOT, 'dist', 'server', 'src', 'ctl', 'cli.js');
export const START_SCRIPT = path.join(ROOT, 'dist', 'scripts', 'start-local.js');
