import { createHash, type webcrypto } from 'node:crypto';
import { CompactSign } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaHealthMonitor } from '../../../src/ca/ca-health.js';
import { CAValidator } from '../../../src/ca/ca-validator.js';
import { createCsr } from '../../../src/ca/csr.js';
import type { LocalCertificateAuthority } from '../../../src/ca/local-ca.js';
import { OcspCache } from '../../../src/ca/ocsp-cache.js';
import { x509 } from '../../../src/ca/x509.js';
import { SignetError } from '../../../src/domain/errors.js';
import type { CertificateAuthority } from '../../../src/domain/ports.js';
import type { Algorithm } from '../../../src/domain/types.js';
import { inlineJwsCrypto, type JwsCrypto } from '../../../src/signing/jws-crypto.js';
import type { Store } from '../../../src/store/index.js';
import { ManualClock } from '../../support/clock.js';
import { memoryStore, newLocalCa, signingKey, splitPem } from './helpers.js';

const OCSP_VALIDITY = 600_000;

/** Counts OCSP round trips while delegating to the real CA. */
function spy(ca: LocalCertificateAuthority): CertificateAuthority & { ocspCalls: number } {
  const wrapper = {
    id: ca.id,
    type: ca.type,
    url: ca.url,
    ocspCalls: 0,
    rootsPem: () => ca.rootsPem(),
    certify: (request: Parameters<CertificateAuthority['certify']>[0]) => ca.certify(request),
    revoke: (cert: Parameters<CertificateAuthority['revoke']>[0], reason: string) =>
      ca.revoke(cert, reason),
    ocsp: (url: string, der: Uint8Array) => {
      wrapper.ocspCalls += 1;
      return ca.ocsp(url, der);
    },
    probe: () => ca.probe(),
  };
  return wrapper;
}

