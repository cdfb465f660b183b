// The sample policy `npm start` seeds: SPEC's case, Claude Code banned from 2026-07-10 00:00
// Asia/Shanghai (notices from a month before), with Qoder and Tongyi Lingma as the approved
// replacements.
import type { PolicySpecInput } from '../shared/src/policy/schema.js';

export const SAMPLE_POLICY_NAME = 'Claude Code ban (sample)';

export const SAMPLE_POLICY: PolicySpecInput = {
  name: SAMPLE_POLICY_NAME,
  tools: ['claude-code'],
  reason: {
    en: 'Claude Code was found to inspect the local environment (time zone, proxy settings) and covertly mark its prompts. Company policy bans it on all work machines.',
    'zh-CN': '经查，Claude Code 会检查本地环境（时区、代理设置）并在提示词中暗中加入标记。根据公司政策，所有工作电脑禁止使用。',
  },
  defaultLocale: 'zh-CN',
  stages: {
    notice: { at: '2026-06-10T00:00', timeZone: 'Asia/Shanghai', action: 'notify' },
    enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai', action: 'warn' },
  },
  replacements: [
    {
      toolId: 'qoder',
      installUrl: 'https://qoder.com/download',
      note: { en: 'Qoder IDE and CLI: sign in with your company account.', 'zh-CN': 'Qoder IDE 与命令行工具：使用公司账号登录。' },
    },
    {
      toolId: 'tongyi-lingma',
      installUrl: 'https://lingma.aliyun.com',
      note: { en: 'Tongyi Lingma extension for VS Code and JetBrains IDEs.', 'zh-CN': '通义灵码插件，支持 VS Code 与 JetBrains IDE。' },
    },
  ],
};
