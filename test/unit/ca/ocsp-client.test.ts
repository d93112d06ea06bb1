import { beforeAll, describe, expect, it } from 'vitest';
import { OcspCache } from '../../../src/ca/ocsp-cache.js';
import { buildOcspRequest, parseOcspResponse } from '../../../src/ca/ocsp-client.js';
import { respondOcsp } from '../../../src/ca/ocsp-responder.js';
import { x509 } from '../../../src/ca/x509.js';
import { SignetError } from '../../../src/domain/errors.js';
import type { IssuedCertificate } from '../../../src/domain/types.js';
import { ManualClock } from '../../support/clock.js';
import { issue, makeRoot, type TestCert, validity } from './pki.js';

const T = new Date(Date.UTC(2026, 5, 1, 12));
const HOUR = 3600_000;
const OCSP_SIGNING = x509.ExtendedKeyUsage.ocspSigning;

describe('OCSP client', () => {
  let root: TestCert;
  let leaf: TestCert;
  let otherRoot: TestCert;
  let record: IssuedCertificate;

  beforeAll(async () => {
    root = await makeRoot({ name: 'Issuing CA', ...validity(T, 3650) });
    otherRoot = await makeRoot({ name: 'Other CA', ...validity(T, 3650) });
    leaf = await issue(root, { name: 'kid-1', ...validity(T, 30) });
    record = {
      kid: 'kid-1',
      caId: 'test',
      serial: leaf.cert.serialNumber.toLowerCase(),
      chainPem: leaf.pem,
      notBefore: leaf.cert.notBefore,
      notAfter: leaf.cert.notAfter,
      ocspUrl: 'http://ocsp.test',
      status: 'good',
    };
  });

  async function answer(
    options: {
      signer?: TestCert;
      now?: Date;
      validityMs?: number;
      status?: IssuedCertificate;
    } = {},
    request = buildOcspRequest(leaf.pem, root.pem),
  ): Promise<Uint8Array> {
    const status = options.status ?? record;
    return respondOcsp(request.der, {
      issuerCertPem: root.pem,
      issuerPrivateKey: root.keys.privateKey,
      lookup: async (serial) => (serial === status.serial ? status : undefined),
      now: options.now ?? T,
      validityMs: options.validityMs ?? HOUR,
      ...(options.signer
        ? { signer: { certPem: options.signer.pem, privateKey: options.signer.keys.privateKey } }
        : {}),
    });
  }

  const parse = (
    der: Uint8Array,
    extra: { nonce?: Uint8Array; now?: Date; leafPem?: string } = {},
  ) => parseOcspResponse(der, { leafPem: leaf.pem, issuerPem: root.pem, now: T, ...extra });

  function ocspFailure(fn: () => unknown, message: RegExp): void {
    let error: unknown;
    try {
      fn();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('ERR_OCSP');
    expect((error as SignetError).message).toMatch(message);
  }

  it('reads a good answer signed by the issuing CA', async () => {
    const result = parse(await answer());
    expect(result).toEqual({
      status: 'good',
      thisUpdate: T,
      nextUpdate: new Date(T.getTime() + HOUR),
    });
  });

  it('reads a revoked answer with its time and reason', async () => {
    const revokedAt = new Date(T.getTime() - HOUR);
    const der = await answer({
      status: { ...record, status: 'revoked', revokedAt, revocationReason: 'superseded' },
    });
    expect(parse(der)).toMatchObject({ status: 'revoked', revokedAt, reason: 'superseded' });
  });

  it('refuses an answer signed by another CA', async () => {
    const der = await answer({ signer: otherRoot });
    ocspFailure(() => parse(der), /unauthorized OCSP responder/);
  });

  it('refuses a delegated responder without id-kp-OCSPSigning', async () => {
    const delegate = await issue(root, { name: 'Responder', ...validity(T, 30) });
    const der = await answer({ signer: delegate });
    ocspFailure(() => parse(der), /unauthorized OCSP responder/);
  });

  it('refuses an OCSPSigning certificate that another CA issued, or that has expired', async () => {
    const foreign = await issue(otherRoot, {
      name: 'Responder',
      ...validity(T, 30),
      eku: [OCSP_SIGNING],
    });
    const byForeign = await answer({ signer: foreign });
    ocspFailure(() => parse(byForeign), /unauthorized OCSP responder/);
    const expired = await issue(root, {
      name: 'Old Responder',
      notBefore: new Date(T.getTime() - 48 * HOUR),
      notAfter: new Date(T.getTime() - 24 * HOUR),
      eku: [OCSP_SIGNING],
    });
    const byExpired = await answer({ signer: expired });
    ocspFailure(() => parse(byExpired), /unauthorized OCSP responder/);
  });

  it('accepts a responder that the issuing CA delegated with id-kp-OCSPSigning', async () => {
    const delegate = await issue(root, {
      name: 'Responder',
      ...validity(T, 30),
      eku: [OCSP_SIGNING],
    });
    expect(parse(await answer({ signer: delegate })).status).toBe('good');
  });

  it('refuses a response whose signature was tampered with', async () => {
    const der = await answer();
    const last = der.length - 1;
    der[last] = (der[last] ?? 0) ^ 0x01;
    ocspFailure(() => parse(der), /signature does not verify/);
  });

  it('refuses a stale response and one from the future, beyond the clock skew', async () => {
    const stale = await answer({ now: new Date(T.getTime() - 2 * HOUR), validityMs: HOUR });
    ocspFailure(() => parse(stale), /stale/);
    const future = await answer({ now: new Date(T.getTime() + HOUR) });
    ocspFailure(() => parse(future), /in the future/);
    const slightlyAhead = await answer({ now: new Date(T.getTime() + 60_000) });
    expect(parse(slightlyAhead).status).toBe('good');
  });

  it('checks the nonce when the response carries one', async () => {
    const request = buildOcspRequest(leaf.pem, root.pem, { nonce: true });
    expect(request.nonce).toHaveLength(16);
    const der = await answer({}, request);
    expect(parse(der, request.nonce ? { nonce: request.nonce } : {}).status).toBe('good');
    ocspFailure(() => parse(der, { nonce: new Uint8Array(16) }), /nonce does not match/);
  });

  it('reports responder errors and answers about other certificates', async () => {
    const malformed = await respondOcsp(new Uint8Array([1, 2, 3]), {
      issuerCertPem: root.pem,
      issuerPrivateKey: root.keys.privateKey,
      lookup: async () => undefined,
      now: T,
      validityMs: HOUR,
    });
    ocspFailure(() => parse(malformed), /malformedRequest/);
    const other = await issue(root, { name: 'kid-2', ...validity(T, 30) });
    const aboutLeaf = await answer();
    ocspFailure(() => parse(aboutLeaf, { leafPem: other.pem }), /no status for this certificate/);
    ocspFailure(() => parse(new Uint8Array([0x30, 0x01])), /not valid DER/);
  });

  it('answers unknown for a serial the CA never issued, and unauthorized for another issuer', async () => {
    const stranger = await issue(root, { name: 'kid-x', ...validity(T, 30) });
    const der = await answer({}, buildOcspRequest(stranger.pem, root.pem));
    expect(parse(der, { leafPem: stranger.pem }).status).toBe('unknown');
    const foreignLeaf = await issue(otherRoot, { name: 'kid-y', ...validity(T, 30) });
    const refused = await answer({}, buildOcspRequest(foreignLeaf.pem, otherRoot.pem));
    ocspFailure(
      () =>
        parseOcspResponse(refused, { leafPem: foreignLeaf.pem, issuerPem: otherRoot.pem, now: T }),
      /unauthorized/,
    );
  });
});

describe('OcspCache', () => {
  const good = (nextUpdate?: Date) => ({
    status: 'good' as const,
    thisUpdate: new Date(0),
    ...(nextUpdate ? { nextUpdate } : {}),
  });

  it('keeps definite answers until their nextUpdate, and nothing else', () => {
    const clock = new ManualClock(T);
    const cache = new OcspCache(clock);
    cache.set('a', '01', good(new Date(T.getTime() + HOUR)));
    cache.set('a', '02', good());
    cache.set('a', '03', {
      status: 'unknown',
      thisUpdate: T,
      nextUpdate: new Date(T.getTime() + HOUR),
    });
    expect(cache.get('a', '01')?.status).toBe('good');
    expect(cache.get('b', '01')).toBeUndefined();
    expect(cache.get('a', '02')).toBeUndefined();
    expect(cache.get('a', '03')).toBeUndefined();
    clock.advance(HOUR - 1);
    expect(cache.get('a', '01')).toBeDefined();
    clock.advance(1);
    expect(cache.get('a', '01')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
