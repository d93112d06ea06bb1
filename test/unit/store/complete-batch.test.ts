import { beforeEach, describe, expect, it } from 'vitest';
import { keyRecord as key } from '../../support/records.js';
import type { CompletedResult, CompleteOutcome } from '../../../src/domain/ports.js';
import type { Store } from '../../../src/store/index.js';
import { ManualClock } from '../../support/clock.js';
import { storeBackends, storePerTest } from '../../support/store-backends.js';

const result = (kid: string, n: number) => ({
  token: `t.${n}.${kid}`,
  kid,
  signedResponse: { data: { n }, signature: String(n), kid, caLocations: [] },
});

describe.each(await storeBackends())('the completions of one turn on $name', (backend) => {
  const clock = new ManualClock();
  const fresh = storePerTest(backend, clock, async (s) => {
    await s.keys.insert(key('good', 'active'));
    await s.keys.insert(key('gone', 'revoked'));
  });
  let store: Store;
  beforeEach(() => {
    store = fresh.store();
  });

  /** Completions asked for in the same turn: the queue records them in one transaction (GroupCommit). */
  function completeTogether(
    owner: string,
    items: { requestId: string; result: CompletedResult }[],
  ): Promise<CompleteOutcome[]> {
    return Promise.all(
      items.map((item) => store.requests.complete(item.requestId, owner, item.result)),
    );
  }

  async function leased(n: number, owner = 'w1'): Promise<string[]> {
    for (let i = 0; i < n; i++) {
      await store.requests.enqueue({
        clientId: 'c',
        data: { i },
        processor: 'notarize',
        fingerprint: `f${i}`,
      });
    }
    return (await store.requests.claim(owner, n, 60_000)).map((c) => c.envelope.requestId);
  }

  it('completes a batch in one go, each with its own token, and counts each signature once', async () => {
    const ids = await leased(5);
    const outcomes = await completeTogether(
      'w1',
      ids.map((requestId, n) => ({ requestId, result: result('good', n) })),
    );
    expect(outcomes).toEqual(ids.map(() => 'completed'));
    for (const [n, id] of ids.entries()) {
      expect((await store.requests.get(id))?.token).toBe(`t.${n}.good`);
    }
    expect((await store.keys.get('good'))?.signatures).toBe(5);
  });

  it('refuses, item by item, a lost lease and a revoked key, and completes the rest', async () => {
    const [mine, stolen, revokedKey, alsoMine] = await leased(4);
    if (!mine || !stolen || !revokedKey || !alsoMine)
      throw new Error('four leased requests expected');
    // `stolen` is taken by another worker once its lease has expired.
    await store.requests.releaseAll('w1');
    clock.advance(1);
    const reclaimed = await store.requests.claim('w2', 4, 60_000);
    expect(reclaimed).toHaveLength(4);
    for (const { envelope } of reclaimed) {
      if (envelope.requestId !== stolen)
        await store.requests.retry(envelope.requestId, 'w2', 'x', 0);
    }
    const again = await store.requests.claim('w1', 3, 60_000);
    expect(again.map((c) => c.envelope.requestId).sort()).toEqual(
      [mine, revokedKey, alsoMine].sort(),
    );

    const outcomes = await completeTogether('w1', [
      { requestId: mine, result: result('good', 0) },
      { requestId: stolen, result: result('good', 1) },
      { requestId: revokedKey, result: result('gone', 2) },
      { requestId: alsoMine, result: result('good', 3) },
    ]);
    expect(outcomes).toEqual(['completed', 'lease-lost', 'key-revoked', 'completed']);
    expect((await store.requests.get(stolen))?.status).toBe('processing');
    expect((await store.requests.get(revokedKey))?.status).toBe('processing');
    expect((await store.keys.get('good'))?.signatures).toBe(2);
    expect((await store.keys.get('gone'))?.signatures ?? 0).toBe(0);
  });
});
