import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ResponseCache,
  TrustStore,
  VerificationCache,
  verifyResponseToken,
  type VerifyOptions,
} from '../../../src/client/index.js';
import { expectCode } from './expect-code.js';
import { type Identity, MiniSignet } from './mini-signet.js';

const DAY = 24 * 3600;

/** verifyResponseToken with a VerificationCache: chains and revocation answers reused, never the signature. */
describe('VerificationCache', () => {
  let mini: MiniSignet;
  let id: Identity;
  let trust: TrustStore;
  const fetched = (kind: string) => mini.requests.filter((r) => r.includes(kind)).length;
  const options = (
    cache: VerificationCache,
    extra: Partial<VerifyOptions> = {},
  ): VerifyOptions => ({
    trust,
    allowOrigins: [mini.url],
    cache: new ResponseCache(),
    verificationCache: cache,
    revocation: 'ocsp',
    ...extra,
  });

  beforeAll(async () => {
    mini = await MiniSignet.start();
    id = await mini.identity('EdDSA');
    trust = TrustStore.fromPem([mini.cas.get('ca-a')?.pem ?? '']);
  });
  afterAll(() => mini.stop());

  it('validates a leaf and asks OCSP once, then checks only each token', async () => {
    const cache = new VerificationCache();
    const before = { ocsp: fetched('/ocsp/'), chains: mini.requests.length - fetched('/ocsp/') };
    const first = await verifyResponseToken(mini.token(id), options(cache));
    const second = await verifyResponseToken(
      mini.token(id, { iat: Math.floor(Date.now() / 1000) - 60 }),
      options(cache),
    );
    expect(second.revocation).toEqual(first.revocation);
    expect(second.cas).toEqual(first.cas);
    expect(fetched('/ocsp/') - before.ocsp).toBe(1);
    expect(mini.requests.length - fetched('/ocsp/') - before.chains).toBe(1);
  });

  it('still refuses a token whose signature or kid does not hold', async () => {
    const cache = new VerificationCache();
    await verifyResponseToken(mini.token(id), options(cache));
    const other = await mini.identity('EdDSA');
    await expectCode(
      verifyResponseToken(mini.token(id, { signWith: other }), options(cache)),
      'ERR_SIGNATURE_INVALID',
    );
    await expectCode(
      verifyResponseToken(
        mini.token(id, {
          claims: { key: { kid: other.kid, status: 'active', revocations: mini.revocationsUrl } },
        }),
        options(cache),
      ),
      'ERR_KID_MISMATCH',
    );
  });

  it('refuses, after a cached success, a token whose x5t#S256 names another certificate', async () => {
    const cache = new VerificationCache();
    await verifyResponseToken(mini.token(id), options(cache));
    const other = await mini.identity('EdDSA');
    // Signed by the cached leaf's key, at its x5u: only the pinned thumbprint differs.
    await expectCode(
      verifyResponseToken(
        mini.token(id, { header: { 'x5t#S256': other.thumbprint } }),
        options(cache),
      ),
      'ERR_THUMBPRINT_MISMATCH',
    );
    await expectCode(
      verifyResponseToken(
        mini.token(id, { header: { 'x5t#S256': other.thumbprint }, signWith: other }),
        options(cache),
      ),
      'ERR_THUMBPRINT_MISMATCH',
    );
    await expect(verifyResponseToken(mini.token(id), options(cache))).resolves.toBeDefined();
  });

  it('refuses, after a cached success, an algorithm off the allow-list or unfit for the key', async () => {
    const cache = new VerificationCache();
    await verifyResponseToken(mini.token(id), options(cache));
    await expectCode(
      verifyResponseToken(mini.token(id), options(cache, { algorithms: ['ES256'] })),
      'ERR_ALG_NOT_ALLOWED',
    );
    await expectCode(
      verifyResponseToken(mini.token(id, { header: { alg: 'ES256' } }), options(cache)),
      'ERR_ALG_NOT_ALLOWED',
    );
  });

  it('still checks activation and the policy of each token', async () => {
    const cache = new VerificationCache();
    await verifyResponseToken(mini.token(id), options(cache));
    const now = Math.floor(Date.now() / 1000);
    await expectCode(
      verifyResponseToken(mini.token(id, { claims: { nbf: now + 3600 } }), options(cache)),
      'ERR_NOT_YET_ACTIVE',
    );
    await expectCode(
      verifyResponseToken(mini.token(id), options(cache, { subject: 'bob' })),
      'ERR_POLICY',
    );
  });

  it('hands out results that the caller may change without changing the cache', async () => {
    const cache = new VerificationCache();
    const first = await verifyResponseToken(mini.token(id), options(cache));
    const expected = structuredClone(first.cas);
    const [ca] = first.cas;
    if (!ca) throw new Error('no CA');
    ca.id = 'changed';
    ca.chain.length = 0;
    first.cas.length = 0;
    const second = await verifyResponseToken(mini.token(id), options(cache));
    expect(second.cas).toEqual(expected);
  });

  it('validates again for a signing time outside the validated window', async () => {
    const cache = new VerificationCache();
    await verifyResponseToken(mini.token(id), options(cache));
    // The leaf was issued now: a token "signed" a month ago is outside its validity.
    await expectCode(
      verifyResponseToken(
        mini.token(id, { iat: Math.floor(Date.now() / 1000) - 30 * DAY }),
        options(cache),
      ),
      'ERR_CERT_NOT_YET_VALID',
    );
  });

  it('sees a revocation once the cached answer has aged out', async () => {
    const victim = await mini.identity('EdDSA');
    const cache = new VerificationCache({ revocationMaxAgeMs: 50 });
    // A clock of its own: how long a verification takes must not decide what the cap allows.
    const start = Date.now();
    const at = (ms: number) => options(cache, { currentDate: new Date(start + ms) });
    await verifyResponseToken(mini.token(victim), at(0));
    mini.revoke(victim, 'keyCompromise');
    // Within the cap the earlier "good" answer stands; after it, OCSP is asked again.
    await verifyResponseToken(mini.token(victim), at(40));
    await expectCode(verifyResponseToken(mini.token(victim), at(60)), 'ERR_KEY_REVOKED');
  });

  it('does not share entries between trust stores', async () => {
    const cache = new VerificationCache();
    await verifyResponseToken(mini.token(id), options(cache));
    const otherTrust = TrustStore.fromPem([mini.cas.get('ca-b')?.pem ?? '']);
    await expectCode(
      verifyResponseToken(mini.token(id), options(cache, { trust: otherTrust })),
      'ERR_CERT_UNTRUSTED',
    );
  });
});
