import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CrlChecker } from '../../../src/ca/crl-client.js';
import { x509 } from '../../../src/ca/x509.js';
import { ManualClock } from '../../support/clock.js';
import { makeRoot, newKeys, type TestCert, validity } from './pki.js';

const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const HOUR = 3600_000;

describe('CrlChecker', () => {
  let server: Server;
  let base: string;
  const routes = new Map<
    string,
    { status?: number; body: Uint8Array | string; location?: string }
  >();
  let fetches = 0;
  let clock: ManualClock;
  let root: TestCert;
  let leaf: TestCert;

  async function leafWithCrl(issuer: TestCert, urls: string[]): Promise<TestCert> {
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: '7a01',
      subject: [{ CN: ['kid-crl'] }],
      issuer: issuer.cert.subjectName,
      ...validity(clock.now()),
      publicKey: keys.publicKey,
      signingKey: issuer.keys.privateKey,
      signingAlgorithm: SIGN,
      extensions: urls.length ? [new x509.CRLDistributionPointsExtension(urls)] : [],
    });
    return { cert, keys, pem: cert.toString('pem') };
  }

  async function crl(
    signer: TestCert,
    options: { revoked?: string[]; thisUpdate?: Date; nextUpdate?: Date } = {},
  ): Promise<Uint8Array> {
    const now = clock.now();
    const generated = await x509.X509CrlGenerator.create({
      issuer: signer.cert.subjectName,
      thisUpdate: options.thisUpdate ?? now,
      nextUpdate: options.nextUpdate ?? new Date(now.getTime() + HOUR),
      signingKey: signer.keys.privateKey,
      signingAlgorithm: SIGN,
      entries: (options.revoked ?? []).map((serialNumber) => ({
        serialNumber,
        revocationDate: now,
        reason: x509.X509CrlReason.keyCompromise,
      })),
    });
    return new Uint8Array(generated.rawData);
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      fetches += 1;
      const route = routes.get(req.url ?? '');
      if (!route) return res.writeHead(404).end();
      const headers = route.location ? { location: route.location } : {};
      res.writeHead(route.status ?? 200, headers).end(route.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => {
    server.close();
  });
  beforeEach(async () => {
    routes.clear();
    fetches = 0;
    clock = new ManualClock(Date.now());
    root = await makeRoot({ name: 'CRL Root', ...validity(clock.now(), 3650) });
    leaf = await leafWithCrl(root, [`${base}/ca.crl`]);
  });

  it('answers good or revoked from a CRL the issuer signed, and keeps it until nextUpdate', async () => {
    routes.set('/ca.crl', { body: await crl(root, { revoked: ['0100'] }) });
    const checker = new CrlChecker({ clock });
    expect(await checker.status(leaf.pem, root.pem)).toMatchObject({ status: 'good' });
    expect(await checker.status(leaf.pem, root.pem)).toMatchObject({ status: 'good' });
    expect(fetches).toBe(1);

    routes.set('/ca.crl', { body: await crl(root, { revoked: ['7a01'] }) });
    clock.advance(HOUR + 1);
    const revoked = await checker.status(leaf.pem, root.pem);
    expect(revoked).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    expect(revoked?.revokedAt).toBeInstanceOf(Date);
    expect(fetches).toBe(2);
  });

  it('accepts a PEM CRL, and says nothing for a certificate without distribution point', async () => {
    const der = await crl(root);
    routes.set('/ca.crl', { body: new x509.X509Crl(der).toString('pem') });
    expect(await new CrlChecker({ clock }).status(leaf.pem, root.pem)).toMatchObject({
      status: 'good',
    });
    const bare = await leafWithCrl(root, []);
    expect(await new CrlChecker({ clock }).status(bare.pem, root.pem)).toBeUndefined();
  });

  it('refuses a CRL signed by another key or naming another issuer', async () => {
    const impostor = await makeRoot({ name: 'CRL Root', ...validity(clock.now(), 3650) });
    routes.set('/ca.crl', { body: await crl(impostor, { revoked: [] }) });
    await expect(new CrlChecker({ clock }).status(leaf.pem, root.pem)).rejects.toThrow(
      /signature does not verify/,
    );
    const other = await makeRoot({ name: 'Other Root', ...validity(clock.now(), 3650) });
    routes.set('/ca.crl', { body: await crl(other) });
    await expect(new CrlChecker({ clock }).status(leaf.pem, root.pem)).rejects.toThrow(
      /not from the issuing CA/,
    );
  });

  it('refuses a stale CRL and one from the future', async () => {
    const now = clock.now().getTime();
    routes.set('/ca.crl', {
      body: await crl(root, {
        thisUpdate: new Date(now - 3 * HOUR),
        nextUpdate: new Date(now - HOUR),
      }),
    });
    await expect(new CrlChecker({ clock }).status(leaf.pem, root.pem)).rejects.toThrow(/stale/);
    routes.set('/ca.crl', {
      body: await crl(root, {
        thisUpdate: new Date(now + HOUR),
        nextUpdate: new Date(now + 2 * HOUR),
      }),
    });
    await expect(new CrlChecker({ clock }).status(leaf.pem, root.pem)).rejects.toThrow(/future/);
  });

  it('follows no redirect and refuses an oversized answer', async () => {
    const moved = await leafWithCrl(root, [`${base}/moved`]);
    routes.set('/moved', { status: 302, body: '', location: `${base}/ca.crl` });
    routes.set('/ca.crl', { body: await crl(root) });
    await expect(new CrlChecker({ clock }).status(moved.pem, root.pem)).rejects.toMatchObject({
      code: 'ERR_CA_UNAVAILABLE',
      message: expect.stringMatching(/redirect/),
    });
    expect(fetches).toBe(1);

    routes.set('/ca.crl', { body: new Uint8Array(4096) });
    await expect(
      new CrlChecker({ clock, maxBytes: 1024 }).status(leaf.pem, root.pem),
    ).rejects.toThrow(/larger than 1024 bytes/);
  });
});
