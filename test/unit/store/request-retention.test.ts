import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KeyRotationRecord } from '../../../src/domain/types.js';
import { RequestRetention, sweepIntervalMs } from '../../../src/service/request-retention.js';
import type { Store } from '../../../src/store/index.js';
import { ManualClock } from '../../support/clock.js';
import { type StoreFixture, storeBackends } from '../../support/store-backends.js';

const HOUR = 3600_000;
const key: KeyRotationRecord = {
  kid: 'k1',
  algorithm: 'EdDSA',
  status: 'active',
  publicJwk: { kty: 'OKP', crv: 'Ed25519', x: 'k1' },
  privateKeyRef: 'ref',
  createdAt: new Date(0),
};

describe.each(await storeBackends())('request retention on $name', (backend) => {
  let fixture: StoreFixture;
  let store: Store;
  let clock: ManualClock;

  beforeAll(async () => {
    fixture = await backend.setup();
  });
  afterAll(async () => fixture.teardown());
  beforeEach(async () => {
    clock = new ManualClock();
    store = await fixture.fresh(clock);
    await store.keys.insert(key);
  });
  afterEach(async () => fixture.closeAll());

  /** `n` requests submitted now, then settled as `how`; their ids. */
  async function requests(n: number, how: 'completed' | 'failed' | 'queued' | 'processing') {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const { record } = await store.requests.enqueue({
        clientId: 'c',
        data: { i },
        processor: 'notarize',
        fingerprint: `f${Math.random()}`,
      });
      ids.push(record.requestId);
    }
    if (how === 'queued') return ids;
    const claimed = await store.requests.claim('w', n, 10 * 24 * HOUR);
    for (const { envelope } of claimed) {
      const id = envelope.requestId;
      if (how === 'completed') {
        const result = {
          token: `t.${id}`,
          kid: 'k1',
          signedResponse: { data: 1, signature: 's', kid: 'k1', caLocations: [] },
        };
        expect(await store.requests.complete(id, 'w', result)).toBe('completed');
      } else if (how === 'failed') await store.requests.fail(id, 'w', 'ERR_X: no');
    }
    return ids;
  }

  const retention = (chunk = 2) =>
    new RequestRetention({
      queue: store.requests,
      clock,
      logger: pino({ level: 'silent' }),
      retainMs: HOUR,
      chunk,
    });
  const left = async (ids: string[]) =>
    (await Promise.all(ids.map((id) => store.requests.get(id)))).filter(Boolean).length;

  it('deletes settled requests older than the retention, in chunks, never unsettled ones', async () => {
    const completed = await requests(5, 'completed');
    const failed = await requests(2, 'failed');
    const processing = await requests(1, 'processing');
    const queued = await requests(1, 'queued');
    clock.advance(2 * HOUR);
    expect(await retention().runOnce()).toBe(7);
    expect(await left([...completed, ...failed])).toBe(0);
    expect(await left([...processing, ...queued])).toBe(2);
    expect(await store.requests.counts()).toEqual({
      queued: 1,
      processing: 1,
      completed: 0,
      failed: 0,
    });
    expect(await retention().runOnce()).toBe(0);
  });

  it('keeps settled requests until they are older than the retention', async () => {
    const completed = await requests(3, 'completed');
    clock.advance(HOUR / 2);
    expect(await retention(100).runOnce()).toBe(0);
    expect(await left(completed)).toBe(3);
    clock.advance(HOUR);
    expect(await retention(100).runOnce()).toBe(3);
    expect(await left(completed)).toBe(0);
  });

  it('once started, deletes within a tenth of the retention of their falling due', async () => {
    const completed = await requests(3, 'completed');
    const running = new RequestRetention({
      queue: store.requests,
      clock,
      logger: pino({ level: 'silent' }),
      retainMs: 10_000,
    });
    running.start();
    try {
      clock.advance(11_000);
      // Every 1 s; a pass every 10 s (the retention itself) would leave them for the whole wait.
      await expect.poll(() => left(completed), { timeout: 4_000, interval: 100 }).toBe(0);
    } finally {
      await running.stop();
    }
  });
});

describe('the retention sweep interval', () => {
  it('is a tenth of the retention, between 1 s and 10 s', () => {
    expect(sweepIntervalMs(30_000)).toBe(3_000);
    expect(sweepIntervalMs(2_000)).toBe(1_000);
    expect(sweepIntervalMs(30 * 24 * HOUR)).toBe(10_000);
  });
});
