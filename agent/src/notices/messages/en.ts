// English notice catalog (data only; placeholders in braces are filled by render.ts).
import type { Messages } from './types.js';

export const en: Messages = {
  'title.notice': 'Company policy: {tool} will not be allowed from {date}',
  'title.reminder': 'Reminder of company policy: {tool} will not be allowed from {date}',
  'title.enforced': 'Company policy: {tool} is not allowed on company computers',
  'title.stopWarning': 'Company policy: {tool} will be closed {countdown}',
  'title.exceptionGranted': 'Exception granted for {tool}',
  'title.exceptionDenied': 'Exception request for {tool} declined',
  'body.lead.notice': 'Under company policy, {tool} may no longer be used on company computers from {date} ({countdown}).',
  'body.lead.enforced': 'Under company policy, {tool} may not be used on company computers since {date} ({countdown}).',
  'body.stopWarning': 'Please save your work: running copies of {tool} on this computer will be closed {countdown}. Nothing on your disk will be deleted.',
  'body.reason': 'Why: {reason}',
  'body.replacements': 'Approved replacements:',
  'body.replacement.url': '• {name}: get it from {url}',
  'body.replacement.noUrl': '• {name}: ask your IT department',
  'body.replacement.note': '  {note}',
  'body.ack.required': 'Please confirm you have read this notice: edict-agent ack {toolId}',
  'body.ack.optional': 'To confirm you have read this notice and stop reminders: edict-agent ack {toolId}',
  'body.exception': 'Need an exception? edict-agent request-exception {toolId} --reason "…"',
  'body.exceptionGranted.until': 'Your request was approved: you may keep using {tool} until {date}.',
  'body.exceptionGranted.open': 'Your request was approved: you may keep using {tool} until the exception is withdrawn.',
  'body.exceptionDenied': 'Your request for an exception was declined.',
  'body.decisionNote': 'Note from IT: {reason}',
  'action.ack': 'I have read this',
  'countdown.now': 'now',
};
