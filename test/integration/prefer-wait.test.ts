import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import type { LocalCertificateAuthority } from '../../src/ca/local-ca.js';
import { KEY_REUSE_MS } from '../../src/service/signing-pipeline.js';
import { createTestService, type TestService } from '../support/service.js';

/** POST /request with `Prefer: wait=N` against the real service: the token in one round trip. */
describe('Prefer: wait on POST /request', () => {
  let ctx: TestService;
  let app: FastifyInstance;
  let headers: Record<string, string>;

  beforeAll(async () => {
    ctx = await createTestService('validation: { healthInterval: PT1S }\n');
    await ctx.service.start();
    const token = await ctx.service.tokens.add('alice', 'client');
    headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    app = await buildApp({ api: ctx.service.api, config: ctx.service.config });
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  const submit = (extra: Record<string, string>, data: unknown = { n: 1 }) =>
    app.inject({
      method: 'POST',
      url: '/request',
      headers: { ...headers, ...extra },
      payload: { data },
    });

  it('answers 200 with the completed status and token when it is ready in time', async () => {
    const res = await submit({ prefer: 'wait=10' }, { order: 7 });
    expect(res.statusCode).toBe(200);
    expect(res.headers['preference-applied']).toBe('wait=10');
    const view = res.json<{ requestId: string; status: string; token: string }>();
    expect(view.status).toBe('completed');
    expect(res.headers.location).toBe(`/status/${view.requestId}`);
    const claims = JSON.parse(Buffer.from(view.token.split('.')[1] ?? '', 'base64url').toString());
    expect(claims).toMatchObject({
      jti: view.requestId,
      sub: 'alice',
      data: { request: { order: 7 } },
    });
    // The same as GET /status answers.
    const status = await app.inject({ url: `/status/${view.requestId}`, headers });
    expect(status.json()).toEqual(view);
  });

  it('signs with the new key right after a rotation, although keys are reused between signatures', async () => {
    const kidOf = (token: string) =>
      (
        JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as {
          kid: string;
        }
      ).kid;
    const before = kidOf((await submit({ prefer: 'wait=10' })).json<{ token: string }>().token);
    const { activeKid } = await ctx.service.api.rotate({ id: 'admin', role: 'admin' });
    expect(activeKid).not.toBe(before);
    const started = performance.now();
    const after = kidOf((await submit({ prefer: 'wait=10' })).json<{ token: string }>().token);
    // Sooner than KEY_REUSE_MS: the key change, not the expiry, made it look again.
    expect(performance.now() - started).toBeLessThan(KEY_REUSE_MS);
    expect(after).toBe(activeKid);
  });

  it('holds a request at once when every CA turns unhealthy, although validations are reused', async () => {
    expect((await submit({ prefer: 'wait=10' })).json<{ status: string }>().status).toBe(
      'completed',
    );
    const breakers = ctx.service.cas.map((ca) => ctx.service.health.breaker(ca.id));
    for (const breaker of breakers) breaker.trip(new Error('down for the test'));
    // Sooner than KEY_REUSE_MS after a validation: the health change, not the expiry, counts.
    const { requestId } = (await submit({})).json<{ requestId: string }>();
    const client = { id: 'alice', role: 'client' as const };
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await ctx.service.api.status(client, requestId, 0)).status).toBe('queued');
    for (const breaker of breakers) breaker.recordSuccess();
    expect((await ctx.service.api.status(client, requestId, 15_000)).status).toBe('completed');
  });

  it('caps the wait at server.maxWait and says so', async () => {
    const res = await submit({ prefer: 'wait=100000' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['preference-applied']).toBe(
      `wait=${ctx.service.config.server.maxWait / 1000}`,
    );
  });

  it('keeps the 202 without the preference, and with one it cannot honour in time', async () => {
    const plain = await submit({});
    expect(plain.statusCode).toBe(202);
    expect(plain.headers['preference-applied']).toBeUndefined();

    const cas = ctx.service.cas as unknown as LocalCertificateAuthority[];
    for (const ca of cas) ca.setAvailable(false);
    try {
      // Once the probes have opened both breakers, nothing completes until the CAs are back.
      await expect
        .poll(async () => (await ctx.service.api.health()).status, { timeout: 10_000 })
        .toBe('unavailable');
      const started = Date.now();
      const late = await submit({ prefer: 'wait=1' }, { n: 'late' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(late.statusCode).toBe(202);
      expect(late.headers['preference-applied']).toBe('wait=1');
      expect(late.json<{ status: string }>().status).toMatch(/^(queued|processing)$/);
    } finally {
      for (const ca of cas) ca.setAvailable(true);
    }
  });
});
