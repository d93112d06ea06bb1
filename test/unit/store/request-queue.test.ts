import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/index.js';
import { keyRecord as key } from '../../support/records.js';
import { ManualClock } from '../../support/clock.js';
import { storeBackends, storePerTest } from '../../support/store-backends.js';

const result = (kid: string) => ({
  token: 'a.b.c',
  kid,
  signedResponse: { data: { ok: true }, signature: 'c', kid, caLocations: [] },
});

describe.each(await storeBackends())('StoreRequestQueue on $name', (backend) => {
  const clock = new ManualClock();
  const fresh = storePerTest(backend, clock, async (s) => {
    await s.keys.insert(key('k1', 'active'));
  });
  let store: Store;
  beforeEach(() => {
    store = fresh.store();
  });

  const submit = (extra: { idempotencyKey?: string; fingerprint?: string } = {}) =>
    store.requests.enqueue({
      clientId: 'alice',
      data: { n: 1 },
      processor: 'notarize',
      fingerprint: extra.fingerprint ?? 'f1',
      ...(extra.idempotencyKey ? { idempotencyKey: extra.idempotencyKey } : {}),
    });

  it('enqueues, leases once, and completes only for the lease holder', async () => {
    const { record } = await submit();
    expect(record.status).toBe('queued');
    const [claimed] = await store.requests.claim('w1', 10, 1000);
    expect(claimed?.envelope.requestId).toBe(record.requestId);
    expect(claimed?.attempts).toBe(1);
    expect(await store.requests.claim('w2', 10, 1000)).toHaveLength(0);
    expect(await store.requests.complete(record.requestId, 'w2', result('k1'))).toBe('lease-lost');
    expect(await store.requests.complete(record.requestId, 'w1', result('k1'))).toBe('completed');
    const done = await store.requests.get(record.requestId);
    expect(done?.status).toBe('completed');
    expect(done?.token).toBe('a.b.c');
    expect(await store.requests.complete(record.requestId, 'w1', result('k1'))).toBe('lease-lost');
  });

  it('delivers leased work again once the lease expires, and the old holder can no longer complete', async () => {
    const { record } = await submit();
    await store.requests.claim('dead-worker', 10, 1000);
    clock.advance(999);
    expect(await store.requests.claim('w2', 10, 1000)).toHaveLength(0);
    clock.advance(2);
    const [again] = await store.requests.claim('w2', 10, 1000);
    expect(again?.envelope.requestId).toBe(record.requestId);
    expect(again?.attempts).toBe(2);
    expect(await store.requests.complete(record.requestId, 'dead-worker', result('k1'))).toBe(
      'lease-lost',
    );
    expect(await store.requests.complete(record.requestId, 'w2', result('k1'))).toBe('completed');
  });

  it('claims expired leases first, then due requests oldest first, never more than the limit', async () => {
    const stale = (await submit()).record;
    await store.requests.claim('dead-worker', 1, 1000);
    clock.advance(10);
    const first = (await submit()).record;
    clock.advance(10);
    const second = (await submit()).record;
    clock.advance(1000);
    const third = (await submit()).record;
    const ids = (claimed: { envelope: { requestId: string } }[]) =>
      claimed.map((c) => c.envelope.requestId);
    expect(ids(await store.requests.claim('w1', 2, 1000))).toEqual([
      stale.requestId,
      first.requestId,
    ]);
    expect(ids(await store.requests.claim('w1', 5, 1000))).toEqual([
      second.requestId,
      third.requestId,
    ]);
    expect(await store.requests.claim('w2', 5, 1000)).toHaveLength(0);
  });

  it('stores a request already leased to the worker that will process it, claimable only once the lease expires', async () => {
    const { record } = await store.requests.enqueue({
      clientId: 'alice',
      data: { n: 1 },
      processor: 'notarize',
      fingerprint: 'f1',
      lease: { owner: 'w1', leaseMs: 1000 },
    });
    expect(record.status).toBe('processing');
    expect(await store.requests.claim('w2', 10, 1000)).toHaveLength(0);
    clock.advance(1001);
    const [again] = await store.requests.claim('w2', 10, 1000);
    expect(again?.envelope.requestId).toBe(record.requestId);
    expect(again?.attempts).toBe(2);
    expect(await store.requests.complete(record.requestId, 'w1', result('k1'))).toBe('lease-lost');
  });

  it('stores submissions of the same moment together, each with its own id', async () => {
    const records = await Promise.all(Array.from({ length: 50 }, () => submit()));
    const ids = new Set(records.map((r) => r.record.requestId));
    expect(ids.size).toBe(50);
    for (const id of ids) expect((await store.requests.get(id))?.status).toBe('queued');
  });

  it('retries after the given delay and fails with a reason', async () => {
    const { record } = await submit();
    await store.requests.claim('w1', 10, 1000);
    expect(await store.requests.retry(record.requestId, 'w1', 'CA down', 500)).toBe(true);
    expect(await store.requests.nextDueAt()).toEqual(new Date(clock.now().getTime() + 500));
    expect(await store.requests.claim('w1', 10, 1000)).toHaveLength(0);
    clock.advance(500);
    expect(await store.requests.claim('w1', 10, 1000)).toHaveLength(1);
    expect(await store.requests.fail(record.requestId, 'w1', 'gave up')).toBe(true);
    const failed = await store.requests.get(record.requestId);
    expect(failed).toMatchObject({ status: 'failed', error: 'gave up', attempts: 2 });
  });

  it('refuses to complete with a revoked key', async () => {
    await store.keys.insert(key('k0', 'pending'));
    await store.keys.revoke('k0', 'keyCompromise', clock.now());
    const { record } = await submit();
    await store.requests.claim('w1', 10, 1000);
    expect(await store.requests.complete(record.requestId, 'w1', result('k0'))).toBe('key-revoked');
    expect(await store.requests.complete(record.requestId, 'w1', result('k1'))).toBe('completed');
  });

  it('honours idempotency keys per client and refuses a reused key with other content', async () => {
    const first = await submit({ idempotencyKey: 'abc' });
    const second = await submit({ idempotencyKey: 'abc' });
    expect(second.created).toBe(false);
    expect(second.record.requestId).toBe(first.record.requestId);
    await expect(submit({ idempotencyKey: 'abc', fingerprint: 'other' })).rejects.toMatchObject({
      code: 'ERR_IDEMPOTENCY_MISMATCH',
    });
  });

  it('releases leases on shutdown without counting an attempt', async () => {
    const { record } = await submit();
    await store.requests.claim('w1', 10, 60_000);
    expect(await store.requests.releaseAll('w1')).toBe(1);
    const [again] = await store.requests.claim('w2', 10, 1000);
    expect(again?.envelope.requestId).toBe(record.requestId);
    expect(again?.attempts).toBe(1);
  });

  it('lets the database hold at most one active key', async () => {
    await expect(store.keys.insert(key('k2', 'active'))).rejects.toThrow(/unique/i);
    await store.keys.insert(key('k2', 'pending'));
    expect(
      await store.keys.swapActive({
        expectedActiveKid: 'k0',
        newKid: 'k2',
        outcome: 'retired',
        at: clock.now(),
      }),
    ).toBe(false);
    expect(
      await store.keys.swapActive({
        expectedActiveKid: 'k1',
        newKid: 'k2',
        outcome: 'retired',
        at: clock.now(),
      }),
    ).toBe(true);
    expect((await store.keys.getActive())?.kid).toBe('k2');
    expect((await store.keys.get('k1'))?.status).toBe('retired');
  });
});
