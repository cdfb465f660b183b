// 简体中文通知文案（仅数据；花括号中的占位符由 render.ts 填入）。
import type { Messages } from './types.js';

export const zhCN: Messages = {
  'title.notice': '公司政策：自 {date} 起禁止使用 {tool}',
  'title.reminder': '温馨提醒（公司政策）：自 {date} 起禁止使用 {tool}',
  'title.enforced': '公司政策：公司电脑已禁止使用 {tool}',
  'title.stopWarning': '公司政策：{tool} 即将关闭（{countdown}）',
  'title.exceptionGranted': '{tool} 的例外申请已获批准',
  'title.exceptionDenied': '{tool} 的例外申请未获批准',
  'body.lead.notice': '根据公司政策，自 {date}（{countdown}）起，公司电脑上将不再允许使用 {tool}。',
  'body.lead.enforced': '根据公司政策，自 {date}（{countdown}）起，公司电脑上已禁止使用 {tool}。',
  'body.stopWarning': '请及时保存您的工作：本机正在运行的 {tool} 即将关闭（{countdown}）。您磁盘上的任何文件都不会被删除。',
  'body.reason': '原因：{reason}',
  'body.replacements': '请改用以下经公司批准的工具：',
  'body.replacement.url': '• {name}：获取地址 {url}',
  'body.replacement.noUrl': '• {name}：请联系 IT 部门获取',
  'body.replacement.note': '  {note}',
  'body.ack.required': '请确认您已阅读本通知：edict-agent ack {toolId}',
  'body.ack.optional': '如已知悉，可运行以下命令确认并停止提醒：edict-agent ack {toolId}',
  'body.exception': '如需申请例外：edict-agent request-exception {toolId} --reason "…"',
  'body.exceptionGranted.until': '您的申请已获批准：在 {date} 之前，您可以继续使用 {tool}。',
  'body.exceptionGranted.open': '您的申请已获批准：在例外被撤销之前，您可以继续使用 {tool}。',
  'body.exceptionDenied': '很抱歉，您的例外申请未获批准。',
  'body.decisionNote': 'IT 部门备注：{reason}',
  'action.ack': '我已知悉',
  'countdown.now': '现在',
};
