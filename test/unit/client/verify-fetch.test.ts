import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ResponseCache,
  verifyResponseToken,
  type VerifyOptions,
} from '../../../src/client/index.js';
import { expectCode } from './expect-code.js';
import { countingServer, type Identity, MiniSignet } from './mini-signet.js';

/** Where the verifier connects, and how: allow-list first, then no redirects, caps and a cache. */
describe('verifyResponseToken: fetching x5u and revocation data', () => {
  let mini: MiniSignet;
  let id: Identity;
  let elsewhere: Awaited<ReturnType<typeof countingServer>>;
  const options = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({
    trust: [mini.cas.get('ca-a')?.pem ?? ''],
    allowOrigins: [mini.url],
    cache: new ResponseCache(),
    ...extra,
  });
  /** A token whose x5u (and CA location) is `x5u`. */
  const pointingAt = (x5u: string) =>
    mini.token(id, {
      header: { x5u },
      claims: { ca: [{ id: 'ca-a', x5u, ocsp: `${mini.url}/ocsp/ca-a` }] },
    });

  beforeAll(async () => {
    mini = await MiniSignet.start();
    id = await mini.identity('EdDSA');
    elsewhere = await countingServer((_req, res) => res.writeHead(200).end(id.chainPem));
  });
  afterAll(async () => {
    await mini.stop();
    await elsewhere.stop();
  });

  it('refuses an x5u outside the allow-list without connecting to it', async () => {
    const token = pointingAt(`${elsewhere.url}/certs/${id.kid}/ca-a.pem`);
    const err = await expectCode(verifyResponseToken(token, options()), 'ERR_X5U_NOT_ALLOWED');
    expect(err.message).toContain(elsewhere.url);
    await expectCode(
      verifyResponseToken(token, options({ allowOrigins: [] })),
      'ERR_X5U_NOT_ALLOWED',
    );
    expect(elsewhere.connections()).toBe(0);
    // The same token is accepted once that origin is allowed: the refusal was the allow-list's.
    const accepted = await verifyResponseToken(
      token,
      options({ allowOrigins: [elsewhere.url, mini.url] }),
    );
    expect(accepted.cas[0]?.x5u).toContain(elsewhere.url);
    expect(elsewhere.connections()).toBe(1);
  });

  it('requires https unless the origin is allowed over http explicitly', async () => {
    const before = elsewhere.connections();
    const token = pointingAt(`${elsewhere.url}/chain.pem`);
    const httpsOnly = elsewhere.url.replace('http:', 'https:');
    const err = await expectCode(
      verifyResponseToken(token, options({ allowOrigins: [httpsOnly] })),
      'ERR_X5U_NOT_ALLOWED',
    );
    expect(err.message).toMatch(/not https/);
    const withUser = pointingAt(elsewhere.url.replace('http://', 'http://user:pw@') + '/chain.pem');
    await expectCode(
      verifyResponseToken(withUser, options({ allowOrigins: [elsewhere.url] })),
      'ERR_X5U_NOT_ALLOWED',
    );
    expect(elsewhere.connections()).toBe(before);
  });

  it('does not follow redirects', async () => {
    mini.overrides.set('/moved.pem', (_req, res) => res.writeHead(302, { location: id.x5u }).end());
    const before = mini.requests.length;
    const err = await expectCode(
      verifyResponseToken(pointingAt(`${mini.url}/moved.pem`), options()),
      'ERR_FETCH_FAILED',
    );
    expect(err.message).toMatch(/redirect \(302\)/);
    expect(mini.requests.slice(before)).toEqual(['GET /moved.pem']);
  });

  it('caps the size of what it reads, declared or streamed', async () => {
    const big = 'x'.repeat(100 * 1024);
    mini.overrides.set('/big.pem', (_req, res) =>
      res.writeHead(200, { 'content-length': big.length }).end(big),
    );
    mini.overrides.set('/stream.pem', (_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 100; i++) res.write('x'.repeat(1024));
      res.end();
    });
    for (const path of ['/big.pem', '/stream.pem']) {
      const err = await expectCode(
        verifyResponseToken(pointingAt(`${mini.url}${path}`), options()),
        'ERR_FETCH_FAILED',
      );
      expect(err.message).toMatch(/larger than 65536 bytes/);
    }
  });

  it('gives up on a server that does not answer in time', async () => {
    mini.overrides.set('/slow.pem', () => undefined);
    const started = Date.now();
    const err = await expectCode(
      verifyResponseToken(pointingAt(`${mini.url}/slow.pem`), options({ timeoutMs: 300 })),
      'ERR_FETCH_FAILED',
    );
    expect(err.message).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reports an error status', async () => {
    const err = await expectCode(
      verifyResponseToken(pointingAt(`${mini.url}/certs/none.pem`), options()),
      'ERR_FETCH_FAILED',
    );
    expect(err.status).toBe(404);
  });

  it('caches the chain between verifications', async () => {
    const cache = new ResponseCache();
    const token = mini.token(id);
    const path = `GET /certs/${id.kid}/ca-a.pem`;
    const before = mini.requests.filter((r) => r === path).length;
    await verifyResponseToken(token, options({ cache }));
    await verifyResponseToken(token, options({ cache }));
    expect(mini.requests.filter((r) => r === path).length - before).toBe(1);
  });

  it('with the chain at hand and offline mode, connects to nothing', async () => {
    const isolated = await MiniSignet.start();
    try {
      const own = await isolated.identity('ES256');
      const result = await verifyResponseToken(isolated.token(own), {
        trust: [isolated.cas.get('ca-a')?.pem ?? ''],
        certificates: { [own.x5u]: own.chainPem },
        offline: true,
      });
      expect(result.revocation.source).toBe('none');
      expect(result.data).toEqual({ answer: 42 });
      expect(isolated.connections).toBe(0);
    } finally {
      await isolated.stop();
    }
  });

  it('checks revocation locations against the allow-list too', async () => {
    const token = mini.token(id, {
      claims: {
        ca: [{ id: 'ca-a', x5u: id.x5u, ocsp: `${elsewhere.url}/ocsp/ca-a` }],
        key: { kid: id.kid, status: 'active', revocations: `${elsewhere.url}/revocations` },
      },
    });
    const before = elsewhere.connections();
    const err = await expectCode(verifyResponseToken(token, options()), 'ERR_REVOCATION_UNKNOWN');
    expect(err.message).toMatch(/OCSP at ca-a: .*not on the allow-list/);
    expect(err.message).toMatch(/revocation list: .*not on the allow-list/);
    expect(elsewhere.connections()).toBe(before);
  });
});
