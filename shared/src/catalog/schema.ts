// A catalogued tool: identity plus the signatures the agent matches. Tools are data, not code:
// admins add or override them through the API and agents receive them inside the policy bundle.
import { z } from 'zod';
import { ShortText, ToolId } from '../protocol/common.js';

const RegexSource = z.string().min(1).max(500).refine((s) => {
  try {
    new RegExp(s, 'i');
    return true;
  } catch {
    return false; // the refine's message below names the bad field
  }
}, 'not a valid regular expression');

const names = z.array(z.string().min(1).max(200)).max(100).default([]);

export const Signatures = z.strictObject({
  /** npm package names, scoped included, looked up in every global prefix of every user. */
  npmPackages: names,
  /** Executable file names looked up on PATH and in known install folders. */
  executables: names,
  /** Known install locations; `~` is each user's home, `*` one path segment. */
  knownPaths: names,
  /** Names a running process shows (comm / executable basename). Weak alone. */
  processNames: names,
  /** Regexes (case-insensitive) on a running process's resolved executable path. */
  exePathPatterns: z.array(RegexSource).max(50).default([]),
  /** Regexes (case-insensitive) on a running process's command line. */
  cmdlinePatterns: z.array(RegexSource).max(50).default([]),
  /** Config / data folders in a home directory: evidence of use, weaker than an install. */
  configDirs: names,
});
export type Signatures = z.infer<typeof Signatures>;

export const Tool = z.strictObject({
  id: ToolId,
  displayName: ShortText,
  vendor: ShortText,
  category: z.array(z.enum(['cli-agent', 'ide', 'ide-extension', 'desktop-app', 'python-package'])).min(1),
  homepage: z.url().optional(),
  signatures: Signatures,
});
export type Tool = z.infer<typeof Tool>;
export type ToolInput = z.input<typeof Tool>;

export const Catalog = z.array(Tool);
