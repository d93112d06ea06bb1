import { SignetError } from '../domain/errors.js';

/**
 * SQLite result codes (better-sqlite3 puts the extended name in `code`) of a
 * database that cannot take the statement now but may later: another process
 * holds the lock, the disk is full, the file cannot be read or written.
 */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|NOMEM|PROTOCOL)(_|$)/;

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `err` is SQLite saying "not now" (busy, locked, full, I/O) rather than "never". */
export function isSqliteUnavailable(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && UNAVAILABLE.test(code);
}

/** Maps such an error to ERR_UNAVAILABLE (503, retryable); other errors pass through unchanged. */
export function toSqliteStoreError(err: unknown): unknown {
  if (err instanceof SignetError || !isSqliteUnavailable(err)) return err;
  return new SignetError('ERR_UNAVAILABLE', `the database is unavailable (${codeOf(err)})`, {
    cause: err,
    retryable: true,
  });
}
