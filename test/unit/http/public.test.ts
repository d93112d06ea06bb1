import { afterEach, describe, expect, it } from 'vitest';
import { PEM } from './stub-api.js';
import { bearer, expectProblem, makeApp, type Harness } from './harness.js';

describe('http: public routes', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.app.close();
    h = undefined;
  });

  it('answers /health 200 when ok or degraded and 503 when unavailable', async () => {
    h = await makeApp();
    const ok = await h.app.inject({ url: '/health' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'ok', activeKid: 'kid-1', cas: [{ id: 'local-a' }] });
    h.api.healthStatus = 'degraded';
    expect((await h.app.inject({ url: '/health' })).statusCode).toBe(200);
    h.api.healthStatus = 'unavailable';
    const down = await h.app.inject({ url: '/health' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'unavailable', queue: { queued: 1 } });
  });

  it('serves the JWKS as application/jwk-set+json, cacheable for keys.jwksMaxAge, without private members', async () => {
    h = await makeApp();
    const res = await h.app.inject({ url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/jwk-set\+json/);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.json()).toEqual({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'kid-1' }] });
    expect(res.body).not.toContain('SECRET');
  });

  it('answers 304 to a JWKS request whose If-None-Match holds the current ETag', async () => {
    h = await makeApp();
    const first = await h.app.inject({ url: '/.well-known/jwks.json' });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    const again = await h.app.inject({
      url: '/.well-known/jwks.json',
      headers: { 'if-none-match': `W/${etag}, "x"` },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers['cache-control']).toBe('public, max-age=300');
    const stale = await h.app.inject({
      url: '/.well-known/jwks.json',
      headers: { 'if-none-match': '"old"' },
    });
    expect(stale.statusCode).toBe(200);
  });

  it('serves certificate chains and CA roots as PEM, 404 for unknown ones', async () => {
    h = await makeApp();
    const chain = await h.app.inject({ url: '/certs/kid-1/local-a.pem' });
    expect(chain.statusCode).toBe(200);
    expect(chain.headers['content-type']).toMatch(/^application\/pem-certificate-chain/);
    expect(chain.body).toBe(PEM);
    const root = await h.app.inject({ url: '/cas/local-a/root.pem' });
    expect(root.headers['content-type']).toMatch(/^application\/pem-certificate-chain/);
    expect(root.body).toBe(PEM);
    expectProblem(await h.app.inject({ url: '/certs/kid-1/local-b.pem' }), 404, 'ERR_NOT_FOUND');
  });

  it('lists the CAs', async () => {
    h = await makeApp();
    const res = await h.app.inject({ url: '/cas' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ cas: [{ id: 'local-a', healthy: true, lastError: null }] });
  });

  it('serves the revocation list as application/jwt', async () => {
    h = await makeApp();
    const res = await h.app.inject({ url: '/revocations' });
    expect(res.headers['content-type']).toMatch(/^application\/jwt/);
    expect(res.body.split('.')).toHaveLength(3);
  });

  it('serves /metrics to anyone when metricsPublic', async () => {
    h = await makeApp({ metricsPublic: true });
    const res = await h.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0.0.4/);
    expect(res.body).toContain('signet_requests_total 3');
  });

  it('restricts /metrics to admins when metricsPublic is false', async () => {
    h = await makeApp({ metricsPublic: false });
    expectProblem(await h.app.inject({ url: '/metrics' }), 401, 'ERR_UNAUTHENTICATED');
    const client = await h.app.inject({ url: '/metrics', headers: bearer('alice') });
    expectProblem(client, 403, 'ERR_FORBIDDEN');
    const admin = await h.app.inject({ url: '/metrics', headers: bearer('admin') });
    expect(admin.statusCode).toBe(200);
    expect(admin.body).toContain('signet_requests_total');
  });

  it('describes the API in /openapi.json', async () => {
    h = await makeApp();
    const res = await h.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/request',
        '/status/{requestId}',
        '/revoke/{keyId}',
        '/health',
        '/.well-known/jwks.json',
        '/cas',
        '/metrics',
      ]),
    );
    expect(JSON.stringify(doc.paths['/request'])).toContain('Idempotent-Replayed');
  });

  it('serves the Swagger UI at /docs with its assets from the package', async () => {
    h = await makeApp();
    const page = await h.app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const script = /src="([^"]*swagger-ui-bundle\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    const asset = await h.app.inject({ url: new URL(script ?? '', 'http://x/docs').pathname });
    expect(asset.statusCode).toBe(200);
    expect(asset.body.length).toBeGreaterThan(100_000);
  });
});
