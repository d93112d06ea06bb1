import type { Database as BetterSqlite3Database, Statement } from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { toSqliteStoreError } from './sqlite-errors.js';

const DEFAULT_CACHE_SIZE = 256;

/**
 * The SQLite database as Kysely's dialect sees it, with two additions Kysely
 * has no hook for: prepared statements are kept and reused by their SQL text
 * (Kysely prepares every query anew, which costs more than running it), and
 * busy/full/I-O errors become ERR_UNAVAILABLE at this boundary, so the HTTP
 * layer answers 503 and workers retry.
 */
export function preparedSqlite(
  database: BetterSqlite3Database,
  cacheSize = DEFAULT_CACHE_SIZE,
): SqliteDatabase {
  const cache = new Map<string, Statement>();

  function prepare(sql: string): Statement {
    let statement = cache.get(sql);
    // A statement still stepping through an iterate() cannot run again; prepare another.
    // Not moved to the back on a hit, as an LRU would: deleting and setting it again per query
    // rebuilt the Map's table every few queries (see RemovableList). The first kept goes first.
    if (statement && !statement.busy) return statement;
    statement = guard(() => database.prepare(sql));
    if (!cache.has(sql)) {
      cache.set(sql, statement);
      if (cache.size > cacheSize) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
    }
    return statement;
  }

  return {
    close: () => database.close(),
    prepare(sql: string): SqliteStatement {
      const statement = prepare(sql);
      return {
        reader: statement.reader,
        all: (parameters) => guard(() => statement.all(...parameters)),
        run: (parameters) => guard(() => statement.run(...parameters)),
        iterate: (parameters) => guardIterator(statement.iterate(...parameters)),
      };
    },
  };
}

function guard<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    throw toSqliteStoreError(err);
  }
}

function* guardIterator(iterator: IterableIterator<unknown>): IterableIterator<unknown> {
  try {
    yield* iterator;
  } catch (err) {
    throw toSqliteStoreError(err);
  }
}
