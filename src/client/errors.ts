/** Why a token was refused. Stable: callers and scripts match on these. */
export type VerificationErrorCode =
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TYP_INVALID'
  | 'ERR_ALG_NOT_ALLOWED'
  | 'ERR_NOT_YET_ACTIVE'
  | 'ERR_X5U_NOT_ALLOWED'
  | 'ERR_FETCH_FAILED'
  | 'ERR_THUMBPRINT_MISMATCH'
  | 'ERR_CERT_UNTRUSTED'
  | 'ERR_CERT_EXPIRED'
  | 'ERR_CERT_NOT_YET_VALID'
  | 'ERR_CERT_USAGE'
  | 'ERR_SIGNATURE_INVALID'
  | 'ERR_KID_MISMATCH'
  | 'ERR_KEY_UNKNOWN'
  | 'ERR_KEY_REVOKED'
  | 'ERR_REVOCATION_UNKNOWN'
  | 'ERR_POLICY';

/** What went wrong talking to the service. */
export type ProtocolErrorCode =
  /** The service answered with an error status; `status` and `serverCode` say which. */
  | 'ERR_HTTP'
  /** No answer at all (connection refused, reset, DNS, time-out of one call). */
  | 'ERR_NETWORK'
  /** The request did not complete within the time the caller allowed. */
  | 'ERR_WAIT_TIMEOUT'
  /** The service reports the request as failed. */
  | 'ERR_REQUEST_FAILED'
  /** An answer that does not have the documented shape. */
  | 'ERR_PROTOCOL'
  /** A caller mistake: missing option, bad URL. */
  | 'ERR_USAGE';

export type SignetClientErrorCode = VerificationErrorCode | ProtocolErrorCode;

export interface SignetClientErrorOptions {
  cause?: unknown;
  /** HTTP status of the answer that caused the error (ERR_HTTP). */
  status?: number;
  /** The `code` of the service's problem+json answer (ERR_HTTP). */
  serverCode?: string;
  detail?: Record<string, unknown>;
}

/** The one error class of the client SDK. `code` is stable. */
export class SignetClientError extends Error {
  readonly code: SignetClientErrorCode;
  readonly status: number | undefined;
  readonly serverCode: string | undefined;
  readonly detail: Record<string, unknown> | undefined;

  constructor(
    code: SignetClientErrorCode,
    message: string,
    options: SignetClientErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SignetClientError';
    this.code = code;
    this.status = options.status;
    this.serverCode = options.serverCode;
    this.detail = options.detail;
  }
}

export function isSignetClientError(value: unknown): value is SignetClientError {
  return value instanceof SignetClientError;
}

export function refuse(
  code: SignetClientErrorCode,
  message: string,
  options?: SignetClientErrorOptions,
): never {
  throw new SignetClientError(code, message, options);
}
