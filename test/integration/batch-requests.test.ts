import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { createTestService, type TestService } from '../support/service.js';

interface Item {
  requestId?: string;
  status?: string;
  statusUrl?: string;
  token?: string;
  problem?: { status: number; code: string; detail: string };
}

const claims = (token = '') =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
    jti: string;
    data: { request: unknown };
  };

/** POST /requests against the real service. */
describe('POST /requests (batches)', () => {
  let ctx: TestService;
  let app: FastifyInstance;
  let headers: Record<string, string>;

  beforeAll(async () => {
    ctx = await createTestService();
    await ctx.service.start();
    const token = await ctx.service.tokens.add('alice', 'client');
    headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    app = await buildApp({ api: ctx.service.api, config: ctx.service.config });
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  const post = (payload: object | string, extra: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/requests', headers: { ...headers, ...extra }, payload });

  it('queues every item and answers one result per item, in order', async () => {
    const res = await post({ items: [{ data: 1 }, { data: 'two' }, { data: { three: 3 } }] });
    expect(res.statusCode).toBe(202);
    const { items } = res.json<{ items: Item[] }>();
    expect(items).toHaveLength(3);
    for (const item of items) {
      // Stored already leased to this instance's idle worker, which processes it at once.
      expect(item.status).toBe('processing');
      expect(item.statusUrl).toBe(`${ctx.service.config.publicUrl}/status/${item.requestId}`);
    }
    const client = { id: 'alice', role: 'client' as const };
    const views = await Promise.all(
      items.map((i) => ctx.service.api.status(client, i.requestId ?? '', 10_000)),
    );
    expect(views.map((v) => claims(v.token).data.request)).toEqual([1, 'two', { three: 3 }]);
  });

  it('with Prefer: wait, answers 200 with every token once all are settled', async () => {
    const data = Array.from({ length: 20 }, (_, n) => ({ n }));
    const res = await post({ items: data.map((d) => ({ data: d })) }, { prefer: 'wait=10' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['preference-applied']).toBe('wait=10');
    const { items } = res.json<{ items: Item[] }>();
    expect(items.map((i) => i.status)).toEqual(data.map(() => 'completed'));
    expect(items.map((i) => claims(i.token).jti)).toEqual(items.map((i) => i.requestId));
    expect(items.map((i) => claims(i.token).data.request)).toEqual(data);
  });

  it('refuses one item with its problem and queues the others', async () => {
    const res = await post({ items: [{ data: 1 }, { data: 2, processor: 'nope' }, { data: 3 }] });
    expect(res.statusCode).toBe(202);
    const { items } = res.json<{ items: Item[] }>();
    expect(items[1]).toEqual({
      problem: { status: 422, code: 'ERR_UNKNOWN_PROCESSOR', detail: 'unknown processor "nope"' },
    });
    expect(items[0]?.requestId).toBeDefined();
    expect(items[2]?.requestId).toBeDefined();
  });

  it('honours an idempotency key per item', async () => {
    const batch = {
      items: [
        { data: 'a', idempotencyKey: 'batch-a' },
        { data: 'b', idempotencyKey: 'batch-b' },
      ],
    };
    const first = (await post(batch)).json<{ items: Item[] }>().items;
    const again = (await post(batch)).json<{ items: Item[] }>().items;
    expect(again.map((i) => i.requestId)).toEqual(first.map((i) => i.requestId));
    const changed = await post({ items: [{ data: 'other', idempotencyKey: 'batch-a' }] });
    expect(changed.json<{ items: Item[] }>().items[0]?.problem?.code).toBe(
      'ERR_IDEMPOTENCY_MISMATCH',
    );
  });

  it.each([
    ['no items', { items: [] }],
    ['too many items', { items: Array.from({ length: 101 }, () => ({ data: 1 })) }],
    ['an unknown member', { items: [{ data: 1, extra: true }] }],
    ['an item without data', { items: [{ processor: 'notarize' }] }],
  ])('answers 400 for %s', async (_name, payload) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json<{ code: string }>().code).toBe('ERR_VALIDATION');
  });

  it('refuses an item whose data cannot be canonicalized, as POST /request does', async () => {
    const res = await post('{"items":[{"data":1},{"data":1e400}]}');
    expect(res.statusCode).toBe(202);
    const { items } = res.json<{ items: Item[] }>();
    expect(items[0]?.requestId).toBeDefined();
    expect(items[1]?.problem).toMatchObject({ status: 400, code: 'ERR_VALIDATION' });
  });

  it('needs a token', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/requests',
      payload: { items: [{ data: 1 }] },
    });
    expect(res.statusCode).toBe(401);
  });
});
