import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SignetError } from '../../../src/domain/errors.js';
import { systemClock, type CompletedResult } from '../../../src/domain/ports.js';
import type { RequestEnvelope } from '../../../src/domain/types.js';
import {
  AsynchronousWorker,
  type WorkerOptions,
} from '../../../src/service/asynchronous-worker.js';
import { InProcessNotifier } from '../../../src/store/in-process-notifier.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { tempDir } from '../../support/temp.js';

const KID = 'k1';
const ok = (envelope: RequestEnvelope): CompletedResult => ({
  token: `token-${envelope.requestId}`,
  kid: KID,
  signedResponse: { data: envelope.data, signature: 's', kid: KID, caLocations: [] },
});

describe('AsynchronousWorker', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let notifier: InProcessNotifier;
  let worker: AsynchronousWorker | undefined;

  beforeEach(async () => {
    dir = tempDir();
    store = await openStore({ kind: 'sqlite', path: `${dir.path}/signet.db` });
    notifier = new InProcessNotifier();
    await store.keys.insert({
      kid: KID,
      algorithm: 'EdDSA',
      status: 'active',
      publicJwk: { kty: 'OKP' },
      privateKeyRef: 'x',
      createdAt: new Date(),
    });
  });
  afterEach(async () => {
    await worker?.stop(100);
    worker = undefined;
    await store.close();
    dir.remove();
  });

  function startWorker(pipeline: WorkerOptions['pipeline'], extra: Partial<WorkerOptions> = {}) {
    worker = new AsynchronousWorker({
      queue: store.requests,
      notifier,
      pipeline,
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
      ...extra,
    });
    worker.start();
  }

  async function submit(data: unknown = { n: 1 }) {
    const { record } = await store.requests.enqueue({
      clientId: 'c',
      data,
      processor: 'notarize',
      fingerprint: 'f',
    });
    notifier.notify();
    return record.requestId;
  }

  async function settled(id: string, timeoutMs = 3000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = await store.requests.get(id);
      if (record && (record.status === 'completed' || record.status === 'failed')) return record;
      if (Date.now() > deadline) throw new Error(`request ${id} did not settle: ${record?.status}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('wakes on enqueue rather than on its idle recheck', async () => {
    startWorker(async (envelope) => ok(envelope));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const record = await settled(await submit());
    expect(record.status).toBe('completed');
    expect(record.token).toBe(`token-${record.requestId}`);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('retries retryable failures with backoff, then completes', async () => {
    let calls = 0;
    startWorker(async (envelope) => {
      calls++;
      if (calls < 3)
        throw new SignetError('ERR_CA_UNAVAILABLE', 'all CAs down', { retryable: true });
      return ok(envelope);
    });
    const record = await settled(await submit());
    expect(record).toMatchObject({ status: 'completed', attempts: 3 });
  });

  it('fails with a reason after the maximum number of attempts', async () => {
    startWorker(async () => {
      throw new SignetError('ERR_PROCESSOR_FAILED', 'upstream answered 503', { retryable: true });
    });
    const record = await settled(await submit());
    expect(record.status).toBe('failed');
    expect(record.attempts).toBe(3);
    expect(record.error).toMatch(
      /ERR_PROCESSOR_FAILED: upstream answered 503 \(gave up after 3 attempts\)/,
    );
  });

  it('fails at once on a non-retryable error, and hides unexpected ones', async () => {
    startWorker(async (envelope) => {
      if ((envelope.data as { n: number }).n === 1)
        throw new SignetError('ERR_UNKNOWN_PROCESSOR', 'nope');
      throw new Error('secret internal detail');
    });
    const first = await settled(await submit({ n: 1 }));
    const second = await settled(await submit({ n: 2 }));
    expect(first).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'ERR_UNKNOWN_PROCESSOR: nope',
    });
    expect(second).toMatchObject({ status: 'failed', attempts: 1, error: 'internal error' });
  });

  it('fails at once when every CA is down and onAllDown is fail', async () => {
    startWorker(
      async () => {
        throw new SignetError('ERR_CA_UNAVAILABLE', 'no healthy CA', { retryable: true });
      },
      { onAllDown: 'fail' },
    );
    const record = await settled(await submit());
    expect(record).toMatchObject({ status: 'failed', attempts: 1 });
    expect(record.error).toMatch(/ERR_CA_UNAVAILABLE/);
  });

  it('gives leased work back on stop', async () => {
    let release: () => void = () => undefined;
    startWorker(
      (envelope) =>
        new Promise((resolve) => {
          release = () => resolve(ok(envelope));
        }),
    );
    const id = await submit();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await store.requests.get(id))?.status).toBe('processing');
    await worker?.stop(50);
    worker = undefined;
    expect((await store.requests.get(id))?.status).toBe('queued');
    release();
  });

  it('leaves a request whose lease was taken over, without running the work again', async () => {
    let calls = 0;
    startWorker(
      async (envelope) => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 200));
        return ok(envelope);
      },
      { leaseMs: 50, concurrency: 1 },
    );
    const id = await submit();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [taken] = await store.requests.claim('w2', 1, 60_000);
    expect(taken?.envelope.requestId).toBe(id);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(calls).toBe(1);
    const record = await store.requests.get(id);
    expect(record?.status).toBe('processing');
    expect(await store.requests.complete(id, 'w2', ok(taken!.envelope))).toBe('completed');
  });

  describe('fast path: requests handed over by this process', () => {
    /** Enqueues a request as RequestProcessor does with a reserved slot. */
    async function handOver(data: unknown = { n: 1 }) {
      const slot = worker?.reserve();
      if (!slot) return undefined;
      const { record } = await store.requests.enqueue({
        clientId: 'c',
        data,
        processor: 'notarize',
        fingerprint: 'f',
        lease: slot.lease,
      });
      expect(record.status).toBe('processing');
      slot.adopt({
        attempts: 1,
        envelope: {
          requestId: record.requestId,
          clientId: record.clientId,
          data: record.data,
          processor: record.processor,
          receivedAt: record.createdAt,
        },
      });
      return record.requestId;
    }

    it('processes an adopted request without claiming it', async () => {
      let claims = 0;
      const claim = store.requests.claim.bind(store.requests);
      store.requests.claim = (...args) => {
        claims++;
        return claim(...args);
      };
      startWorker(async (envelope) => ok(envelope));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const before = claims;
      const ids = await Promise.all([handOver({ n: 1 }), handOver({ n: 2 }), handOver({ n: 3 })]);
      for (const id of ids) expect((await settled(id ?? ''))?.status).toBe('completed');
      // Nothing was queued for a claim, and completions do not send the idle worker claiming.
      expect(claims).toBe(before);
    });

    it('offers no more slots than its concurrency, and frees a cancelled one', async () => {
      let release = (): void => {};
      const blocked = new Promise<void>((resolve) => (release = resolve));
      startWorker(
        async (envelope) => {
          await blocked;
          return ok(envelope);
        },
        { concurrency: 2 },
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      const first = await handOver();
      const second = worker?.reserve();
      expect(first).toBeDefined();
      expect(second).toBeDefined();
      expect(worker?.reserve()).toBeUndefined();
      second?.cancel();
      second?.cancel();
      const third = worker?.reserve();
      expect(third).toBeDefined();
      expect(worker?.reserve()).toBeUndefined();
      third?.cancel();
      release();
      expect((await settled(first ?? '')).status).toBe('completed');
      expect(worker?.reserve()).toBeDefined();
    });

    it('offers no slot while queued work waits: it comes first', async () => {
      startWorker(async (envelope) => ok(envelope), { concurrency: 2 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const free = worker?.reserve();
      expect(free).toBeDefined();
      free?.cancel();
      // Queued (and notified) for any worker: a newcomer does not take its slot first.
      const queued = await submit({ n: 'queued' });
      expect(worker?.reserve()).toBeUndefined();
      expect((await settled(queued)).status).toBe('completed');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(worker?.reserve()).toBeDefined();
    });

    it('offers no slot once stopped; an adopted request left behind is delivered again', async () => {
      startWorker(async (envelope) => ok(envelope), { leaseMs: 100 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const slot = worker?.reserve();
      expect(slot).toBeDefined();
      await worker?.stop(50);
      expect(worker?.reserve()).toBeUndefined();
      const { record } = await store.requests.enqueue({
        clientId: 'c',
        data: 1,
        processor: 'notarize',
        fingerprint: 'f',
        ...(slot ? { lease: slot.lease } : {}),
      });
      slot?.cancel();
      // Leased to a stopped worker: another one takes it once the lease expires.
      await new Promise((resolve) => setTimeout(resolve, 150));
      const [taken] = await store.requests.claim('w2', 1, 60_000);
      expect(taken?.envelope.requestId).toBe(record.requestId);
      expect(taken?.attempts).toBe(2);
    });
  });
});
