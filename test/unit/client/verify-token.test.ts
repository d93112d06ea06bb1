import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ResponseCache,
  verifyResponseToken,
  type VerifyOptions,
} from '../../../src/client/index.js';
import { expectCode, withHeader, withPayload } from './expect-code.js';
import { b64, type Identity, MiniSignet, signCompact } from './mini-signet.js';

/** The token itself: what it says, how it is signed, and by which key. */
describe('verifyResponseToken: the token', () => {
  let mini: MiniSignet;
  let ed: Identity;
  let es: Identity;
  let rsa: Identity;
  const options = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({
    trust: [mini.cas.get('ca-a')?.pem ?? ''],
    allowOrigins: [mini.url],
    cache: new ResponseCache(),
    ...extra,
  });

  beforeAll(async () => {
    mini = await MiniSignet.start();
    ed = await mini.identity('EdDSA');
    es = await mini.identity('ES256');
    rsa = await mini.identity('RS256');
  });
  afterAll(() => mini.stop());

  it.each(['EdDSA', 'ES256', 'ES384', 'RS256', 'PS256'] as const)(
    'accepts a %s token signed with node:crypto, checked online at OCSP',
    async (alg) => {
      const id = await mini.identity(alg);
      const result = await verifyResponseToken(mini.token(id), options());
      expect(result.data).toEqual({ answer: 42 });
      expect(result.header.kid).toBe(id.kid);
      expect(result.cas).toEqual([
        expect.objectContaining({ id: 'ca-a', x5u: id.x5u, anchor: 'CN=Mini CA A' }),
      ]);
      expect(result.cas[0]?.chain).toHaveLength(2);
      expect(result.revocation).toMatchObject({ source: 'ocsp', caIds: ['ca-a'] });
    },
  );

  it('refuses altered data', async () => {
    const token = withPayload(mini.token(ed), (claims) => {
      claims.data = { answer: 43 };
    });
    await expectCode(verifyResponseToken(token, options()), 'ERR_SIGNATURE_INVALID');
  });

  it('refuses an altered header', async () => {
    const token = withHeader(mini.token(ed), (header) => {
      header.cty = 'text/plain';
    });
    await expectCode(verifyResponseToken(token, options()), 'ERR_SIGNATURE_INVALID');
  });

  it('refuses a kid swapped for another key, signed or not', async () => {
    const swapped = withHeader(mini.token(ed), (header) => {
      header.kid = es.kid;
    });
    await expectCode(verifyResponseToken(swapped, options()), 'ERR_KID_MISMATCH');
    const resigned = mini.token(ed, { header: { kid: es.kid } });
    await expectCode(verifyResponseToken(resigned, options()), 'ERR_KID_MISMATCH');
    const claimOnly = mini.token(ed, {
      claims: { key: { kid: es.kid, status: 'active', revocations: mini.revocationsUrl } },
    });
    await expectCode(verifyResponseToken(claimOnly, options()), 'ERR_KID_MISMATCH');
  });

  it('refuses a token signed by another key than its certificate', async () => {
    const intruder = await mini.identity('EdDSA');
    const forged = mini.token(ed, { signWith: intruder });
    await expectCode(verifyResponseToken(forged, options()), 'ERR_SIGNATURE_INVALID');
  });

  it('refuses alg "none" and symmetric algorithms', async () => {
    const none = `${b64(JSON.stringify({ alg: 'none', kid: ed.kid, typ: 'signet-response+jwt', x5u: ed.x5u, 'x5t#S256': ed.thumbprint }))}.${mini.token(ed).split('.')[1]}.`;
    const err = await expectCode(verifyResponseToken(none, options()), 'ERR_ALG_NOT_ALLOWED');
    expect(err.message).toMatch(/never accepted/);
    const hs = withHeader(mini.token(ed), (header) => {
      header.alg = 'HS256';
    });
    await expectCode(verifyResponseToken(hs, options()), 'ERR_ALG_NOT_ALLOWED');
  });

  it("refuses an algorithm that is allowed but not on the caller's list", async () => {
    await expectCode(
      verifyResponseToken(mini.token(rsa), options({ algorithms: ['EdDSA'] })),
      'ERR_ALG_NOT_ALLOWED',
    );
  });

  it('refuses an RSA key used with an EC algorithm, and a P-256 key with ES384', async () => {
    const rsaAsEc = mini.token(rsa, { header: { alg: 'ES256' } });
    const err = await expectCode(verifyResponseToken(rsaAsEc, options()), 'ERR_ALG_NOT_ALLOWED');
    expect(err.message).toMatch(/rsa 2048-bit/);
    const wrongCurve = mini.token(es, { header: { alg: 'ES384' } });
    await expectCode(verifyResponseToken(wrongCurve, options()), 'ERR_ALG_NOT_ALLOWED');
  });

  it('refuses another typ', async () => {
    const jwt = mini.token(ed, { header: { typ: 'JWT' } });
    await expectCode(verifyResponseToken(jwt, options()), 'ERR_TYP_INVALID');
    const list = mini.revocationList(ed);
    await expectCode(verifyResponseToken(list, options()), 'ERR_TYP_INVALID');
  });

  it('refuses what is not a token', async () => {
    for (const bad of ['', 'a.b', 'a.b.c.d', '!!.??.**', `${b64('[1]')}.${b64('{}')}.`]) {
      await expectCode(verifyResponseToken(bad, options()), 'ERR_TOKEN_MALFORMED');
    }
    const noCa = mini.token(ed, { claims: { ca: [] } });
    await expectCode(verifyResponseToken(noCa, options()), 'ERR_TOKEN_MALFORMED');
    const noX5t = withHeader(mini.token(ed), (header) => {
      delete header['x5t#S256'];
    });
    await expectCode(verifyResponseToken(noX5t, options()), 'ERR_TOKEN_MALFORMED');
  });

  it('refuses a token not yet active, within a configurable tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const later = mini.token(ed, { claims: { nbf: now + 3600 } });
    const err = await expectCode(verifyResponseToken(later, options()), 'ERR_NOT_YET_ACTIVE');
    expect(err.message).toContain(new Date((now + 3600) * 1000).toISOString());
    const slightly = mini.token(ed, { claims: { nbf: now + 20 } });
    await expect(verifyResponseToken(slightly, options())).resolves.toBeDefined();
    await expectCode(
      verifyResponseToken(slightly, options({ clockTolerance: 5 })),
      'ERR_NOT_YET_ACTIVE',
    );
    const future = mini.token(ed, { iat: now + 3600 });
    await expectCode(verifyResponseToken(future, options()), 'ERR_NOT_YET_ACTIVE');
  });

  it('refuses a mismatched x5t#S256', async () => {
    const token = mini.token(ed, { header: { 'x5t#S256': es.thumbprint } });
    await expectCode(verifyResponseToken(token, options()), 'ERR_THUMBPRINT_MISMATCH');
    const otherChain = mini.token(ed, {
      header: { x5u: es.x5u },
      claims: { ca: [{ id: 'ca-a', x5u: es.x5u, ocsp: `${mini.url}/ocsp/ca-a` }] },
    });
    await expectCode(verifyResponseToken(otherChain, options()), 'ERR_THUMBPRINT_MISMATCH');
  });

  it("refuses an x5u that is not one of the token's CA locations", async () => {
    const token = mini.token(ed, {
      claims: { ca: [{ id: 'ca-a', x5u: es.x5u, ocsp: `${mini.url}/ocsp/ca-a` }] },
    });
    await expectCode(verifyResponseToken(token, options()), 'ERR_TOKEN_MALFORMED');
  });

  it('applies the policy: issuer, subject, maximum age', async () => {
    const token = mini.token(ed, { iat: Math.floor(Date.now() / 1000) - 600 });
    await expect(
      verifyResponseToken(
        token,
        options({ issuer: mini.url, subject: 'alice', maxTokenAge: 3600 }),
      ),
    ).resolves.toBeDefined();
    await expectCode(
      verifyResponseToken(token, options({ issuer: 'https://elsewhere' })),
      'ERR_POLICY',
    );
    await expectCode(verifyResponseToken(token, options({ subject: 'bob' })), 'ERR_POLICY');
    const err = await expectCode(
      verifyResponseToken(token, options({ maxTokenAge: 60 })),
      'ERR_POLICY',
    );
    expect(err.message).toMatch(/60 s allowed/);
  });

  it('counts distinct CAs for requireCAs, each certifying the same key', async () => {
    const a = await mini.identity('ES256', { caId: 'ca-a' });
    const b = await mini.identity('ES256', { caId: 'ca-b', keys: a });
    const trust = [mini.cas.get('ca-a')?.pem ?? '', mini.cas.get('ca-b')?.pem ?? ''];
    const both = mini.token(a, { cas: [a, b] });
    const result = await verifyResponseToken(both, options({ trust, requireCAs: 2 }));
    expect(result.cas.map((c) => c.id)).toEqual(['ca-a', 'ca-b']);
    expect(result.revocation).toMatchObject({ source: 'ocsp', caIds: ['ca-a', 'ca-b'] });

    await expectCode(
      verifyResponseToken(mini.token(a), options({ trust, requireCAs: 2 })),
      'ERR_POLICY',
    );
    await expectCode(verifyResponseToken(both, options({ requireCAs: 2 })), 'ERR_POLICY');
    const other = await mini.identity('ES256', { caId: 'ca-b' });
    const mixed = mini.token(a, { cas: [a, other] });
    const err = await expectCode(
      verifyResponseToken(mixed, options({ trust, requireCAs: 2 })),
      'ERR_POLICY',
    );
    expect(err.message).toMatch(/another key/);
  });

  it('accepts any one CA of the token that the caller trusts, for the same key only', async () => {
    const a = await mini.identity('ES256', { caId: 'ca-a' });
    const b = await mini.identity('ES256', { caId: 'ca-b', keys: a });
    const onlyB = options({ trust: [mini.cas.get('ca-b')?.pem ?? ''] });
    const result = await verifyResponseToken(mini.token(a, { cas: [a, b] }), onlyB);
    expect(result.cas.map((c) => c.id)).toEqual(['ca-b']);
    expect(result.revocation).toMatchObject({ source: 'ocsp', caIds: ['ca-b'] });

    const other = await mini.identity('ES256', { caId: 'ca-b' });
    const err = await expectCode(
      verifyResponseToken(mini.token(a, { cas: [a, other] }), onlyB),
      'ERR_CERT_UNTRUSTED',
    );
    expect(err.message).toMatch(/not issued by a trusted root/);
  });

  it('accepts header members in any order: the signature covers the bytes as sent', async () => {
    const header = {
      'x5t#S256': ed.thumbprint,
      x5u: ed.x5u,
      typ: 'signet-response+jwt',
      kid: ed.kid,
      alg: 'EdDSA',
    };
    const payload = JSON.parse(
      Buffer.from(mini.token(ed).split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as unknown;
    const token = signCompact(header, payload, ed);
    await expect(verifyResponseToken(token, options())).resolves.toMatchObject({
      data: { answer: 42 },
    });
  });
});
