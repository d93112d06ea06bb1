import { SignetError } from '../domain/errors.js';

/** Socket-level failures: the database cannot be reached or the connection broke. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** SQLSTATEs of a server that is going away or refusing connections (class 08, 57P0x, 53300). */
const SERVER_GONE = /^(08...|57P0[1-3]|53300)$/;

// pg reports these without a code; matched on its (stable) messages.
const CLIENT_GONE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Query read timeout|connection has been discarded/i;

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The connection this error came from is unusable and must not go back to the pool. */
export function isConnectionLost(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined && (SOCKET_CODES.has(code) || SERVER_GONE.test(code))) return true;
  return err instanceof Error && CLIENT_GONE.test(err.message);
}

/** The database is unreachable or too slow (57014: statement timeout) — worth retrying later. */
export function isDatabaseUnavailable(err: unknown): boolean {
  return isConnectionLost(err) || codeOf(err) === '57014';
}

/** Maps an outage to ERR_UNAVAILABLE (503, retryable); other errors pass through unchanged. */
export function toStoreError(err: unknown): unknown {
  if (err instanceof SignetError || !isDatabaseUnavailable(err)) return err;
  return new SignetError('ERR_UNAVAILABLE', 'the database is unavailable', {
    cause: err,
    retryable: true,
  });
}
