import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SignetError } from '../../../src/domain/errors.js';
import { type RequestQueue, systemClock } from '../../../src/domain/ports.js';
import { AsynchronousWorker } from '../../../src/service/asynchronous-worker.js';
import { InProcessNotifier } from '../../../src/store/in-process-notifier.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { tempDir } from '../../support/temp.js';

const unavailable = () =>
  new SignetError('ERR_UNAVAILABLE', 'the database is unavailable', { retryable: true });

/**
 * A fake outage in front of the real SQLite queue: while `down`, every call
 * fails as the PostgreSQL store does when the server is unreachable. (The
 * real outage, through a TCP proxy, is in test/e2e/database-outage.test.ts.)
 */
function withOutage(queue: RequestQueue) {
  const state = { down: true, claims: [] as number[] };
  const fake = new Proxy(queue, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (name === 'claim') state.claims.push(Date.now());
        if (state.down) return Promise.reject(unavailable());
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { queue: fake, state };
}

describe('AsynchronousWorker while the store is unreachable', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;

  beforeEach(async () => {
    dir = tempDir();
    store = await openStore({ kind: 'sqlite', path: `${dir.path}/signet.db` });
    await store.keys.insert({
      kid: 'k1',
      algorithm: 'EdDSA',
      status: 'active',
      publicJwk: { kty: 'OKP' },
      privateKeyRef: 'x',
      createdAt: new Date(),
    });
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it('backs off between failed claims, then processes the waiting work once the store is back', async () => {
    const { record } = await store.requests.enqueue({
      clientId: 'c',
      data: { n: 1 },
      processor: 'notarize',
      fingerprint: 'f',
    });
    const { queue, state } = withOutage(store.requests);
    const worker = new AsynchronousWorker({
      queue,
      notifier: new InProcessNotifier(),
      pipeline: async (envelope) => ({
        token: `token-${envelope.requestId}`,
        kid: 'k1',
        signedResponse: { data: envelope.data, signature: 's', kid: 'k1', caLocations: [] },
      }),
      owner: 'w1',
      leaseMs: 5000,
      batchSize: 8,
      concurrency: 4,
      maxAttempts: 3,
      backoffMs: 10,
      maxBackoffMs: 50,
      onAllDown: 'retry',
      clock: systemClock,
      logger: pino({ level: 'silent' }),
    });
    worker.start();
    await new Promise((resolve) => setTimeout(resolve, 1_900));
    // 250, 500, 1000 ms apart: a handful of tries, not a busy loop.
    expect(state.claims.length).toBeGreaterThanOrEqual(3);
    expect(state.claims.length).toBeLessThanOrEqual(5);
    const gaps = state.claims.slice(1).map((at, i) => at - (state.claims[i] ?? at));
    expect(gaps[0]).toBeGreaterThanOrEqual(200);
    expect(gaps[1]).toBeGreaterThanOrEqual(450);

    state.down = false;
    const deadline = Date.now() + 6_000;
    while ((await store.requests.get(record.requestId))?.status !== 'completed') {
      if (Date.now() > deadline) throw new Error('the request was not completed after the outage');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Stopping while the store is down again does not throw: the leases just expire.
    state.down = true;
    await expect(worker.stop(50)).resolves.toBeUndefined();
  });
});
