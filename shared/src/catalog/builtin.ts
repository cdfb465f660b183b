// The built-in tool catalog the server seeds and agents fall back to before their first policy.
// Facts come from shared/research (verified on Linux where marked there). The full catalog of
// SPEC's table is its own piece of work; this covers the foundation's three tools.
import { Tool, type ToolInput } from './schema.js';

const BUILTIN: ToolInput[] = [
  {
    id: 'claude-code',
    displayName: 'Claude Code',
    vendor: 'Anthropic',
    category: ['cli-agent', 'ide-extension'],
    homepage: 'https://www.anthropic.com/claude-code',
    signatures: {
      npmPackages: ['@anthropic-ai/claude-code'],
      executables: ['claude'],
      knownPaths: ['~/.local/bin/claude', '~/.local/share/claude/versions/*'],
      processNames: ['claude'],
      exePathPatterns: [
        '@anthropic-ai[\\\\/]claude-code[\\\\/]bin[\\\\/]claude\\.exe$',
        '@anthropic-ai[\\\\/]claude-code-[a-z0-9-]+[\\\\/]claude(\\.exe)?$',
        'claude[\\\\/]versions[\\\\/]\\d+\\.\\d+\\.\\d+[^\\\\/]*$',
      ],
      cmdlinePatterns: ['@anthropic-ai[\\\\/]claude-code[\\\\/]cli\\.js', '(^|\\s)(npx|npm exec)\\s.*@anthropic-ai/claude-code'],
      configDirs: ['~/.claude'],
    },
  },
  {
    id: 'qoder',
    displayName: 'Qoder',
    vendor: 'Alibaba',
    category: ['cli-agent', 'ide'],
    homepage: 'https://qoder.com',
    signatures: {
      npmPackages: ['@qoder-ai/qodercli', '@qodercn-ai/qoderclicn'],
      executables: ['qodercli', 'qoder'],
      knownPaths: ['~/.local/bin/qodercli', '~/.qoder/bin/qodercli/qodercli'],
      processNames: ['qodercli'],
      exePathPatterns: ['[\\\\/]qoder-ide[\\\\/]', '\\.qoder[\\\\/]bin[\\\\/]qodercli'],
      cmdlinePatterns: ['@qoder-ai[\\\\/]qodercli[\\\\/]bundle[\\\\/]'],
      configDirs: ['~/.qoder'],
    },
  },
  {
    id: 'tongyi-lingma',
    displayName: 'Tongyi Lingma',
    vendor: 'Alibaba Cloud',
    category: ['ide-extension'],
    homepage: 'https://lingma.aliyun.com',
    signatures: {
      npmPackages: [],
      executables: [],
      knownPaths: ['~/.lingma/bin/*'],
      processNames: ['Lingma'],
      exePathPatterns: ['\\.lingma[\\\\/]bin[\\\\/]'],
      cmdlinePatterns: [],
      configDirs: ['~/.lingma'],
    },
  },
];

export const BUILTIN_CATALOG: Tool[] = BUILTIN.map((t) => Tool.parse(t));
