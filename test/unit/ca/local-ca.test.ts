import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { x509 } from '../../../src/ca/x509.js';
import { SignetError } from '../../../src/domain/errors.js';
import { systemClock } from '../../../src/domain/ports.js';
import { ALGORITHMS } from '../../../src/domain/types.js';
import { KeyEncryption } from '../../../src/keys/key-encryption.js';
import type { Store } from '../../../src/store/index.js';
import { tempDir } from '../../support/temp.js';
import { csrFor, memoryStore, newLocalCa, openssl, splitPem, writeFiles } from './helpers.js';

describe('LocalCertificateAuthority', () => {
  let store: Store;
  const dir = tempDir('signet-ca-');

  beforeAll(async () => {
    store = await memoryStore();
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it('creates a P-256 root with CA constraints and persists it encrypted', async () => {
    const encryption = new KeyEncryption(randomBytes(32));
    const ca = newLocalCa(store, systemClock, 'root-test', { encryption });
    await ca.init();
    const [rootPem] = await ca.rootsPem();
    const root = new x509.X509Certificate(rootPem ?? '');
    expect(root.subject).toBe('CN=Signet root-test Root');
    const bc = root.getExtension(x509.BasicConstraintsExtension);
    expect([bc?.ca, bc?.pathLength, bc?.critical]).toEqual([true, 0, true]);
    const ku = root.getExtension(x509.KeyUsagesExtension);
    expect(ku?.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(ku?.critical).toBe(true);
    expect(root.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    expect(root.notAfter.getTime() - root.notBefore.getTime()).toBeGreaterThan(
      9.9 * 365 * 86_400_000,
    );

    const state = await store.localCas.get('root-test');
    expect(state?.encryptedRootKey).toMatch(/^v1\./);
    expect(state?.encryptedRootKey).not.toContain('PRIVATE');

    const again = newLocalCa(store, systemClock, 'root-test', { encryption });
    expect(await again.rootsPem()).toEqual([rootPem]);
    const wrongKey = newLocalCa(store, systemClock, 'root-test', {
      encryption: new KeyEncryption(randomBytes(32)),
    });
    await expect(wrongKey.init()).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
  });

  it('lets the first writer win when two instances initialise at once', async () => {
    const encryption = new KeyEncryption(randomBytes(32));
    const a = newLocalCa(store, systemClock, 'race', { encryption });
    const b = newLocalCa(store, systemClock, 'race', { encryption });
    const [ra, rb] = await Promise.all([a.rootsPem(), b.rootsPem()]);
    expect(ra).toEqual(rb);
  });

  it.each(ALGORITHMS)(
    'certifies a %s key from its CSR, and openssl verifies both',
    async (algorithm) => {
      const ca = newLocalCa(store, systemClock, 'local-a');
      const kid = `kid-${algorithm.toLowerCase()}`;
      const csrPem = await csrFor(kid, algorithm);
      const csrFile = writeFiles(dir.path, { [`${kid}.csr`]: csrPem })[`${kid}.csr`] ?? '';
      const csrCheck = await openssl(['req', '-in', csrFile, '-verify', '-noout']);
      expect(csrCheck.code).toBe(0);
      expect(csrCheck.stdout + csrCheck.stderr).toMatch(/verify OK/i);
      const issued = await ca.certify({ kid, csrPem });

      expect(issued.serial).toMatch(/^[4-7][0-9a-f]{31}$/);
      expect(issued.ocspUrl).toBe('http://127.0.0.1:8080/ocsp/local-a');
      expect(await store.certificates.get(kid, 'local-a')).toMatchObject({
        serial: issued.serial,
        status: 'good',
      });
      const [leafPem, rootPem] = splitPem(issued.chainPem);
      expect([rootPem]).toEqual(await ca.rootsPem());
      const leaf = new x509.X509Certificate(leafPem ?? '');
      expect(leaf.subject).toBe(`CN=${kid}`);
      expect(leaf.serialNumber.toLowerCase()).toBe(issued.serial);
      expect(leaf.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
      expect(leaf.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
        x509.KeyUsageFlags.digitalSignature,
      );
      const aia = leaf.getExtension(x509.AuthorityInfoAccessExtension);
      expect(aia?.ocsp.map((g) => g.value)).toEqual(['http://127.0.0.1:8080/ocsp/local-a']);
      expect(aia?.caIssuers.map((g) => g.value)).toEqual([
        'http://127.0.0.1:8080/cas/local-a/root.pem',
      ]);
      expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(30 * 86_400_000 + 60_000);

      const files = writeFiles(dir.path, {
        [`${kid}.pem`]: leafPem ?? '',
        [`${kid}-chain.pem`]: issued.chainPem,
        'root.pem': rootPem ?? '',
      });
      const verified = await openssl([
        'verify',
        '-CAfile',
        files['root.pem'] ?? '',
        '-untrusted',
        files[`${kid}-chain.pem`] ?? '',
        files[`${kid}.pem`] ?? '',
      ]);
      expect(verified.stderr).toBe('');
      expect(verified.stdout).toContain(': OK');
      expect(verified.code).toBe(0);
    },
  );

  it('refuses a CSR whose signature does not match its content', async () => {
    const ca = newLocalCa(store, systemClock, 'local-a');
    const csrPem = await csrFor('kid-aaaa', 'ES256');
    const der = Buffer.from(x509.PemConverter.decodeFirst(csrPem));
    const at = der.indexOf(Buffer.from('kid-aaaa'));
    expect(at).toBeGreaterThan(0);
    der.write('kid-bbbb', at);
    const tampered = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    const err = await ca.certify({ kid: 'kid-bbbb', csrPem: tampered }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignetError);
    expect(err).toMatchObject({
      code: 'ERR_VALIDATION',
      message: expect.stringMatching(/signature/),
    });
    expect(await store.certificates.get('kid-bbbb', 'local-a')).toBeUndefined();

    await expect(ca.certify({ kid: 'x', csrPem: 'garbage' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
  });

  it('revokes in the repository, and refuses everything while disabled', async () => {
    const ca = newLocalCa(store, systemClock, 'local-r');
    const issued = await ca.certify({ kid: 'kid-r', csrPem: await csrFor('kid-r', 'EdDSA') });
    await ca.revoke(issued, 'keyCompromise');
    expect(await store.certificates.findBySerial('local-r', issued.serial)).toMatchObject({
      status: 'revoked',
      revocationReason: 'keyCompromise',
    });

    await expect(ca.probe()).resolves.toBeUndefined();
    ca.setAvailable(false);
    const csrPem = await csrFor('kid-s', 'ES256');
    for (const attempt of [
      () => ca.probe(),
      () => ca.certify({ kid: 'kid-s', csrPem }),
      () => ca.ocsp(ca.ocspUrl, new Uint8Array([0x30, 0x00])),
      () => ca.revoke(issued, 'superseded'),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: 'ERR_CA_UNAVAILABLE',
        retryable: true,
      });
    }
    ca.setAvailable(true);
    await expect(ca.probe()).resolves.toBeUndefined();
  });
});
