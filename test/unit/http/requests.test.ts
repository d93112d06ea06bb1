import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, expectProblem, makeApp, type Harness } from './harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('http: POST /request and GET /status', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeApp({ maxWait: 5_000 });
  });
  afterEach(async () => {
    await h.app.close();
  });

  async function submit(who: 'alice' | 'bob' | 'admin', extra: Record<string, string> = {}) {
    return h.app.inject({
      method: 'POST',
      url: '/request',
      headers: { ...bearer(who), ...extra },
      payload: { data: { hello: 'world' }, processor: 'notarize' },
    });
  }

  it('answers 202 with requestId, status, statusUrl and a Location header', async () => {
    const res = await submit('alice');
    expect(res.statusCode).toBe(202);
    const body = res.json<{ requestId: string; status: string; statusUrl: string }>();
    expect(body.requestId).toMatch(UUID);
    expect(body.status).toBe('queued');
    expect(res.headers.location).toBe(`/status/${body.requestId}`);
    expect(body.statusUrl).toBe(`https://signet.example/status/${body.requestId}`);
    expect(h.api.submits[0]?.body).toEqual({ data: { hello: 'world' }, processor: 'notarize' });
  });

  it('passes the Idempotency-Key through and marks a replay', async () => {
    const first = await submit('alice', { 'idempotency-key': 'order 42/a' });
    const again = await submit('alice', { 'idempotency-key': 'order 42/a' });
    expect(h.api.submits.map((s) => s.key)).toEqual(['order 42/a', 'order 42/a']);
    expect(first.statusCode).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
  });

  it('refuses an Idempotency-Key that is too long or not printable', async () => {
    expectProblem(
      await submit('alice', { 'idempotency-key': 'k'.repeat(256) }),
      400,
      'ERR_VALIDATION',
    );
    expectProblem(await submit('alice', { 'idempotency-key': 'tab\there' }), 400, 'ERR_VALIDATION');
    expect(h.api.submits).toHaveLength(0);
  });

  it("lets the owner and an admin read a request, and answers 404 for another client's", async () => {
    const { requestId } = (await submit('alice')).json<{ requestId: string }>();
    const own = await h.app.inject({ url: `/status/${requestId}`, headers: bearer('alice') });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toEqual({ requestId, status: 'queued' });
    const admin = await h.app.inject({ url: `/status/${requestId}`, headers: bearer('admin') });
    expect(admin.statusCode).toBe(200);
    const other = await h.app.inject({ url: `/status/${requestId}`, headers: bearer('bob') });
    expectProblem(other, 404, 'ERR_NOT_FOUND');
  });

  it('turns ?wait=N seconds into milliseconds for the service, 0 by default', async () => {
    const { requestId } = (await submit('alice')).json<{ requestId: string }>();
    await h.app.inject({ url: `/status/${requestId}`, headers: bearer('alice') });
    await h.app.inject({ url: `/status/${requestId}?wait=1`, headers: bearer('alice') });
    expect(h.api.statusCalls.map((c) => c.waitMs)).toEqual([0, 1000]);
  });

  it('refuses a wait above server.maxWait or not a whole number', async () => {
    const { requestId } = (await submit('alice')).json<{ requestId: string }>();
    for (const wait of ['6', '-1', '1.5', 'soon', '', '99999999999']) {
      const res = await h.app.inject({
        url: `/status/${requestId}?wait=${wait}`,
        headers: bearer('alice'),
      });
      expect(expectProblem(res, 400, 'ERR_VALIDATION').detail).toContain('wait');
    }
    expect(h.api.statusCalls).toHaveLength(0);
  });

  it('refuses a requestId that is not a UUID before reaching the service', async () => {
    const res = await h.app.inject({ url: '/status/not-a-uuid', headers: bearer('alice') });
    expect(expectProblem(res, 400, 'ERR_VALIDATION').detail).toContain('requestId');
    expect(h.api.statusCalls).toHaveLength(0);
  });
});
