import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { join } from 'node:path';
import type { Clock } from '../../src/domain/ports.js';
import { openStore, type Store, type StoreLocation } from '../../src/store/index.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from './postgres.js';
import { tempDir } from './temp.js';

/** One database (a SQLite file or a PostgreSQL database) that the store contract runs on. */
export interface StoreFixture {
  /** Empties the database and opens a store on it. */
  fresh(clock: Clock): Promise<Store>;
  /**
   * Another instance on the same database. PostgreSQL: one more store (pool, LISTEN and
   * leader connections). SQLite serves one process per file, and two connections in one
   * process would block each other's event loop: there it is the same store.
   */
  another(clock: Clock): Promise<Store>;
  /** Closes every store opened since the last call. */
  closeAll(): Promise<void>;
  teardown(): Promise<void>;
  postgres?: TestDatabase;
}

export interface StoreBackend {
  name: 'SQLite' | 'PostgreSQL';
  setup(): Promise<StoreFixture>;
}

const TABLES = 'requests, keys, certificates, local_cas, clients, audit_events';

function fixture(
  location: () => StoreLocation,
  reset: () => Promise<void>,
  teardown: () => Promise<void>,
  postgres?: TestDatabase,
): StoreFixture {
  const sharesOneStore = postgres === undefined;
  const open: Store[] = [];
  const track = async (clock: Clock) => {
    const store = await openStore(location(), clock);
    open.push(store);
    return store;
  };
  return {
    fresh: async (clock) => {
      await reset();
      return track(clock);
    },
    another: async (clock) => (sharesOneStore && open[0] ? open[0] : track(clock)),
    closeAll: async () => {
      await Promise.all(open.splice(0).map((store) => store.close()));
    },
    teardown,
    ...(postgres ? { postgres } : {}),
  };
}

const sqlite: StoreBackend = {
  name: 'SQLite',
  setup: async () => {
    const dir = tempDir();
    let path = '';
    let n = 0;
    return fixture(
      () => ({ kind: 'sqlite', path }),
      async () => {
        path = join(dir.path, `signet-${n++}.db`);
      },
      async () => dir.remove(),
    );
  },
};

const postgres: StoreBackend = {
  name: 'PostgreSQL',
  setup: async () => {
    const database = await createTestDatabase();
    return fixture(
      () => ({ kind: 'postgres', url: database.url, poolSize: 4 }),
      async () => {
        const [exists] = await database.query(`SELECT to_regclass('public.keys') AS t`);
        if (exists?.t) await database.query(`TRUNCATE ${TABLES} RESTART IDENTITY`);
      },
      () => database.drop(),
      database,
    );
  },
};

/** SQLite always; PostgreSQL when it answers (and always in CI, where it must). */
export async function storeBackends(): Promise<StoreBackend[]> {
  return (await postgresAvailable()) ? [sqlite, postgres] : [sqlite];
}

/**
 * The hooks of a describe block run on one backend: the fixture set up once,
 * a fresh store before each test (then `prepare`), every store closed after it.
 */
export function storePerTest(
  backend: StoreBackend,
  clock: Clock,
  prepare: (store: Store) => Promise<void> = async () => undefined,
): { store(): Store; fixture(): StoreFixture } {
  let fixture: StoreFixture | undefined;
  let store: Store | undefined;
  beforeAll(async () => {
    fixture = await backend.setup();
  });
  afterAll(async () => fixture?.teardown());
  beforeEach(async () => {
    store = await (fixture as StoreFixture).fresh(clock);
    await prepare(store);
  });
  afterEach(async () => fixture?.closeAll());
  return {
    store: () => store as Store,
    fixture: () => fixture as StoreFixture,
  };
}
