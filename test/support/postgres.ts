import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { requireExternal } from './requirements.js';

/** The server the distributed-mode tests use (trust auth on 127.0.0.1 here and in CI). */
export const POSTGRES_ADMIN_URL =
  process.env.SIGNET_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function probe(): Promise<void> {
  const client = new pg.Client({
    connectionString: POSTGRES_ADMIN_URL,
    connectionTimeoutMillis: 3000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

let available: Promise<boolean> | undefined;

/** Whether PostgreSQL answers; skips locally, fails under CI=true. */
export function postgresAvailable(): Promise<boolean> {
  available ??= requireExternal(`PostgreSQL at ${POSTGRES_ADMIN_URL}`, probe);
  return available;
}

export interface TestDatabase {
  name: string;
  url: string;
  /** A URL to the same database through another host and port (e.g. a proxy). */
  urlVia(host: string, port: number): string;
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

function withDatabase(base: string, name: string, host?: string, port?: number): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  if (host !== undefined) url.hostname = host;
  if (port !== undefined) url.port = String(port);
  return url.toString();
}

/** Databases of runs that were killed before dropping theirs are removed after this long. */
const STALE_AFTER_S = 3600;

async function dropStale(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname ~ '^signet_test_[0-9]+_'`,
  );
  const now = Math.floor(Date.now() / 1000);
  for (const { datname } of rows) {
    const created = Number(datname.split('_')[2]);
    if (now - created > STALE_AFTER_S) {
      await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => undefined);
    }
  }
}

/** A fresh database `signet_test_<seconds>_<random>` for one test file; `drop()` removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `signet_test_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await dropStale(admin);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(POSTGRES_ADMIN_URL, name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  return {
    name,
    url,
    urlVia: (host, port) => withDatabase(POSTGRES_ADMIN_URL, name, host, port),
    query: async <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
      (await pool.query<R>(text, values)).rows,
    drop: async () => {
      await pool.end();
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
