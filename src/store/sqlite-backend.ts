import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import { AlwaysLeader } from './always-leader.js';
import { InProcessKeyChanges } from './in-process-key-changes.js';
import { InProcessNotifier } from './in-process-notifier.js';
import type { StoreBackend } from './store-backend.js';
import type { Database } from './schema.js';
import { backgroundCheckpoints, type SqliteCheckpointer } from './sqlite-checkpointer.js';
import { preparedSqlite } from './sqlite-statements.js';
import { toSqliteStoreError } from './sqlite-errors.js';
import { sqliteDialect } from './store-dialect.js';

/**
 * Transactions take SQLite's write lock when they begin (BEGIN IMMEDIATE), waiting up to the
 * busy timeout. A deferred transaction that reads and then writes fails at once with "database
 * is locked" when another process (e.g. the CLI beside the server) wrote in between.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly inTransaction: () => boolean,
  ) {
    super(config);
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  /**
   * After some errors (a full disk, an I/O error) SQLite has already rolled
   * the transaction back; a ROLLBACK would then fail with "no transaction is
   * active" and that error, not the one that ended the transaction (retryable,
   * a 503), would reach the caller.
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.inTransaction()) await super.rollbackTransaction(connection);
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(
    config: SqliteDialectConfig,
    private readonly inTransaction: () => boolean,
  ) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config, this.inTransaction);
  }
}

/** SQLite: one file, one process; notifications stay in the process and it always leads. */
export function openSqliteBackend(path: string): StoreBackend {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash (kill -9); only an OS crash can lose the last commits.
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect(
      { database: preparedSqlite(database) },
      () => database.inTransaction,
    ),
  });
  const dataVersion = database.prepare('PRAGMA data_version').pluck();
  let checkpointer: SqliteCheckpointer | undefined;
  const keyChanges = new InProcessKeyChanges();
  return {
    db,
    dialect: sqliteDialect(keyChanges),
    notifier: new InProcessNotifier(),
    keyChanges,
    leader: new AlwaysLeader(),
    listening: () => true,
    externalChanges: () => {
      try {
        return Number(dataVersion.get());
      } catch (err) {
        throw toSqliteStoreError(err);
      }
    },
    startBackgroundWork: () => {
      if (path !== ':memory:' && database.open)
        checkpointer ??= backgroundCheckpoints(database, path);
    },
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}
