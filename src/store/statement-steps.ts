import { CompiledQuery, type Kysely, type QueryResult, type SqliteDatabase } from 'kysely';
import type { Database } from './schema.js';

/**
 * Writes described once and run on either store: a generator yields each
 * compiled statement and is given its result. On PostgreSQL (and in tests of
 * the generic path) Kysely runs them; on SQLite they run synchronously on
 * the store's one connection, while Kysely's lock on it is held. Through
 * Kysely every statement of a transaction costs several promise hops and a
 * pass through its connection provider. Measured with both versions of the
 * store in one process, in alternating slices (three submissions and three
 * completions per transaction): 8-9% less CPU per request (about 5 µs).
 */
export type WriteSteps<T> = Generator<CompiledQuery, T, QueryResult<unknown>>;

/** SQLite's connection as the synchronous runner needs it (see `preparedSqlite`). */
export interface SyncSqlite {
  prepare: SqliteDatabase['prepare'];
  inTransaction(): boolean;
}

/** Runs the steps through Kysely (`db` may be a transaction). */
export async function runStepsAsync<T>(db: Kysely<Database>, steps: WriteSteps<T>): Promise<T> {
  let next = steps.next();
  while (!next.done) next = steps.next(await db.executeQuery(next.value));
  return next.value;
}

/**
 * Runs the steps on SQLite's connection in one transaction (BEGIN IMMEDIATE,
 * as the store's driver begins them), holding Kysely's lock on that
 * connection so that no query of Kysely's runs in between.
 */
export function runStepsOnSqlite<T>(
  db: Kysely<Database>,
  sqlite: SyncSqlite,
  steps: WriteSteps<T>,
): Promise<T> {
  return db.connection().execute(async () => {
    run(sqlite, BEGIN);
    try {
      let next = steps.next();
      while (!next.done) next = steps.next(run(sqlite, next.value));
      run(sqlite, COMMIT);
      return next.value;
    } catch (err) {
      // After some errors (a full disk, an I/O error) SQLite has already rolled back; if
      // the rollback fails too, the error that ended the transaction is the one to report.
      try {
        if (sqlite.inTransaction()) run(sqlite, ROLLBACK);
      } catch {
        // reported below
      }
      throw err;
    }
  });
}

const BEGIN = CompiledQuery.raw('begin immediate');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

function run(sqlite: SyncSqlite, query: CompiledQuery): QueryResult<unknown> {
  const statement = sqlite.prepare(query.sql);
  if (statement.reader) return { rows: statement.all(query.parameters) };
  const { changes } = statement.run(query.parameters);
  return { rows: [], numAffectedRows: BigInt(changes) };
}
