// The one catalogue of Edict error codes. Every error the server sends (HTTP body, WebSocket
// error frame or close code) and every error the CLIs print carries one of these stable codes.
// docs/errors.md documents each one; test/unit/shared/errors-doc.test.ts keeps the two in step.

export interface ErrorSpec {
  /** Human message; details about the specific case go in EdictError.detail. */
  message: string;
  /** HTTP status when the error answers a REST call or a refused WebSocket upgrade. */
  http?: number;
  /** WebSocket close code when the error ends an agent connection; absent = connection stays open. */
  wsClose?: number;
}

export const ERRORS = {
  EDICT_ERR_MALFORMED_JSON: { message: 'message is not valid JSON', http: 400 },
  EDICT_ERR_INVALID_MESSAGE: { message: 'message does not match its schema', http: 400 },
  EDICT_ERR_UNKNOWN_MESSAGE_TYPE: { message: 'unknown message type' },
  EDICT_ERR_FRAME_TOO_LARGE: { message: 'frame or body exceeds the size limit', http: 413, wsClose: 1009 },
  EDICT_ERR_PROTOCOL_VERSION: { message: 'protocol version not supported', wsClose: 4002 },
  EDICT_ERR_HELLO_REQUIRED: { message: 'the first message must be hello', wsClose: 4001 },
  EDICT_ERR_UNAUTHENTICATED: { message: 'missing credential: a bearer API token or a dashboard session', http: 401 },
  EDICT_ERR_SESSION_ENDED: { message: 'dashboard session ended (signed out, expired or its token revoked); sign in again', http: 401 },
  EDICT_ERR_CSRF: { message: 'a dashboard write needs the session CSRF token (header x-edict-csrf) and a same-origin request', http: 403 },
  EDICT_ERR_BAD_CREDENTIAL: { message: 'credential is not valid', http: 401 },
  EDICT_ERR_TOKEN_EXPIRED: { message: 'API token has expired', http: 401 },
  EDICT_ERR_TOKEN_REVOKED: { message: 'API token was revoked', http: 401 },
  EDICT_ERR_LAST_ADMIN_TOKEN: { message: 'the last admin token cannot be revoked; create another admin token first', http: 409 },
  EDICT_ERR_DEVICE_REVOKED: { message: 'device credential was revoked; enroll again', http: 403, wsClose: 4003 },
  EDICT_ERR_REPLACED: { message: 'another connection for this device replaced this one', wsClose: 4004 },
  EDICT_ERR_RATE_LIMITED: { message: 'too many messages; slow down', http: 429, wsClose: 1008 },
  EDICT_ERR_TOO_MANY_CONNECTIONS: { message: 'too many connections waiting to be served; try again later', http: 503 },
  EDICT_ERR_FORBIDDEN: { message: 'token role may not do this', http: 403 },
  EDICT_ERR_VALIDATION: { message: 'request body or query is not valid', http: 400 },
  EDICT_ERR_NOT_FOUND: { message: 'no such resource', http: 404 },
  EDICT_ERR_UNKNOWN_TOOL: { message: 'policy names a tool that is not in the catalog', http: 422 },
  EDICT_ERR_ENROLLMENT_TOKEN_INVALID: { message: 'enrollment token is not valid, revoked or used up', http: 401 },
  EDICT_ERR_ENROLLMENT_TOKEN_EXPIRED: { message: 'enrollment token has expired', http: 401 },
  EDICT_ERR_CONFIG: { message: 'configuration is not valid' },
  EDICT_ERR_NOT_ENROLLED: { message: 'agent is not enrolled; run edict-agent enroll' },
  EDICT_ERR_SERVER_UNREACHABLE: { message: 'server could not be reached' },
  EDICT_ERR_REQUEST_REFUSED: { message: 'the request was refused' },
  EDICT_ERR_ALREADY_ENROLLED: { message: 'this state folder is already enrolled' },
  EDICT_ERR_STATE_UNREADABLE: { message: "cannot read the agent's state folder" },
  EDICT_ERR_UNAVAILABLE: { message: 'server cannot store anything right now (database unreachable or node draining); nothing was kept, try again or another server', http: 503, wsClose: 1013 },
  EDICT_ERR_INTERNAL: { message: 'internal error', http: 500, wsClose: 1011 },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERRORS, code);
}

/** One bad input field: its path in the body or query (`stages.enforce.at`, `tools.0`) and what is wrong. */
export interface FieldError {
  path: string;
  message: string;
}

/** An error with a stable catalogue code; `detail` says what exactly was wrong (never a secret); `fields` names each bad input field. */
export class EdictError extends Error {
  readonly code: ErrorCode;
  readonly detail?: string;
  readonly fields?: FieldError[];
  constructor(code: ErrorCode, detail?: string, fields?: FieldError[]) {
    super(detail ? `${ERRORS[code].message}: ${detail}` : ERRORS[code].message);
    this.name = 'EdictError';
    this.code = code;
    this.detail = detail;
    if (fields?.length) this.fields = fields;
  }
  get http(): number {
    return (ERRORS[this.code] as ErrorSpec).http ?? 500;
  }
  get wsClose(): number | undefined {
    return (ERRORS[this.code] as ErrorSpec).wsClose;
  }
}
