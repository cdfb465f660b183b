// The built-in tool catalog the server seeds and agents fall back to before their first policy.
// Facts come from shared/research/detection-notes.md; each tool notes how sure those facts are
// (verified on Linux here vs. third-party reports). Being in the catalog says nothing about being
// banned or approved: that is the policy's call (Qoder and Tongyi Lingma are tools like any other).
// Regexes are written with String.raw; `[\\/]` matches either path separator. A package run without
// installing it (`npx`, `npm exec`, `pnpm dlx`, `yarn dlx`, `bunx`) is found from `npmPackages` by the
// agent's matcher, which checks that the process is itself the runner: no command-line regex here
// would tell a runner from a terminal multiplexer or a grep whose arguments hold the same text.
import { Tool, type ToolInput } from './schema.js';

const S = String.raw`[\\/]`;

type ToolSpec = Omit<ToolInput, 'signatures'> & { signatures: Partial<ToolInput['signatures']> };

const BUILTIN: ToolSpec[] = [
  {
    // verified-local: npm 2.1.197 (Node 20) and 2.1.329; native binary is a Bun single-file executable.
    id: 'claude-code',
    displayName: 'Claude Code',
    vendor: 'Anthropic',
    category: ['cli-agent', 'ide-extension'],
    homepage: 'https://www.anthropic.com/claude-code',
    signatures: {
      npmPackages: ['@anthropic-ai/claude-code'],
      executables: ['claude'],
      knownPaths: [
        '~/.local/share/claude/versions/*',
        '~/Library/Application Support/Claude/claude-code/*/claude.app/Contents/MacOS/claude',
        '~/AppData/Local/Microsoft/WinGet/Packages/Anthropic.ClaudeCode_*/claude.exe',
        '/opt/homebrew/Caskroom/claude-code/*/claude',
        '/usr/local/Caskroom/claude-code/*/claude',
      ],
      processNames: ['claude'],
      exePathPatterns: [
        String.raw`@anthropic-ai${S}claude-code${S}bin${S}claude\.exe$`,
        String.raw`@anthropic-ai${S}claude-code-[a-z0-9-]+${S}claude(\.exe)?$`,
        String.raw`${S}claude${S}versions${S}\d+\.\d+\.\d+[^\\/]*$`,
        String.raw`anthropic\.claude-code-[^\\/]+${S}resources${S}native-binary${S}claude(\.exe)?$`,
        String.raw`Caskroom${S}claude-code${S}[^\\/]+${S}claude$`,
        String.raw`WinGet${S}(Packages${S}Anthropic\.ClaudeCode[^\\/]*|Links)${S}claude\.exe$`,
      ],
      cmdlinePatterns: [String.raw`@anthropic-ai${S}claude-code${S}cli\.js`],
      configDirs: ['~/.claude'],
      vscodeExtensions: ['anthropic.claude-code'],
      jetbrainsPlugins: ['com.anthropic.code.plugin'],
      // Strings read from the 2.1.197 and 2.1.329 linux-x64 binaries (each occurs many times).
      contentMarkers: [['@anthropic-ai/claude-code', 'CLAUDE_CODE_ENTRYPOINT', 'CLAUDE_CODE_EXECPATH']],
      contentHashes: [
        'f54e69cbc89b2da61a415700af7ff52a147e862517d4f1b0eecf768448cf7f83', // 2.1.197 linux-x64 (npm, measured here)
        '30e2724e2aecb1bf5dc9f3130901afb71c5fa229051c190a6d7ad9aff6378d6d', // 2.1.329 linux-x64 (research notes)
      ],
      childEnvMarkers: ['CLAUDECODE=1', 'CLAUDE_CODE_EXECPATH'],
      runtimeFiles: ['~/.claude/sessions/<pid>.json'],
    },
  },
  {
    // verified-local: npm 0.169.0; Node launcher bin/codex.js plus a native Rust binary per platform.
    id: 'codex-cli',
    displayName: 'OpenAI Codex CLI',
    vendor: 'OpenAI',
    category: ['cli-agent', 'ide-extension'],
    homepage: 'https://developers.openai.com/codex/cli',
    signatures: {
      npmPackages: ['@openai/codex'],
      executables: ['codex'],
      knownPaths: ['~/.codex/packages/*/releases/*/bin/codex', '~/.codex/packages/*/releases/*/codex', '/opt/homebrew/Caskroom/codex/*/codex*'],
      processNames: ['codex'],
      exePathPatterns: [
        String.raw`vendor${S}[a-z0-9_]+-(unknown-linux-musl|unknown-linux-gnu|apple-darwin|pc-windows-msvc)${S}bin${S}codex(\.exe)?$`,
        String.raw`\.codex${S}packages${S}(standalone|app-server-daemon)${S}releases${S}[^\\/]+${S}(bin${S})?codex(\.exe)?$`,
        String.raw`openai\.chatgpt-[^\\/]+${S}bin${S}[^\\/]+${S}codex(\.exe)?$`,
      ],
      cmdlinePatterns: [String.raw`@openai${S}codex${S}bin${S}codex\.js`],
      configDirs: ['~/.codex'],
      vscodeExtensions: ['openai.chatgpt'],
      macBundleIds: ['com.openai.codex'],
      // Strings read from the 0.169.0 x86_64-unknown-linux-musl binary.
      contentMarkers: [['codex_cli_rs', 'CODEX_MANAGED_BY_NPM']],
      contentHashes: ['b452ca20f838a8855a88a41050ee4a694033fff4ea3ecdad5633e6e0e8d13f2b'], // 0.169.0 linux-x64 musl (measured here)
      // Set in the shells Codex starts (binary strings). Not CODEX_MANAGED_BY_*: the launcher sets
      // those on the native process itself, so "parent of the outermost carrier" would name the
      // user's shell when Node's execve replaces the launcher.
      childEnvMarkers: ['CODEX_THREAD_ID'],
    },
  },
  {
    // verified-local: npm 0.61.0, pure JS (bundle/gemini.js) run by node.
    id: 'gemini-cli',
    displayName: 'Gemini CLI',
    vendor: 'Google',
    category: ['cli-agent', 'ide-extension'],
    homepage: 'https://github.com/google-gemini/gemini-cli',
    signatures: {
      npmPackages: ['@google/gemini-cli'],
      executables: ['gemini'],
      cmdlinePatterns: [String.raw`@google${S}gemini-cli${S}bundle${S}gemini\.js`],
      configDirs: ['~/.gemini'],
      vscodeExtensions: ['google.gemini-cli-vscode-ide-companion', 'google.geminicodeassist'],
      childEnvMarkers: ['GEMINI_CLI=1'],
    },
  },
  {
    // verified-local: npm 0.24.4 (Node 22) and 0.15.10 (what npm picks on Node 20: bin qwen = cli.js).
    id: 'qwen-code',
    displayName: 'Qwen Code',
    vendor: 'Alibaba / QwenLM',
    category: ['cli-agent'],
    homepage: 'https://github.com/QwenLM/qwen-code',
    signatures: {
      npmPackages: ['@qwen-code/qwen-code'],
      executables: ['qwen'],
      cmdlinePatterns: [String.raw`@qwen-code${S}qwen-code${S}cli(-entry)?\.js`],
      configDirs: ['~/.qwen'],
      vscodeExtensions: ['qwenlm.qwen-code-vscode-ide-companion'],
      childEnvMarkers: ['QWEN_CODE=1'],
      runtimeFiles: ['~/.qwen/sessions/<pid>.json'],
    },
  },
  {
    // third-party (macOS/Windows) and inferred (Linux deb / AppImage layout).
    id: 'cursor',
    displayName: 'Cursor',
    vendor: 'Anysphere',
    category: ['ide', 'cli-agent'],
    homepage: 'https://cursor.com',
    signatures: {
      executables: ['cursor', 'cursor-agent'],
      knownPaths: ['~/.local/share/cursor-agent/versions/*', '/usr/share/cursor/cursor', '~/AppData/Local/Programs/cursor/Cursor.exe'],
      processNames: ['cursor', 'cursor-agent'],
      exePathPatterns: [
        String.raw`Cursor\.app${S}Contents${S}MacOS${S}Cursor$`,
        String.raw`Programs${S}cursor${S}Cursor\.exe$`,
        String.raw`${S}usr${S}share${S}cursor${S}`,
        String.raw`${S}\.mount_Cursor[^\\/]*${S}`,
        String.raw`cursor-agent${S}versions${S}[^\\/]+${S}(node|cursor-agent)$`,
      ],
      cmdlinePatterns: [String.raw`cursor-agent${S}versions${S}[^\\/]+${S}index\.js`],
      configDirs: ['~/.cursor', '~/.cursor-server'],
      macBundleIds: ['com.todesktop.230313mzl4w4u92', 'com.todesktop.230313mzl4w4u92-insider'],
      linuxPackages: ['cursor'],
      appImagePatterns: [String.raw`^Cursor-.*\.AppImage$`],
      windowsUninstall: [{ displayName: String.raw`^Cursor( \(User\))?( [\d.]+)?$` }],
      windowsShortcuts: ['^Cursor$'],
    },
  },
  {
    // third-party: Windsurf (renamed Devin Desktop in 2026) and the Codeium plugins it grew from.
    id: 'windsurf',
    displayName: 'Windsurf',
    vendor: 'Cognition (Codeium)',
    category: ['ide', 'ide-extension'],
    homepage: 'https://windsurf.com',
    signatures: {
      executables: ['windsurf'],
      knownPaths: ['/usr/share/windsurf/windsurf', '~/AppData/Local/Programs/Windsurf/Windsurf.exe'],
      processNames: ['windsurf'],
      exePathPatterns: [
        String.raw`\.codeium${S}bin${S}[0-9a-f]+${S}language_server_[a-z0-9_]+(\.exe)?$`,
        String.raw`(Windsurf|Devin)( - Next)?\.app${S}Contents${S}MacOS${S}`,
        String.raw`Programs${S}Windsurf${S}Windsurf\.exe$`,
        String.raw`${S}usr${S}share${S}windsurf${S}`,
      ],
      cmdlinePatterns: [String.raw`--ide_name\s+(windsurf|windsurf-next)(\s|$)`],
      configDirs: ['~/.codeium', '~/.windsurf'],
      vscodeExtensions: ['codeium.codeium'],
      jetbrainsPlugins: ['com.codeium.intellij'],
      macBundleIds: ['com.exafunction.windsurf', 'com.exafunction.windsurfNext'],
      linuxPackages: ['windsurf'],
      windowsUninstall: [{ displayName: String.raw`^(Windsurf|Devin)( Next)?( \(User\))?$` }],
      windowsShortcuts: ['^(Windsurf|Devin)( Next)?$'],
    },
  },
  {
    // verified-local for the npm CLI (1.0.102: native child with comm "MainThread"); extensions third-party.
    // `copilot` is not matched by name: AWS Copilot CLI installs a binary of the same name.
    id: 'github-copilot',
    displayName: 'GitHub Copilot',
    vendor: 'GitHub',
    category: ['ide-extension', 'cli-agent'],
    homepage: 'https://github.com/features/copilot',
    signatures: {
      npmPackages: ['@github/copilot', '@github/copilot-language-server'],
      exePathPatterns: [String.raw`@github${S}copilot-[a-z0-9]+-[a-z0-9]+${S}copilot(\.exe)?$`, String.raw`Caskroom${S}copilot-cli${S}`],
      cmdlinePatterns: [String.raw`@github${S}copilot${S}npm-loader\.js`, String.raw`@github${S}copilot-language-server${S}`],
      configDirs: ['~/.copilot'],
      vscodeExtensions: ['github.copilot', 'github.copilot-chat'],
      jetbrainsPlugins: ['com.github.copilot'],
      runtimeFiles: ['~/.copilot/session-state/*/inuse.<pid>.lock'],
    },
  },
  {
    // verified-local for the npm CLI 1.1.52; IDE and desktop ids from the brand table in qodercli.js.
    id: 'qoder',
    displayName: 'Qoder',
    vendor: 'Alibaba',
    category: ['cli-agent', 'ide', 'ide-extension'],
    homepage: 'https://qoder.com',
    signatures: {
      npmPackages: ['@qoder-ai/qodercli', '@qodercn-ai/qoderclicn'],
      executables: ['qodercli', 'qoderclicn'],
      knownPaths: ['~/.qoder/bin/qodercli/qodercli', '~/.qoder/entry/qoder', '/usr/share/qoder-ide/bin/qoder'],
      processNames: ['qodercli'],
      exePathPatterns: [
        String.raw`${S}usr${S}share${S}qoder(-cn)?(-ide)?${S}`,
        String.raw`\.qoder${S}bin${S}qodercli`,
        String.raw`Qoder( IDE| CN| CN IDE)?\.app${S}Contents${S}MacOS${S}`,
        String.raw`Programs${S}Qoder( IDE)?${S}Qoder[^\\/]*\.exe$`,
      ],
      cmdlinePatterns: [String.raw`@qoder(cn)?-ai${S}qodercli(cn)?${S}bundle${S}`],
      configDirs: ['~/.qoder', '~/.qoder-cn'],
      jetbrainsPlugins: ['com.qoder'],
      macBundleIds: ['com.qoder.ide', 'com.qoder.app'],
      linuxPackages: ['qoder', 'qoder-ide'],
      windowsUninstall: [{ displayName: String.raw`^Qoder( IDE)?( \(User\))?$` }],
      windowsShortcuts: ['^Qoder( IDE)?$'],
      childEnvMarkers: ['QODER_CLI=1', 'QODERCN_CLI=1'],
      runtimeFiles: ['~/.qoder/logs/runs/*-p<pid>/manifest.json'],
    },
  },
  {
    // third-party: VS Code / JetBrains ids; rebranded Qoder CN in 2026 with the plugin id unchanged.
    id: 'tongyi-lingma',
    displayName: 'Tongyi Lingma',
    vendor: 'Alibaba Cloud',
    category: ['ide-extension', 'ide'],
    homepage: 'https://lingma.aliyun.com',
    signatures: {
      knownPaths: ['~/.lingma/bin/*/*/Lingma', '~/.lingma/bin/*/*/Lingma.exe'],
      processNames: ['Lingma'],
      exePathPatterns: [String.raw`\.lingma${S}bin${S}[^\\/]+${S}[^\\/]+${S}Lingma(\.exe)?$`],
      configDirs: ['~/.lingma'],
      vscodeExtensions: ['alibaba-cloud.tongyi-lingma'],
      jetbrainsPlugins: ['com.alibabacloud.intellij.cosy'],
      macBundleIds: ['com.aliyun.lingma.ide'],
    },
  },
  {
    // verified-local for the npm CLI 3.0.65 (Bun binary hard-linked as bin/.cline); extension third-party.
    id: 'cline',
    displayName: 'Cline',
    vendor: 'Cline Bot',
    category: ['ide-extension', 'cli-agent'],
    homepage: 'https://cline.bot',
    signatures: {
      npmPackages: ['cline'],
      processNames: ['.cline'],
      exePathPatterns: [String.raw`node_modules${S}cline${S}bin${S}\.cline$`, String.raw`@cline${S}cli-[a-z0-9-]+${S}bin${S}cline(\.exe)?$`],
      cmdlinePatterns: [String.raw`--cline-hub-daemon(\s|$)`],
      configDirs: ['~/.cline'],
      vscodeExtensions: ['saoudrizwan.claude-dev'],
      macBundleIds: ['bot.cline.app', 'bot.cline.app.beta', 'bot.cline.app.nightly'],
    },
  },
  {
    // third-party: a VS Code extension only; it runs inside the editor's extension host.
    id: 'roo-code',
    displayName: 'Roo Code',
    vendor: 'Roo Code Inc.',
    category: ['ide-extension'],
    homepage: 'https://roocode.com',
    signatures: { vscodeExtensions: ['rooveterinaryinc.roo-cline'] },
  },
  {
    // verified-local for the npm CLI (@continuedev/cli 1.5.47, bin `cn`: too generic to match by name).
    id: 'continue',
    displayName: 'Continue',
    vendor: 'Continue Dev',
    category: ['ide-extension', 'cli-agent'],
    homepage: 'https://continue.dev',
    signatures: {
      npmPackages: ['@continuedev/cli'],
      cmdlinePatterns: [String.raw`@continuedev${S}cli${S}dist${S}cn\.js`],
      configDirs: ['~/.continue'],
      vscodeExtensions: ['continue.continue'],
      jetbrainsPlugins: ['com.github.continuedev.continueintellijextension'],
    },
  },
  {
    // third-party (PyPI was not reachable for the research): pip / pipx / uv installs of aider-chat.
    id: 'aider',
    displayName: 'Aider',
    vendor: 'Aider AI',
    category: ['cli-agent', 'python-package'],
    homepage: 'https://aider.chat',
    signatures: {
      executables: ['aider'],
      exePathPatterns: [String.raw`(uv${S}tools|pipx${S}venvs)${S}aider-chat${S}`],
      cmdlinePatterns: [
        String.raw`(uv${S}tools|pipx${S}venvs)${S}aider-chat${S}`,
        String.raw`python[0-9.]*(\.exe)?\s+(-\S+\s+)*-m\s+aider(\s|$)`,
        String.raw`python[0-9.]*(\.exe)?\s+\S*${S}bin${S}aider(\s|$)`,
      ],
      configDirs: ['~/.aider'],
      pythonPackages: ['aider-chat'],
    },
  },
  {
    // third-party: Amazon Q Developer (IDE plugins, `q`/`qchat` CLI) and its successor Kiro CLI.
    // `q` alone is too generic to match by name.
    id: 'amazon-q',
    displayName: 'Amazon Q Developer / Kiro CLI',
    vendor: 'Amazon Web Services',
    category: ['ide-extension', 'cli-agent'],
    homepage: 'https://aws.amazon.com/q/developer/',
    signatures: {
      executables: ['qchat', 'kiro-cli', 'kiro-cli-chat'],
      knownPaths: ['~/.local/share/kiro-cli/tui.js'],
      processNames: ['qchat', 'kiro-cli', 'kiro-cli-chat', 'kiro_cli_desktop'],
      exePathPatterns: [String.raw`(Amazon Q|Kiro CLI)\.app${S}Contents${S}MacOS${S}`],
      cmdlinePatterns: [String.raw`kiro-cli${S}tui\.js\s+chat`],
      configDirs: ['~/.aws/amazonq'],
      vscodeExtensions: ['amazonwebservices.amazon-q-vscode'],
      jetbrainsPlugins: ['amazon.q'],
      macBundleIds: ['com.amazon.codewhisperer'],
    },
  },
  {
    // third-party: Kiro IDE (a VS Code fork by AWS).
    id: 'kiro',
    displayName: 'Kiro IDE',
    vendor: 'Amazon Web Services',
    category: ['ide'],
    homepage: 'https://kiro.dev',
    signatures: {
      executables: ['kiro'],
      knownPaths: ['/usr/share/kiro/kiro', '~/AppData/Local/Programs/Kiro/Kiro.exe'],
      processNames: ['kiro'],
      exePathPatterns: [String.raw`Kiro\.app${S}Contents${S}MacOS${S}`, String.raw`Programs${S}Kiro${S}Kiro\.exe$`, String.raw`${S}usr${S}share${S}kiro${S}`],
      configDirs: ['~/.kiro'],
      macBundleIds: ['dev.kiro.desktop'],
      linuxPackages: ['kiro'],
      windowsUninstall: [{ displayName: String.raw`^Kiro( \(User\))?$` }],
      windowsShortcuts: ['^Kiro$'],
    },
  },
  {
    // third-party: Trae / Trae CN IDE (ByteDance), the MarsCode plugin and traecli.
    id: 'trae',
    displayName: 'Trae',
    vendor: 'ByteDance',
    category: ['ide', 'ide-extension', 'cli-agent'],
    homepage: 'https://www.trae.ai',
    signatures: {
      executables: ['trae', 'traecli'],
      knownPaths: ['/usr/share/trae/trae', '~/AppData/Local/Programs/Trae/Trae.exe'],
      processNames: ['trae', 'traecli'],
      exePathPatterns: [String.raw`Trae( CN)?\.app${S}Contents${S}MacOS${S}`, String.raw`Programs${S}Trae[^\\/]*${S}Trae[^\\/]*\.exe$`, String.raw`${S}usr${S}share${S}trae${S}`],
      configDirs: ['~/.trae', '~/.trae-cn', '~/.marscode'],
      vscodeExtensions: ['marscode.marscode-extension'],
      macBundleIds: ['com.trae.app', 'cn.trae.app'],
      linuxPackages: ['trae'],
      windowsUninstall: [{ displayName: String.raw`^Trae( CN)?( \(User\))?$` }],
      windowsShortcuts: ['^Trae( CN)?$'],
    },
  },
];

export const BUILTIN_CATALOG: Tool[] = BUILTIN.map((t) => Tool.parse(t));
