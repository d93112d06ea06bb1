import { Kysely, PostgresDialect } from 'kysely';
import { PgLeaderLock } from './pg-leader-lock.js';
import { PgListener } from './pg-listener.js';
import { PgKeyChangeNotifier, PgWorkNotifier } from './pg-notifiers.js';
import { type PgSettings, clientConfig, createPgPool, guardedPool } from './pg-pool.js';
import type { Database } from './schema.js';
import type { StoreBackend } from './store-backend.js';
import { postgresDialect } from './store-dialect.js';

/** PostgreSQL: a pool for queries, plus one LISTEN connection and one leader-lock connection. */
export function openPostgresBackend(settings: PgSettings): StoreBackend {
  const pool = createPgPool(settings);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: guardedPool(pool) }) });
  const listener = new PgListener(clientConfig(settings));
  const leader = new PgLeaderLock(clientConfig(settings));
  return {
    db,
    dialect: postgresDialect(),
    notifier: new PgWorkNotifier(listener, pool),
    keyChanges: new PgKeyChangeNotifier(listener),
    leader,
    listening: () => listener.connected,
    close: async () => {
      await leader.stop();
      await listener.close();
      await db.destroy();
    },
  };
}