describe('CAValidator', () => {
  let store: Store;
  let clock: ManualClock;
  let caA: LocalCertificateAuthority;
  let caB: LocalCertificateAuthority;
  let spyA: ReturnType<typeof spy>;
  let spyB: ReturnType<typeof spy>;
  let health: CaHealthMonitor;
  let keys: webcrypto.CryptoKeyPair;
  const kid = 'kid-v1';

  const validator = (required = 1, cas: CertificateAuthority[] = [spyA, spyB]) =>
    new CAValidator({
      cas,
      certificates: store.certificates,
      health,
      required,
      clock,
      ocspCache: new OcspCache(clock),
    });

  async function certifyAt(ca: CertificateAuthority, id: string, pair: webcrypto.CryptoKeyPair) {
    return ca.certify({ kid: id, csrPem: await createCsr({ kid: id, ...pair }) });
  }

  beforeEach(async () => {
    store = await memoryStore();
    clock = new ManualClock();
    caA = newLocalCa(store, clock, 'local-a', { ocspValidityMs: OCSP_VALIDITY });
    caB = newLocalCa(store, clock, 'local-b', { ocspValidityMs: OCSP_VALIDITY });
    spyA = spy(caA);
    spyB = spy(caB);
    health = new CaHealthMonitor({ cas: [spyA, spyB], clock, failureThreshold: 3 });
    keys = await signingKey('ES256');
    await certifyAt(caA, kid, keys);
    await certifyAt(caB, kid, keys);
  });
  afterEach(async () => {
    await store.close();
  });

  it('validates at the first CA and describes the certificate', async () => {
    const [first, ...rest] = await validator().validateKey(kid);
    expect(rest).toEqual([]);
    expect(first?.caId).toBe('local-a');
    expect(first?.ocspUrl).toBe('http://127.0.0.1:8080/ocsp/local-a');
    expect(first?.certificate).toEqual(await store.certificates.get(kid, 'local-a'));
    const der = Buffer.from(new x509.X509Certificate(first?.leafPem ?? '').rawData);
    expect(first?.x5tS256).toBe(createHash('sha256').update(der).digest('base64url'));
    expect(splitPem(first?.certificate.chainPem ?? '')[0]?.replace(/\s/g, '')).toBe(
      first?.leafPem.replace(/\s/g, ''),
    );
    expect([spyA.ocspCalls, spyB.ocspCalls]).toEqual([1, 0]);
  });

  it('fails over to the next CA when the first is unavailable, and records the failure', async () => {
    caA.setAvailable(false);
    const validated = await validator().validateKey(kid);
    expect(validated.map((v) => v.caId)).toEqual(['local-b']);
    expect(health.health('local-a')).toMatchObject({
      healthy: true,
      lastError: 'CA local-a is unavailable',
    });
  });

  it('skips a CA whose circuit is open without calling it', async () => {
    for (let i = 0; i < 3; i++) health.breaker('local-a').recordFailure(new Error('down'));
    const validated = await validator().validateKey(kid);
    expect(validated.map((v) => v.caId)).toEqual(['local-b']);
    expect(spyA.ocspCalls).toBe(0);
  });

  it('throws a retryable ERR_CA_UNAVAILABLE when every CA is down', async () => {
    caA.setAvailable(false);
    caB.setAvailable(false);
    const err = await validator()
      .validateKey(kid)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignetError);
    expect(err).toMatchObject({ code: 'ERR_CA_UNAVAILABLE', retryable: true });
    expect((err as SignetError).message).toMatch(/0 of 1/);
  });

  it('validates at two CAs when two are required, and fails when only one answers', async () => {
    const both = await validator(2).validateKey(kid);
    expect(both.map((v) => v.caId)).toEqual(['local-a', 'local-b']);
    caB.setAvailable(false);
    await expect(validator(2).validateKey(kid)).rejects.toMatchObject({
      code: 'ERR_CA_UNAVAILABLE',
    });
  });

  it('skips a CA that never certified the key', async () => {
    const lone = await signingKey('EdDSA');
    await certifyAt(caB, 'kid-only-b', lone);
    const validated = await validator().validateKey('kid-only-b');
    expect(validated.map((v) => v.caId)).toEqual(['local-b']);
  });

  it('throws ERR_KEY_REVOKED when a CA reports the certificate revoked', async () => {
    const cert = await store.certificates.get(kid, 'local-a');
    if (!cert) throw new Error('missing certificate');
    await caA.revoke(cert, 'keyCompromise');
    const err = await validator()
      .validateKey(kid)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ERR_KEY_REVOKED',
      retryable: false,
      detail: { kid, caId: 'local-a', reason: 'keyCompromise' },
    });
    expect(spyB.ocspCalls).toBe(0);
  });

  it('reuses an OCSP answer until its nextUpdate', async () => {
    const v = validator();
    await v.validateKey(kid);
    await v.validateKey(kid);
    expect(spyA.ocspCalls).toBe(1);
    clock.advance(OCSP_VALIDITY);
    await v.validateKey(kid);
    expect(spyA.ocspCalls).toBe(2);
  });

  it('refuses a certificate whose chain has expired at validation time', async () => {
    clock.advance(31 * 24 * 3600_000);
    const err = await validator(1, [spyA])
      .validateKey(kid)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_CA_UNAVAILABLE' });
    expect((err as SignetError).message).toMatch(/expired/);
    expect(spyA.ocspCalls).toBe(0);
  });

  it("honours the validity window of a CA's trust anchors", async () => {
    const now = clock.now().getTime();
    const windowed = (trustWindow: { validFrom?: Date; validTo?: Date }) =>
      Object.assign(spy(caA), { trustWindow });
    const notYet = windowed({ validFrom: new Date(now + 60_000) });
    expect((await validator(1, [notYet, spyB]).validateKey(kid)).map((v) => v.caId)).toEqual([
      'local-b',
    ]);
    expect(notYet.ocspCalls).toBe(0);
    const ended = windowed({ validTo: new Date(now - 60_000) });
    await expect(validator(1, [ended]).validateKey(kid)).rejects.toThrow(/trusted only until/);
    const inside = windowed({
      validFrom: new Date(now - 60_000),
      validTo: new Date(now + 60_000),
    });
    expect((await validator(1, [inside]).validateKey(kid)).map((v) => v.caId)).toEqual(['local-a']);
  });

  it('makes the trial of a half-open breaker reach the CA, not the OCSP cache', async () => {
    const v = validator();
    await v.validateKey(kid);
    expect(spyA.ocspCalls).toBe(1);
    const breaker = health.breaker('local-a');
    for (let i = 0; i < 3; i++) breaker.recordFailure(new Error('down'));
    expect((await v.validateKey(kid)).map((x) => x.caId)).toEqual(['local-b']);
    clock.advance(30_000);
    expect((await v.validateKey(kid)).map((x) => x.caId)).toEqual(['local-a']);
    expect(spyA.ocspCalls).toBe(2);
    expect(breaker.state).toBe('closed');
  });

  describe('verifySignature', () => {
    const sign = async (pair: webcrypto.CryptoKeyPair, alg: Algorithm, keyId = kid) =>
      new CompactSign(new TextEncoder().encode('{"data":1}'))
        .setProtectedHeader({ alg, kid: keyId })
        .sign(pair.privateKey);

    it.each<Algorithm>(['EdDSA', 'ES384', 'PS256', 'RS256'])(
      'verifies a %s JWS with the certified key',
      async (alg) => {
        const pair = await signingKey(alg);
        const id = `kid-${alg}`;
        await certifyAt(caA, id, pair);
        const v = validator();
        const validated = await v.validateKey(id);
        await expect(
          v.verifySignature(validated, await sign(pair, alg, id)),
        ).resolves.toBeUndefined();
      },
    );

    it('takes checks made where the JWS was signed, and still reads its header', async () => {
      const v = validator(2);
      const validated = await v.validateKey(kid);
      expect(v.signatureKeys(validated)).toHaveLength(2);
      const jws = await sign(keys, 'ES256');
      await expect(v.verifySignature(validated, jws, [true, true])).resolves.toBeUndefined();
      await expect(v.verifySignature(validated, jws, [true, false])).rejects.toMatchObject({
        code: 'ERR_CA_VALIDATION_FAILED',
        message: expect.stringMatching(/does not verify with the certificate from local-b/),
      });
      // No check for local-b: verified here, and a stranger's signature fails there.
      const stranger = await sign(await signingKey('ES256'), 'ES256');
      await expect(v.verifySignature(validated, stranger, [true])).rejects.toMatchObject({
        message: expect.stringMatching(/does not verify with the certificate from local-b/),
      });
      // Null: could not be checked where it was signed, so verified here too.
      await expect(v.verifySignature(validated, stranger, [null, true])).rejects.toMatchObject({
        message: expect.stringMatching(/does not verify with the certificate from local-a/),
      });
      await expect(
        v.verifySignature(validated, await sign(keys, 'ES256', 'other'), [true, true]),
      ).rejects.toMatchObject({ message: expect.stringMatching(/kid does not match/) });
    });

    it('verifies once for the certificates of one key at several CAs', async () => {
      const verified: number[] = [];
      const crypto: JwsCrypto = {
        ...inlineJwsCrypto,
        verify: (...args) => {
          verified.push(1);
          return inlineJwsCrypto.verify(...args);
        },
      };
      const v = new CAValidator({
        cas: [spyA, spyB],
        certificates: store.certificates,
        health,
        required: 2,
        clock,
        ocspCache: new OcspCache(clock),
        crypto,
      });
      const validated = await v.validateKey(kid);
      expect(validated.map((ca) => ca.leafPem)).toHaveLength(2);
      expect(validated[0]?.leafPem).not.toBe(validated[1]?.leafPem);
      const [keyA, keyB] = v.signatureKeys(validated);
      expect(keyA).toBe(keyB);
      await expect(
        v.verifySignature(validated, await sign(keys, 'ES256')),
      ).resolves.toBeUndefined();
      expect(verified).toHaveLength(1);
      const stranger = await sign(await signingKey('ES256'), 'ES256');
      await expect(v.verifySignature(validated, stranger)).rejects.toMatchObject({
        message: expect.stringMatching(/does not verify with the certificate from local-a/),
      });
    });

    it('refuses a JWS made with another key, another kid, or no validated CA', async () => {
      const v = validator(2);
      const validated = await v.validateKey(kid);
      await expect(
        v.verifySignature(validated, await sign(keys, 'ES256')),
      ).resolves.toBeUndefined();
      const stranger = await signingKey('ES256');
      await expect(
        v.verifySignature(validated, await sign(stranger, 'ES256')),
      ).rejects.toMatchObject({
        code: 'ERR_CA_VALIDATION_FAILED',
        message: expect.stringMatching(/does not verify/),
      });
      await expect(
        v.verifySignature(validated, await sign(keys, 'ES256', 'other')),
      ).rejects.toMatchObject({
        code: 'ERR_CA_VALIDATION_FAILED',
      });
      await expect(v.verifySignature([], await sign(keys, 'ES256'))).rejects.toMatchObject({
        code: 'ERR_CA_VALIDATION_FAILED',
      });
      await expect(v.verifySignature(validated, 'not.a.jws')).rejects.toMatchObject({
        code: 'ERR_CA_VALIDATION_FAILED',
      });
    });
  });
});
