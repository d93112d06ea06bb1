import pkcs11js from 'pkcs11js';
import { SignetError } from '../../domain/errors.js';

/** Return values after which the session (or the whole token) is gone: reconnect, retry later. */
const UNAVAILABLE = new Set<number>([
  pkcs11js.CKR_DEVICE_ERROR,
  pkcs11js.CKR_DEVICE_MEMORY,
  pkcs11js.CKR_DEVICE_REMOVED,
  pkcs11js.CKR_TOKEN_NOT_PRESENT,
  pkcs11js.CKR_TOKEN_NOT_RECOGNIZED,
  pkcs11js.CKR_SESSION_CLOSED,
  pkcs11js.CKR_SESSION_HANDLE_INVALID,
  pkcs11js.CKR_SESSION_COUNT,
  pkcs11js.CKR_OBJECT_HANDLE_INVALID,
  pkcs11js.CKR_KEY_HANDLE_INVALID,
  pkcs11js.CKR_USER_NOT_LOGGED_IN,
  pkcs11js.CKR_CRYPTOKI_NOT_INITIALIZED,
  pkcs11js.CKR_GENERAL_ERROR,
  pkcs11js.CKR_FUNCTION_FAILED,
]);

/** Login failures: retrying with the same PIN would only count towards locking the token. */
const PIN_REFUSED = new Set<number>([
  pkcs11js.CKR_PIN_INCORRECT,
  pkcs11js.CKR_PIN_INVALID,
  pkcs11js.CKR_PIN_LEN_RANGE,
  pkcs11js.CKR_PIN_EXPIRED,
  pkcs11js.CKR_PIN_LOCKED,
]);

/** The CKR_… name of a PKCS#11 error, or undefined for anything else. */
export function returnValueOf(err: unknown): { code: number; name: string } | undefined {
  if (!(err instanceof pkcs11js.Pkcs11Error)) return undefined;
  return { code: err.code, name: err.message };
}

export function isUnavailable(err: unknown): boolean {
  const rv = returnValueOf(err);
  return rv !== undefined && UNAVAILABLE.has(rv.code);
}

export function isPinRefused(err: unknown): boolean {
  const rv = returnValueOf(err);
  return rv !== undefined && PIN_REFUSED.has(rv.code);
}

export function hsmUnavailable(message: string, cause?: unknown): SignetError {
  const rv = returnValueOf(cause);
  return new SignetError('ERR_HSM_UNAVAILABLE', rv ? `${message} (${rv.name})` : message, {
    retryable: true,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Any other failure of a token call, named by its return value. */
export function tokenFailure(what: string, err: unknown): SignetError {
  if (err instanceof SignetError) return err;
  const rv = returnValueOf(err);
  const reason = rv ? rv.name : err instanceof Error ? err.message : String(err);
  return new SignetError('ERR_INTERNAL', `PKCS#11 ${what} failed: ${reason}`, { cause: err });
}
