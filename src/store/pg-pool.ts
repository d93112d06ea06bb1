import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { isConnectionLost, toStoreError } from './pg-errors.js';

export interface PgSettings {
  url: string;
  /** Connections in this instance's pool (the LISTEN and leader connections come on top). */
  poolSize?: number;
  /** The longest a statement may run on the server. */
  statementTimeoutMs?: number;
}

const INT8_OID = 20;

/** Times are integer milliseconds in bigint columns: read int8 as a number (exact below 2^53). */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** Connection settings shared by the pool and the dedicated (LISTEN, leader) connections. */
export function clientConfig(settings: PgSettings): pg.ClientConfig {
  const statementTimeout = settings.statementTimeoutMs ?? 30_000;
  return {
    connectionString: settings.url,
    application_name: 'signet',
    statement_timeout: statementTimeout,
    // Client-side bound for a server that stopped answering (no reset, no FIN).
    query_timeout: statementTimeout + 5_000,
    connectionTimeoutMillis: Math.min(5_000, statementTimeout),
    keepAlive: true,
    types,
  };
}

export function createPgPool(settings: PgSettings): pg.Pool {
  const pool = new pg.Pool({
    ...clientConfig(settings),
    max: settings.poolSize ?? 10,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that breaks is dropped by the pool; without a listener the process would crash.
  pool.on('error', () => undefined);
  // Same for a checked-out connection that breaks between two queries: the next query reports it.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * The pool as Kysely sees it, with outages turned into ERR_UNAVAILABLE and
 * broken connections discarded instead of going back to the pool. Kysely has
 * no error hook of its own, so this sits between it and pg.
 */
export function guardedPool(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw toStoreError(err);
      }
      let broken = false;
      const query = async (text: string, parameters: ReadonlyArray<unknown>) => {
        try {
          return await client.query(text, [...parameters]);
        } catch (err) {
          if (isConnectionLost(err)) broken = true;
          throw toStoreError(err);
        }
      };
      return {
        query: query as unknown as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(destroy === true || broken),
      };
    },
    end: () => pool.end(),
  };
}
