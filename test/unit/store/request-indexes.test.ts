import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { CompiledQuery, Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { expiredLeaseQuery } from '../../../src/store/claim.js';
import { openStore } from '../../../src/store/index.js';
import { migrationProvider } from '../../../src/store/migrations.js';
import type { Database } from '../../../src/store/schema.js';
import { ManualClock } from '../../support/clock.js';
import { storeBackends, storePerTest } from '../../support/store-backends.js';
import { tempDir } from '../../support/temp.js';

const lease = { owner: 'w1', leaseMs: 60_000 };

/** How the database defines an index of `requests`, in its own spelling. */
async function indexDefinition(
  db: Kysely<Database>,
  name: string,
  on: 'SQLite' | 'PostgreSQL' = 'SQLite',
): Promise<string> {
  if (on === 'SQLite') {
    const rows = await sql<{
      sql: string;
    }>`SELECT sql FROM sqlite_master WHERE name = ${name}`.execute(db);
    return rows.rows[0]?.sql ?? '';
  }
  const rows = await sql<{ indexdef: string }>`
    SELECT indexdef FROM pg_indexes WHERE indexname = ${name}`.execute(db);
  return rows.rows[0]?.indexdef ?? '';
}

/** SQLite's plan for a query, one line per step. */
async function sqlitePlan(db: Kysely<Database>, query: CompiledQuery): Promise<string> {
  const plan = await db.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`EXPLAIN QUERY PLAN ${query.sql}`, [...query.parameters]),
  );
  return plan.rows.map((row) => row.detail).join('\n');
}

describe.each(await storeBackends())('request indexes on $name', (backend) => {
  const clock = new ManualClock();
  const fresh = storePerTest(backend, clock);

  it('index only the rows searched for: keyed requests, and processing ones by lease expiry', async () => {
    const store = fresh.store();
    expect(await indexDefinition(store.db, 'requests_idempotency', backend.name)).toMatch(
      /UNIQUE INDEX.*requests_idempotency.*WHERE.*idempotency_key.* IS NOT NULL/is,
    );
    expect(await indexDefinition(store.db, 'requests_lease', backend.name)).toMatch(
      /INDEX.*requests_lease.*status.*lease_expires_at.*WHERE.*status.*= 'processing'/is,
    );
  });

  it('still refuses a second request with the same key, and takes any number without one', async () => {
    const store = fresh.store();
    const submit = (idempotencyKey?: string) =>
      store.requests.enqueue({
        clientId: 'c',
        data: { n: 1 },
        processor: 'notarize',
        fingerprint: 'f',
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      });
    const first = await submit('k');
    const replay = await submit('k');
    expect(replay).toMatchObject({ created: false, record: { requestId: first.record.requestId } });
    await submit();
    await submit();
    const row = await store.db
      .selectFrom('requests')
      .selectAll()
      .where('id', '=', first.record.requestId)
      .executeTakeFirstOrThrow();
    const duplicate = store.db
      .insertInto('requests')
      .values({ ...row, id: '00000000-0000-7000-8000-00000000000d' })
      .execute();
    await expect(duplicate).rejects.toThrow();
    expect((await store.requests.counts()).queued).toBe(3);
  });

  it('finds an expired lease among processing requests', async () => {
    const store = fresh.store();
    const { record } = await store.requests.enqueue({
      clientId: 'c',
      data: { n: 2 },
      processor: 'notarize',
      fingerprint: '',
      lease,
    });
    const now = clock.now().getTime();
    expect(await expiredLeaseQuery(store.db, now).executeTakeFirst()).toBeUndefined();
    const later = now + lease.leaseMs + 1;
    expect(await expiredLeaseQuery(store.db, later).executeTakeFirst()).toEqual({
      id: record.requestId,
    });
  });
});

describe('request indexes in SQLite query plans', () => {
  it('serve the expired-lease search and the idempotent lookup', async () => {
    const dir = tempDir();
    const store = await openStore(
      { kind: 'sqlite', path: join(dir.path, 'signet.db') },
      new ManualClock(),
    );
    try {
      const expired = expiredLeaseQuery(store.db, Date.now()).compile();
      expect(await sqlitePlan(store.db, expired)).toMatch(/USING INDEX requests_lease/);
      const keyed = store.db
        .selectFrom('requests')
        .selectAll()
        .where('client_id', '=', 'c')
        .where('idempotency_key', '=', 'k')
        .compile();
      expect(await sqlitePlan(store.db, keyed)).toMatch(/USING INDEX requests_idempotency/);
    } finally {
      await store.close();
      dir.remove();
    }
  });
});

describe('migrating a SQLite database that holds requests to the partial indexes', () => {
  it('keeps every row, and the key still replays and refuses a duplicate', async () => {
    const dir = tempDir();
    const path = join(dir.path, 'signet.db');
    const before = new Kysely<Database>({
      dialect: new SqliteDialect({ database: new Sqlite(path) }),
    });
    const migrator = new Migrator({ db: before, provider: migrationProvider });
    expect((await migrator.migrateTo('0002_key_lifecycle')).error).toBeUndefined();
    const row = (id: string, idempotencyKey: string | null) => ({
      id,
      client_id: 'c',
      idempotency_key: idempotencyKey,
      fingerprint: 'f',
      data: '{"n":1}',
      processor: 'notarize',
      callback_url: null,
      status: 'queued',
      attempts: 0,
      lease_owner: null,
      lease_expires_at: null,
      next_attempt_at: 1,
      error: null,
      token: null,
      signed_response: null,
      kid: null,
      created_at: 1,
      updated_at: 1,
    });
    await before
      .insertInto('requests')
      .values([
        row('00000000-0000-7000-8000-000000000001', 'k'),
        row('00000000-0000-7000-8000-000000000002', null),
        row('00000000-0000-7000-8000-000000000003', null),
      ])
      .execute();
    await before.destroy();

    const store = await openStore({ kind: 'sqlite', path }, new ManualClock());
    try {
      expect((await store.requests.counts()).queued).toBe(3);
      const replay = await store.requests.enqueue({
        clientId: 'c',
        data: { n: 1 },
        processor: 'notarize',
        fingerprint: 'f',
        idempotencyKey: 'k',
      });
      expect(replay).toMatchObject({
        created: false,
        record: { requestId: '00000000-0000-7000-8000-000000000001' },
      });
      const duplicate = store.db
        .insertInto('requests')
        .values(row('00000000-0000-7000-8000-000000000004', 'k'))
        .execute();
      await expect(duplicate).rejects.toThrow();
      expect(await indexDefinition(store.db, 'requests_idempotency')).toMatch(/IS NOT NULL/i);
    } finally {
      await store.close();
      dir.remove();
    }
  });
});
