/** The one error class of Signet. `code` is stable: clients and scripts match on it. */
export type SignetErrorCode =
  | 'ERR_CONFIG_INVALID'
  | 'ERR_VALIDATION'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_FORBIDDEN'
  | 'ERR_NOT_FOUND'
  | 'ERR_CONFLICT'
  | 'ERR_RATE_LIMITED'
  | 'ERR_IDEMPOTENCY_MISMATCH'
  | 'ERR_UNKNOWN_PROCESSOR'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_KEY_REVOKED'
  | 'ERR_NO_ACTIVE_KEY'
  | 'ERR_CA_UNAVAILABLE'
  | 'ERR_CA_VALIDATION_FAILED'
  | 'ERR_OCSP'
  | 'ERR_PROCESSOR_FAILED'
  | 'ERR_UNAVAILABLE'
  | 'ERR_HSM_UNAVAILABLE'
  | 'ERR_INTERNAL';

const HTTP_STATUS: Partial<Record<SignetErrorCode, number>> = {
  ERR_VALIDATION: 400,
  ERR_UNAUTHENTICATED: 401,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_KEY_NOT_FOUND: 404,
  ERR_CONFLICT: 409,
  ERR_KEY_REVOKED: 409,
  ERR_BODY_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_IDEMPOTENCY_MISMATCH: 422,
  ERR_UNKNOWN_PROCESSOR: 422,
  ERR_RATE_LIMITED: 429,
  ERR_CA_UNAVAILABLE: 503,
  ERR_NO_ACTIVE_KEY: 503,
  ERR_UNAVAILABLE: 503,
  ERR_HSM_UNAVAILABLE: 503,
};

export interface SignetErrorOptions {
  cause?: unknown;
  /** Whether a worker should retry the work that raised this error. */
  retryable?: boolean;
  detail?: Record<string, unknown>;
}

export class SignetError extends Error {
  readonly code: SignetErrorCode;
  readonly retryable: boolean;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: SignetErrorCode, message: string, options: SignetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SignetError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.detail = options.detail;
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code] ?? 500;
  }
}

export function isSignetError(value: unknown): value is SignetError {
  return value instanceof SignetError;
}
