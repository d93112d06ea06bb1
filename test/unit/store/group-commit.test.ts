import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompletedResult } from '../../../src/domain/ports.js';
import { completionStatements } from '../../../src/store/complete-batch.js';
import { GroupCommit } from '../../../src/store/group-commit.js';
import { openStore, type Store } from '../../../src/store/index.js';
import type { Database, RequestsTable } from '../../../src/store/schema.js';
import { ManualClock } from '../../support/clock.js';
import { keyRecord } from '../../support/records.js';
import { storeBackends, storePerTest } from '../../support/store-backends.js';
import { tempDir } from '../../support/temp.js';

const OWNER = 'w1';
const lease = { owner: OWNER, leaseMs: 60_000 };
const result = (n: number): CompletedResult => ({
  token: `t.${n}`,
  kid: 'good',
  signedResponse: { data: { n }, signature: String(n), kid: 'good', caLocations: [] },
});

async function submitLeased(store: Store, n: number): Promise<string> {
  const { record } = await store.requests.enqueue({
    clientId: 'c',
    data: { n },
    processor: 'notarize',
    fingerprint: '',
    lease,
  });
  return record.requestId;
}

/** The stored row of a leased submission, under another id: what GroupCommit is given to insert. */
async function rowLike(store: Store, sourceId: string, id: string): Promise<RequestsTable> {
  const source = await store.db
    .selectFrom('requests')
    .selectAll()
    .where('id', '=', sourceId)
    .executeTakeFirstOrThrow();
  return { ...source, id };
}

/** The store's Kysely, counting what commits: transactions, and statements run outside one. */
function counting(db: Kysely<Database>): { db: Kysely<Database>; commits(): number } {
  let commits = 0;
  const proxy = new Proxy(db, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      const counts = property === 'transaction' || property === 'executeQuery';
      return (...args: unknown[]) => {
        if (counts) commits++;
        return method.apply(target, args);
      };
    },
  });
  return { db: proxy, commits: () => commits };
}

describe('GroupCommit on SQLite', () => {
  const dir = tempDir();
  const path = join(dir.path, 'signet.db');
  let store: Store;

  beforeEach(async () => {
    store = await openStore({ kind: 'sqlite', path }, new ManualClock());
    await store.keys.insert(keyRecord('good', 'active'));
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it('still writes the submissions when the completions of their turn fail', async () => {
    const clock = new ManualClock();
    const writes = new GroupCommit(store.db, completionStatements(), clock);
    const earlier = await submitLeased(store, 1);
    const another = await rowLike(store, earlier, '00000000-0000-7000-8000-000000000001');
    // SQLite cannot bind an object: the completion's statement throws.
    const unbindable = { ...result(1), token: {} as unknown as string };
    const [inserted, completed] = await Promise.allSettled([
      writes.insert(another),
      writes.complete(OWNER, { requestId: earlier, result: unbindable }),
    ]);
    expect(inserted.status).toBe('fulfilled');
    expect(completed.status).toBe('rejected');
    expect(await store.requests.get('00000000-0000-7000-8000-000000000001')).toBeDefined();
    expect((await store.requests.get(earlier))?.status).toBe('processing');
  });

  // SQLite cannot bind an object; PostgreSQL would store it as JSON.
  it('writes none of the completions of a transaction that fails', async () => {
    const writes = new GroupCommit(store.db, completionStatements(), new ManualClock());
    const [first, second] = await Promise.all([1, 2].map((n) => submitLeased(store, n)));
    // The second cannot be bound (an object), after the first was written in the same transaction.
    const unbindable = { ...result(2), token: {} as unknown as string };
    const outcomes = await Promise.allSettled([
      writes.complete(OWNER, { requestId: first ?? '', result: result(1) }),
      writes.complete(OWNER, { requestId: second ?? '', result: unbindable }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    for (const id of [first, second]) {
      const record = await store.requests.get(id ?? '');
      expect(record?.status).toBe('processing');
      expect(record?.token).toBeUndefined();
    }
    const key = await store.db
      .selectFrom('keys')
      .select('signatures')
      .where('kid', '=', 'good')
      .executeTakeFirstOrThrow();
    expect(Number(key.signatures)).toBe(0);
  });
});

describe.each(await storeBackends())('GroupCommit on $name', (backend) => {
  const clock = new ManualClock();
  const fresh = storePerTest(backend, clock, async (s) => {
    await s.keys.insert(keyRecord('good', 'active'));
  });

  it("writes a turn's submissions and completions in one transaction", async () => {
    const store = fresh.store();
    const counted = counting(store.db);
    const writes = new GroupCommit(counted.db, completionStatements(), clock);
    const earlier = await Promise.all([1, 2, 3].map((n) => submitLeased(store, n)));
    const later = ['00000000-0000-7000-8000-000000000011', '00000000-0000-7000-8000-000000000012'];
    const rows = await Promise.all(later.map((id) => rowLike(store, earlier[0] ?? '', id)));
    const outcomes = await Promise.all([
      ...rows.map((row) => writes.insert(row)),
      ...earlier.map((id, n) => writes.complete(OWNER, { requestId: id, result: result(n) })),
    ]);
    expect(counted.commits()).toBe(1);
    expect(outcomes).toEqual([undefined, undefined, 'completed', 'completed', 'completed']);
    for (const id of earlier) expect((await store.requests.get(id))?.status).toBe('completed');
    for (const id of later) expect((await store.requests.get(id))?.status).toBe('processing');
  });

  it('writes the parts of different turns on their own', async () => {
    const store = fresh.store();
    const counted = counting(store.db);
    const writes = new GroupCommit(counted.db, completionStatements(), clock);
    const earlier = await submitLeased(store, 1);
    await writes.insert(await rowLike(store, earlier, '00000000-0000-7000-8000-000000000021'));
    await writes.complete(OWNER, { requestId: earlier, result: result(1) });
    expect(counted.commits()).toBe(2);
  });

  it('still completes the requests of a turn whose INSERT fails', async () => {
    const store = fresh.store();
    const writes = new GroupCommit(store.db, completionStatements(), clock);
    const earlier = await submitLeased(store, 1);
    const taken = await rowLike(store, earlier, earlier);
    const [inserted, completed] = await Promise.allSettled([
      // The id is taken: a unique violation.
      writes.insert(taken),
      writes.complete(OWNER, { requestId: earlier, result: result(1) }),
    ]);
    expect(inserted.status).toBe('rejected');
    expect(completed).toEqual({ status: 'fulfilled', value: 'completed' });
    expect((await store.requests.get(earlier))?.token).toBe('t.1');
  });

  it('answers each completion with its own outcome', async () => {
    const store = fresh.store();
    const writes = new GroupCommit(store.db, completionStatements(), clock);
    const mine = await submitLeased(store, 1);
    const another = await rowLike(store, mine, '00000000-0000-7000-8000-000000000002');
    const outcomes = await Promise.all([
      writes.insert(another),
      writes.complete(OWNER, { requestId: mine, result: result(1) }),
      writes.complete(OWNER, {
        requestId: '00000000-0000-7000-8000-0000000000ff',
        result: result(2),
      }),
    ]);
    expect(outcomes).toEqual([undefined, 'completed', 'lease-lost']);
  });
});
