import { beforeAll, describe, expect, it } from 'vitest';
import { validateChain } from '../../../src/ca/chain.js';
import { x509 } from '../../../src/ca/x509.js';
import { SignetError } from '../../../src/domain/errors.js';
import { issue, makeRoot, type TestCert, validity } from './pki.js';

const AT = new Date(Date.UTC(2026, 5, 1));
const DAY = 24 * 3600_000;

async function rejected(promise: Promise<unknown>): Promise<SignetError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SignetError);
  expect((err as SignetError).code).toBe('ERR_CA_VALIDATION_FAILED');
  return err as SignetError;
}

describe('validateChain', () => {
  let root: TestCert;
  let leaf: TestCert;

  beforeAll(async () => {
    root = await makeRoot({ name: 'Test Root', ...validity(AT, 3650), pathLength: 1 });
    leaf = await issue(root, { name: 'kid-1', ...validity(AT, 30) });
  });

  it('accepts a leaf issued by a trusted root and returns the path', async () => {
    const result = await validateChain({
      chainPem: leaf.pem + root.pem,
      rootsPem: [root.pem],
      at: AT,
    });
    expect(result.leaf.subject).toBe('CN=kid-1');
    expect(result.path.map((c) => c.subject)).toEqual(['CN=kid-1', 'CN=Test Root']);
  });

  it('builds through an intermediate within the root path length', async () => {
    const inter = await issue(root, { name: 'Inter', ...validity(AT), ca: true, pathLength: 0 });
    const leaf2 = await issue(inter, { name: 'kid-2', ...validity(AT, 30) });
    const result = await validateChain({
      chainPem: leaf2.pem + inter.pem,
      rootsPem: [root.pem],
      at: AT,
    });
    expect(result.path).toHaveLength(3);
  });

  it('refuses a chain that ends at an untrusted root', async () => {
    const other = await makeRoot({ name: 'Other Root', ...validity(AT, 3650) });
    const err = await rejected(
      validateChain({ chainPem: leaf.pem + root.pem, rootsPem: [other.pem], at: AT }),
    );
    expect(err.message).toMatch(/not issued by a trusted root/);
  });

  it('refuses a look-alike root with the trusted name but another key', async () => {
    const fake = await makeRoot({ name: 'Test Root', ...validity(AT, 3650) });
    const forged = await issue(fake, { name: 'kid-1', ...validity(AT, 30) });
    const err = await rejected(
      validateChain({ chainPem: forged.pem + fake.pem, rootsPem: [root.pem], at: AT }),
    );
    expect(err.message).toMatch(/does not verify/);
  });

  it('refuses an expired leaf and a leaf not yet valid at the given time', async () => {
    const input = { chainPem: leaf.pem, rootsPem: [root.pem] };
    expect(
      (await rejected(validateChain({ ...input, at: new Date(AT.getTime() + 31 * DAY) }))).message,
    ).toMatch(/expired/);
    expect(
      (await rejected(validateChain({ ...input, at: new Date(AT.getTime() - 2 * DAY) }))).message,
    ).toMatch(/not valid before/);
  });

  it('refuses a leaf without digitalSignature', async () => {
    const bad = await issue(root, {
      name: 'kid-ku',
      ...validity(AT, 30),
      keyUsage: x509.KeyUsageFlags.keyEncipherment,
    });
    const err = await rejected(validateChain({ chainPem: bad.pem, rootsPem: [root.pem], at: AT }));
    expect(err.message).toMatch(/digitalSignature/);
  });

  it('refuses a leaf that is a CA, or only an OCSP responder', async () => {
    const caLeaf = await issue(root, {
      name: 'kid-ca',
      ...validity(AT, 30),
      ca: true,
      keyUsage: 0x21,
    });
    expect(
      (await rejected(validateChain({ chainPem: caLeaf.pem, rootsPem: [root.pem], at: AT })))
        .message,
    ).toMatch(/is a CA certificate/);
    const responder = await issue(root, {
      name: 'kid-ocsp',
      ...validity(AT, 30),
      eku: [x509.ExtendedKeyUsage.ocspSigning],
    });
    expect(
      (await rejected(validateChain({ chainPem: responder.pem, rootsPem: [root.pem], at: AT })))
        .message,
    ).toMatch(/OCSP responder/);
  });

  it('refuses an intermediate that is not a CA', async () => {
    const notCa = await issue(root, {
      name: 'Not CA',
      ...validity(AT),
      keyUsage: x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature,
    });
    const leaf3 = await issue(notCa, { name: 'kid-3', ...validity(AT, 30) });
    const err = await rejected(
      validateChain({ chainPem: leaf3.pem + notCa.pem, rootsPem: [root.pem], at: AT }),
    );
    expect(err.message).toMatch(/"CN=Not CA" is used as a CA but is not a CA certificate/);
  });

  it('refuses a CA without keyCertSign and a path longer than pathLen allows', async () => {
    const noSign = await issue(root, {
      name: 'No Sign',
      ...validity(AT),
      ca: true,
      keyUsage: x509.KeyUsageFlags.cRLSign,
    });
    const leaf4 = await issue(noSign, { name: 'kid-4', ...validity(AT, 30) });
    expect(
      (
        await rejected(
          validateChain({ chainPem: leaf4.pem + noSign.pem, rootsPem: [root.pem], at: AT }),
        )
      ).message,
    ).toMatch(/keyCertSign/);

    const strictRoot = await makeRoot({
      name: 'Strict Root',
      ...validity(AT, 3650),
      pathLength: 0,
    });
    const inter = await issue(strictRoot, { name: 'Inter 2', ...validity(AT), ca: true });
    const leaf5 = await issue(inter, { name: 'kid-5', ...validity(AT, 30) });
    expect(
      (
        await rejected(
          validateChain({ chainPem: leaf5.pem + inter.pem, rootsPem: [strictRoot.pem], at: AT }),
        )
      ).message,
    ).toMatch(/path length of 0/);
  });

  it('honours the trust window of the anchors', async () => {
    const input = { chainPem: leaf.pem, rootsPem: [root.pem], at: AT };
    await expect(
      validateChain({ ...input, validFrom: new Date(AT.getTime() - DAY) }),
    ).resolves.toBeDefined();
    expect(
      (await rejected(validateChain({ ...input, validTo: new Date(AT.getTime() - DAY) }))).message,
    ).toMatch(/trusted only until/);
    expect(
      (await rejected(validateChain({ ...input, validFrom: new Date(AT.getTime() + DAY) })))
        .message,
    ).toMatch(/trusted only from/);
  });

  it('refuses garbage PEM with a validation error', async () => {
    await rejected(validateChain({ chainPem: 'not a pem', rootsPem: [root.pem], at: AT }));
  });
});
