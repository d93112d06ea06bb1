import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { respondOcsp } from '../../../src/ca/ocsp-responder.js';
import {
  ResponseCache,
  verifyResponseToken,
  type VerifyOptions,
} from '../../../src/client/index.js';
import { expectCode } from './expect-code.js';
import { type Identity, MiniSignet } from './mini-signet.js';

/** Revocation: OCSP at the CA, the service's signed list, or nothing only when asked. */
describe('verifyResponseToken: revocation', () => {
  let mini: MiniSignet;
  let current: Identity;
  const options = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({
    trust: [mini.cas.get('ca-a')?.pem ?? ''],
    allowOrigins: [mini.url],
    cache: new ResponseCache(),
    ...extra,
  });
  const serveList = (list: () => string) =>
    mini.overrides.set('/revocations', (_req, res) => res.writeHead(200).end(list()));
  const ocspDown = () => mini.overrides.set('/ocsp/ca-a', (_req, res) => res.writeHead(500).end());

  beforeAll(async () => {
    mini = await MiniSignet.start();
    current = await mini.identity('EdDSA');
    mini.listSigner = current;
  });
  afterAll(() => mini.stop());
  const reset = () => {
    mini.overrides.clear();
    mini.listSigner = current;
  };

  it('refuses a key the CA reports revoked over OCSP', async () => {
    reset();
    const id = await mini.identity('ES256');
    const token = mini.token(id);
    await expect(verifyResponseToken(token, options())).resolves.toMatchObject({
      revocation: { source: 'ocsp' },
    });
    mini.revoke(id, 'keyCompromise');
    const err = await expectCode(
      verifyResponseToken(token, options({ revocation: 'ocsp' })),
      'ERR_KEY_REVOKED',
    );
    expect(err.message).toMatch(/CA ca-a reports the key .* revoked at .* \(keyCompromise\)/);
    expect(err.detail).toMatchObject({ source: 'ocsp', caId: 'ca-a', reason: 'keyCompromise' });
  });

  it('refuses a key the service lists as revoked', async () => {
    reset();
    const id = await mini.identity('ES256');
    const token = mini.token(id);
    await expect(
      verifyResponseToken(token, options({ revocation: 'list' })),
    ).resolves.toMatchObject({
      revocation: { source: 'list', url: mini.revocationsUrl },
    });
    mini.revoke(id, 'superseded');
    const err = await expectCode(
      verifyResponseToken(token, options({ revocation: 'list' })),
      'ERR_KEY_REVOKED',
    );
    expect(err.detail).toMatchObject({ source: 'list', reason: 'superseded' });
    // The default (auto) asks OCSP first, which knows it too.
    await expectCode(verifyResponseToken(token, options()), 'ERR_KEY_REVOKED');
  });

  it('falls back to the list when OCSP does not answer, and says so', async () => {
    reset();
    ocspDown();
    const id = await mini.identity('ES256');
    const result = await verifyResponseToken(mini.token(id), options());
    expect(result.revocation).toMatchObject({ source: 'list', seq: mini.seq });
    const err = await expectCode(
      verifyResponseToken(mini.token(id), options({ revocation: 'ocsp' })),
      'ERR_REVOCATION_UNKNOWN',
    );
    expect(err.message).toMatch(/OCSP at ca-a: .*answered 500/);
  });

  it('checks the list signer: a rotated key, chained to the same roots', async () => {
    reset();
    ocspDown();
    const id = await mini.identity('ES256');
    mini.listSigner = await mini.identity('PS256');
    const before = mini.requests.length;
    await expect(verifyResponseToken(mini.token(id), options())).resolves.toMatchObject({
      revocation: { source: 'list' },
    });
    expect(mini.requests.slice(before)).toContain(`GET /certs/${mini.listSigner.kid}/ca-a.pem`);

    mini.listSigner = await mini.identity('EdDSA', { caId: 'ca-b' });
    const err = await expectCode(
      verifyResponseToken(mini.token(id), options()),
      'ERR_REVOCATION_UNKNOWN',
    );
    expect(err.message).toMatch(/no certificate of its signer .* validates/);
  });

  it('refuses a list that is forged, stale, foreign, of another type or replayed', async () => {
    reset();
    ocspDown();
    const id = await mini.identity('ES256');
    const token = mini.token(id);
    const cases: [string, () => string, RegExp][] = [
      [
        'forged',
        () => mini.revocationList(current).replace(/.{4}$/, 'AAAA'),
        /signature does not verify/,
      ],
      [
        'stale',
        () => mini.revocationList(current, { iat: Math.floor(Date.now() / 1000) - 7200 }),
        /older than 600 s/,
      ],
      ['foreign', () => mini.revocationList(current, { iss: 'https://other.example' }), /issuer/],
      [
        'future',
        () => mini.revocationList(current, { iat: Math.floor(Date.now() / 1000) + 3600 }),
        /future/,
      ],
      ['not a list', () => mini.token(current), /typ/],
      [
        'self-revoked',
        () =>
          mini.revocationList(current, {
            revoked: [{ kid: current.kid, reason: 'keyCompromise' }],
          }),
        /signed by a key it lists as revoked/,
      ],
      ['no counter', () => mini.revocationList(current, { seq: -1 }), /seq/],
    ];
    for (const [name, list, why] of cases) {
      serveList(list);
      const err = await expectCode(verifyResponseToken(token, options()), 'ERR_REVOCATION_UNKNOWN');
      expect(err.message, name).toMatch(why);
    }
    serveList(() => mini.revocationList(current, { seq: 100 }));
    await verifyResponseToken(token, options());
    serveList(() => mini.revocationList(current, { seq: 99 }));
    const err = await expectCode(verifyResponseToken(token, options()), 'ERR_REVOCATION_UNKNOWN');
    expect(err.message).toMatch(/seq 99 is older than one already seen/);
  });

  it('refuses an OCSP answer not signed by the issuing CA', async () => {
    reset();
    const id = await mini.identity('ES256');
    const [caA, caB] = [mini.cas.get('ca-a'), mini.cas.get('ca-b')];
    if (!caA || !caB) throw new Error('no CAs');
    // An answer that names ca-a as responder but is signed with ca-b's key.
    mini.overrides.set('/ocsp/ca-a', (_req, res, body) => {
      void respondOcsp(new Uint8Array(body), {
        issuerCertPem: caA.pem,
        issuerPrivateKey: caB.keys.privateKey,
        lookup: async () => undefined,
        now: new Date(),
        validityMs: 60_000,
      }).then((der) => res.writeHead(200).end(Buffer.from(der)));
    });
    const err = await expectCode(
      verifyResponseToken(mini.token(id), options({ revocation: 'ocsp' })),
      'ERR_REVOCATION_UNKNOWN',
    );
    expect(err.message).toMatch(/OCSP at ca-a: the OCSP response signature does not verify/);
  });

  it('skips revocation only when offline mode is asked for, and reports it', async () => {
    reset();
    const id = await mini.identity('ES256');
    mini.revoke(id);
    const result = await verifyResponseToken(mini.token(id), options({ offline: true }));
    expect(result.revocation.source).toBe('none');
    await expectCode(verifyResponseToken(mini.token(id), options()), 'ERR_KEY_REVOKED');
  });
});
