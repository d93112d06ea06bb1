import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { x509 } from '../../../src/ca/x509.js';
import {
  ResponseCache,
  TRUSTED_ROOT_MEDIA_TYPE,
  TrustStore,
  trustedRootDocument,
  verifyResponseToken,
  type VerifyOptions,
} from '../../../src/client/index.js';
import { issue, makeRoot, validity } from '../ca/pki.js';
import { expectCode } from './expect-code.js';
import { MiniSignet } from './mini-signet.js';

const DAY = 24 * 3600_000;

/** The certificate behind x5u: trust anchors, validity at signing time, usage, path constraints. */
describe('verifyResponseToken: the certificate chain', () => {
  let mini: MiniSignet;
  let rootA: string;
  const options = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({
    trust: [rootA],
    allowOrigins: [mini.url],
    cache: new ResponseCache(),
    ...extra,
  });
  const now = () => new Date();

  beforeAll(async () => {
    mini = await MiniSignet.start();
    rootA = mini.cas.get('ca-a')?.pem ?? '';
    mini.listSigner = await mini.identity('EdDSA');
  });
  afterAll(() => mini.stop());

  it('refuses a chain to a root that is not trusted', async () => {
    const id = await mini.identity('EdDSA', { caId: 'ca-b' });
    const err = await expectCode(
      verifyResponseToken(mini.token(id), options()),
      'ERR_CERT_UNTRUSTED',
    );
    expect(err.message).toMatch(/not issued by a trusted root/);
  });

  it('refuses a look-alike root: the trusted name with another key', async () => {
    const fake = await makeRoot({ name: 'Mini CA A', ...validity(now(), 3650) });
    const id = await mini.identity('EdDSA', { issuer: fake });
    const err = await expectCode(
      verifyResponseToken(mini.token(id), options()),
      'ERR_CERT_UNTRUSTED',
    );
    expect(err.message).toMatch(/does not verify with its issuer's key/);
  });

  it('refuses a certificate that expired before the signing time', async () => {
    const t = now().getTime();
    const id = await mini.identity('EdDSA', {
      spec: { notBefore: new Date(t - 60 * DAY), notAfter: new Date(t - 30 * DAY) },
    });
    const err = await expectCode(
      verifyResponseToken(mini.token(id), options()),
      'ERR_CERT_EXPIRED',
    );
    expect(err.message).toContain(new Date(t - 30 * DAY).toISOString().slice(0, 16));
  });

  it('refuses a certificate not yet valid at the signing time', async () => {
    const t = now().getTime();
    const id = await mini.identity('EdDSA', {
      spec: { notBefore: new Date(t + DAY), notAfter: new Date(t + 30 * DAY) },
    });
    await expectCode(verifyResponseToken(mini.token(id), options()), 'ERR_CERT_NOT_YET_VALID');
  });

  it('judges validity at the signing time: an old token from a since-expired certificate still verifies', async () => {
    const t = now().getTime();
    const id = await mini.identity('ES256', {
      spec: { notBefore: new Date(t - 60 * DAY), notAfter: new Date(t - 30 * DAY) },
    });
    const signedAt = Math.floor((t - 45 * DAY) / 1000);
    const token = mini.token(id, { iat: signedAt });
    const result = await verifyResponseToken(
      token,
      options({ certificates: { [id.x5u]: id.chainPem }, offline: true }),
    );
    expect(result.signedAt.getTime()).toBe(signedAt * 1000);
    // Signed 45 days ago and verified as of 10 days later than that: the same answer.
    const later = await verifyResponseToken(
      token,
      options({ offline: true, currentDate: new Date(t - 35 * DAY) }),
    );
    expect(later.data).toEqual({ answer: 42 });
  });

  it('refuses a leaf without digitalSignature, or without key usage at all', async () => {
    const noSign = await mini.identity('EdDSA', {
      spec: { keyUsage: x509.KeyUsageFlags.keyAgreement },
    });
    const err = await expectCode(
      verifyResponseToken(mini.token(noSign), options()),
      'ERR_CERT_USAGE',
    );
    expect(err.message).toMatch(/digitalSignature/);
    const none = await mini.identity('EdDSA', { spec: { keyUsage: null } });
    await expectCode(verifyResponseToken(mini.token(none), options()), 'ERR_CERT_USAGE');
  });

  it('checks the extended key usage when there is one', async () => {
    const server = await mini.identity('EdDSA', { spec: { eku: ['1.3.6.1.5.5.7.3.1'] } });
    const err = await expectCode(
      verifyResponseToken(mini.token(server), options()),
      'ERR_CERT_USAGE',
    );
    expect(err.message).toMatch(/other purposes \(1\.3\.6\.1\.5\.5\.7\.3\.1\)/);
    await expect(
      verifyResponseToken(
        mini.token(server),
        options({ extendedKeyUsages: ['1.3.6.1.5.5.7.3.1'] }),
      ),
    ).resolves.toBeDefined();
    const codeSigning = await mini.identity('EdDSA', { spec: { eku: ['1.3.6.1.5.5.7.3.3'] } });
    await expect(verifyResponseToken(mini.token(codeSigning), options())).resolves.toBeDefined();
  });

  it('refuses a CA certificate as the leaf', async () => {
    const caLeaf = await mini.identity('EdDSA', {
      spec: {
        ca: true,
        keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign,
      },
    });
    await expectCode(verifyResponseToken(mini.token(caLeaf), options()), 'ERR_CERT_USAGE');
  });

  it('enforces basicConstraints and path length along the path', async () => {
    const root = mini.cas.get('ca-a');
    if (!root) throw new Error('no root');
    const inter = await issue(root, {
      name: 'Mini Intermediate',
      ...validity(now()),
      ca: true,
      pathLength: 0,
    });
    const good = await mini.identity('ES256', { issuer: inter, extraChain: [], caId: 'ca-a' });
    // Served chain: leaf, intermediate. OCSP is the root's here, not the intermediate's: offline.
    const result = await verifyResponseToken(mini.token(good), options({ offline: true }));
    expect(result.cas[0]?.chain).toHaveLength(3);

    const deeper = await issue(inter, { name: 'Too Deep', ...validity(now()), ca: true });
    const tooDeep = await mini.identity('ES256', { issuer: deeper, extraChain: [inter] });
    const err = await expectCode(
      verifyResponseToken(mini.token(tooDeep), options()),
      'ERR_CERT_USAGE',
    );
    expect(err.message).toMatch(/path length of 0/);

    const notCa = await issue(root, {
      name: 'Not A CA',
      ...validity(now()),
      ca: false,
      keyUsage: x509.KeyUsageFlags.keyCertSign,
    });
    const underNotCa = await mini.identity('ES256', { issuer: notCa });
    await expectCode(verifyResponseToken(mini.token(underNotCa), options()), 'ERR_CERT_USAGE');
  });

  it('takes trust anchors from a trust-root JSON, with validity windows', async () => {
    const id = await mini.identity('EdDSA');
    const token = mini.token(id);
    const t = now().getTime();
    const open = TrustStore.fromTrustedRoot(
      JSON.stringify(
        trustedRootDocument([{ id: 'ca-a', rootPem: rootA, validFrom: new Date(t - DAY) }]),
      ),
    );
    expect(open.anchors[0]?.id).toBe('ca-a');
    await expect(verifyResponseToken(token, options({ trust: open }))).resolves.toBeDefined();

    const closed = TrustStore.fromTrustedRoot(
      trustedRootDocument([
        { rootPem: rootA, validFrom: new Date(t - 10 * DAY), validTo: new Date(t - DAY) },
      ]),
    );
    const err = await expectCode(
      verifyResponseToken(token, options({ trust: closed })),
      'ERR_CERT_UNTRUSTED',
    );
    expect(err.message).toMatch(/trusted only from/);
    const future = TrustStore.fromTrustedRoot(
      trustedRootDocument([{ rootPem: rootA, validFrom: new Date(t + DAY) }]),
    );
    await expectCode(verifyResponseToken(token, options({ trust: future })), 'ERR_CERT_UNTRUSTED');
  });

  it('refuses trust material that is not what it claims', () => {
    expect(() => TrustStore.fromPem(['not a certificate'])).toThrow(/holds no PEM certificate/);
    expect(() => TrustStore.fromTrustedRoot('{"mediaType":"other"}')).toThrow(
      TRUSTED_ROOT_MEDIA_TYPE,
    );
    expect(() =>
      TrustStore.fromTrustedRoot({
        mediaType: TRUSTED_ROOT_MEDIA_TYPE,
        certificateAuthorities: [
          { certChain: { certificates: [{ rawBytes: 'AAAA' }] }, validFor: { start: 'yesterday' } },
        ],
      }),
    ).toThrow(/not a valid X.509 certificate/);
    expect(() => TrustStore.fromText([])).toThrow(/no trusted root/);
  });
});
