import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keyRecord as key } from '../support/records.js';
import { openStore, type Store } from '../../src/store/index.js';
import { ManualClock } from '../support/clock.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const result = (kid: string) => ({
  token: 'a.b.c',
  kid,
  signedResponse: { data: {}, signature: 'c', kid, caLocations: [] },
});

// Generous: leadership moves within one lock interval (1 s), but CI machines can be busy.
const until = async (
  check: () => boolean | Promise<boolean>,
  state: () => string = () => '',
  ms = 20_000,
): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met in time ${state()}`.trim());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe.skipIf(!(await postgresAvailable()))('PostgreSQL coordination between instances', () => {
  let database: TestDatabase;
  const stores: Store[] = [];
  const clock = new ManualClock();
  const open = async (url = database.url, extra: { statementTimeoutMs?: number } = {}) => {
    const store = await openStore({ kind: 'postgres', url, poolSize: 4, ...extra }, clock);
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    const [exists] = await database.query(`SELECT to_regclass('public.keys') AS t`);
    if (exists?.t) await database.query('TRUNCATE requests, keys, audit_events');
  });
  afterAll(async () => database.drop());

  it('lets several instances start at once on an empty database (one migration)', async () => {
    const fresh = await createTestDatabase();
    try {
      const started = await Promise.all([1, 2, 3].map(() => open(fresh.url)));
      await Promise.all(started.map((store) => store.requests.counts()));
      const migrations = await fresh.query<{ name: string }>(
        'SELECT name FROM kysely_migration ORDER BY name',
      );
      expect(migrations.map((m) => m.name)).toContain('0001_initial');
    } finally {
      await Promise.all(stores.splice(0).map((store) => store.close()));
      await fresh.drop();
    }
  });

  it('never completes with a key whose revocation committed while the completion ran', async () => {
    const store = await open();
    await store.keys.insert(key('k1', 'retired'));
    const { record } = await store.requests.enqueue({
      clientId: 'c',
      data: {},
      processor: 'notarize',
      fingerprint: 'f',
    });
    await store.requests.claim('w1', 1, 60_000);

    // Another instance revokes k1 and has not committed yet.
    const revoker = new pg.Client({ connectionString: database.url });
    await revoker.connect();
    await revoker.query('BEGIN');
    await revoker.query(`UPDATE keys SET status = 'revoked' WHERE kid = 'k1'`);
    let settled = false;
    const completion = store.requests.complete(record.requestId, 'w1', result('k1')).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false); // waits on the key row instead of trusting its snapshot
    await revoker.query('COMMIT');
    await revoker.end();

    expect(await completion).toBe('key-revoked');
    expect((await store.requests.get(record.requestId))?.status).toBe('processing');
    expect((await store.keys.get('k1'))?.signatures).toBe(0);
  });

  it('takes over leadership when the leader dies, with one leader at a time', async () => {
    // The first leader reaches the database through a proxy, so that its death can be
    // final, as with kill -9: a live instance whose session was merely ended may win the
    // lock back at its next try, which is correct but is not a takeover.
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(database.url).port || 5432));
    try {
      const first = await open(database.urlVia('127.0.0.1', proxy.port));
      await first.leader.start();
      expect(first.leader.isLeader()).toBe(true);
      const [b, c] = [await open(), await open()];
      await Promise.all([b, c].map((store) => store.leader.start()));
      const all = [first, b, c];
      const leaders = () => all.filter((store) => store.leader.isLeader());
      const described = () => `leaders: [${all.map((s) => s.leader.isLeader()).join(', ')}]`;
      expect(leaders()).toEqual([first]);

      // Its connections die and it cannot reconnect: PostgreSQL ends the session and
      // releases the advisory lock; a follower takes it at its next try.
      proxy.cut();
      await until(() => leaders().length === 1 && leaders()[0] !== first, described);
      expect(first.leader.isLeader()).toBe(false);

      // An orderly stop hands over too.
      const second = leaders()[0];
      await second?.leader.stop();
      await until(() => leaders().length === 1 && leaders()[0] !== second, described);
    } finally {
      await proxy.close();
    }
  });

  it('re-establishes LISTEN after its connection is cut, and says changes may have been missed', async () => {
    const [a, b] = [await open(), await open()];
    const seen: Array<string | undefined> = [];
    b.keyChanges.subscribe((change) => seen.push(change?.kid));
    await until(() => b.listening());
    await database.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND query LIKE 'LISTEN%'`,
      [database.name],
    );
    await until(() => seen.includes(undefined)); // reconnected: listeners re-read
    await a.keys.insert(key('k9', 'pending'));
    await a.keys.revoke('k9', 'superseded', clock.now());
    await until(() => seen.includes('k9'));
  });

  describe('when the database is unreachable', () => {
    let proxy: TcpProxy;
    beforeAll(async () => {
      proxy = await startTcpProxy('127.0.0.1', Number(new URL(database.url).port || 5432));
    });
    afterAll(async () => proxy.close());

    it('answers ERR_UNAVAILABLE (retryable) and works again once it is back', async () => {
      const store = await open(database.urlVia('127.0.0.1', proxy.port));
      await store.requests.counts();
      proxy.cut();
      for (const attempt of [
        () => store.requests.counts(),
        () =>
          store.requests.enqueue({
            clientId: 'c',
            data: {},
            processor: 'notarize',
            fingerprint: 'f',
          }),
        () => store.requests.claim('w', 5, 1000),
      ]) {
        await expect(attempt()).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE', retryable: true });
      }
      proxy.restore();
      await until(async () => (await store.requests.counts().catch(() => undefined)) !== undefined);
      const { created } = await store.requests.enqueue({
        clientId: 'c',
        data: {},
        processor: 'notarize',
        fingerprint: 'f',
      });
      expect(created).toBe(true);
    });

    it('turns a statement over storage.statementTimeout into ERR_UNAVAILABLE', async () => {
      const store = await open(database.url, { statementTimeoutMs: 200 });
      await expect(sql`SELECT pg_sleep(2)`.execute(store.db)).rejects.toMatchObject({
        code: 'ERR_UNAVAILABLE',
      });
      await expect(store.requests.counts()).resolves.toMatchObject({ queued: 0 });
    });
  });
});
