import type { webcrypto } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CfsslCertificateAuthority } from '../../../src/ca/cfssl-ca.js';
import { x509 } from '../../../src/ca/x509.js';
import type { Store } from '../../../src/store/index.js';
import { ManualClock } from '../../support/clock.js';
import { memoryStore, signingKey, splitPem } from './helpers.js';
import { makeRoot, type TestCert, validity } from './pki.js';
import { createCsr } from '../../../src/ca/csr.js';

type Reply = { status: number; body: string | Uint8Array; headers?: Record<string, string> };

/**
 * A fake cfssl, only for faults a real one cannot be made to produce: a
 * certificate for another key, a non-JSON gateway error, a redirect, an
 * oversized answer. The normal paths run against real cfssl in test/integration.
 */
describe('CfsslCertificateAuthority against a misbehaving server', () => {
  let server: Server;
  let url: string;
  let reply: (path: string, body: string) => Promise<Reply>;
  let store: Store;
  let clock: ManualClock;
  let root: TestCert;

  const ca = (extra: { ocspUrl?: string } = {}) =>
    new CfsslCertificateAuthority({
      id: 'corp',
      url,
      rootsPem: [root.pem],
      certificates: store.certificates,
      clock,
      timeoutMs: 2_000,
      ...extra,
    });

  async function certFor(publicKey: webcrypto.CryptoKey, aiaOcsp?: string): Promise<string> {
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: '5eed01',
      subject: [{ CN: ['kid-1'] }],
      issuer: root.cert.subjectName,
      ...validity(clock.now()),
      publicKey,
      signingKey: root.keys.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        ...(aiaOcsp
          ? [
              new x509.AuthorityInfoAccessExtension({
                ocsp: [new x509.GeneralName('url', aiaOcsp)],
              }),
            ]
          : []),
      ],
    });
    return cert.toString('pem');
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        void reply(req.url ?? '', body).then((r) => res.writeHead(r.status, r.headers).end(r.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => {
    server.close();
  });
  beforeEach(async () => {
    store = await memoryStore();
    clock = new ManualClock(Date.now());
    root = await makeRoot({ name: 'Corp Root', ...validity(clock.now(), 3650) });
  });
  afterEach(async () => {
    await store.close();
  });

  const ok = (result: unknown): Reply => ({
    status: 200,
    body: JSON.stringify({ success: true, result, errors: [], messages: [] }),
  });

  it('stores what it certified: leaf and root, OCSP from the AIA unless configured', async () => {
    const keys = await signingKey('ES256');
    const csrPem = await createCsr({ kid: 'kid-1', ...keys });
    let asked: unknown;
    reply = async (_path, body) => {
      asked = JSON.parse(body);
      return ok({ certificate: await certFor(keys.publicKey, `${url}/ocsp`) });
    };
    const issued = await ca().certify({ kid: 'kid-1', csrPem });
    expect(asked).toEqual({ certificate_request: csrPem });
    expect(issued).toMatchObject({ kid: 'kid-1', caId: 'corp', serial: '5eed01', status: 'good' });
    expect(issued.ocspUrl).toBe(`${url}/ocsp`);
    expect(splitPem(issued.chainPem)).toHaveLength(2);
    expect(await store.certificates.get('kid-1', 'corp')).toEqual(issued);

    await store.close();
    store = await memoryStore();
    const configured = await ca({ ocspUrl: 'http://127.0.0.1:1/ocsp' }).certify({
      kid: 'kid-1',
      csrPem,
    });
    expect(configured.ocspUrl).toBe('http://127.0.0.1:1/ocsp');
  });

  it('refuses a certificate for a key other than the CSR one, and stores nothing', async () => {
    const keys = await signingKey('ES256');
    const other = await signingKey('ES256');
    reply = async () => ok({ certificate: await certFor(other.publicKey) });
    await expect(
      ca().certify({ kid: 'kid-1', csrPem: await createCsr({ kid: 'kid-1', ...keys }) }),
    ).rejects.toMatchObject({
      code: 'ERR_CA_VALIDATION_FAILED',
      message: expect.stringMatching(/other than the one in the CSR/),
    });
    expect(await store.certificates.get('kid-1', 'corp')).toBeUndefined();
  });

  it('reports refusals, gateway errors, redirects and oversized answers as unavailability', async () => {
    reply = async () => ({
      status: 400,
      body: JSON.stringify({ success: false, errors: [{ code: 9300, message: 'bad CSR' }] }),
    });
    await expect(ca().probe()).rejects.toMatchObject({
      code: 'ERR_CA_UNAVAILABLE',
      retryable: false,
      message: expect.stringMatching(/refused \(HTTP 400\): 9300 bad CSR/),
    });
    reply = async () => ({ status: 502, body: '<html>bad gateway</html>' });
    await expect(ca().probe()).rejects.toMatchObject({
      code: 'ERR_CA_UNAVAILABLE',
      retryable: true,
    });
    reply = async () => ({ status: 307, body: '', headers: { location: `${url}/elsewhere` } });
    await expect(ca().ocsp(`${url}/ocsp`, new Uint8Array([0x30, 0]))).rejects.toThrow(
      /redirect \(307\) refused/,
    );
    reply = async () => ({ status: 200, body: new Uint8Array(70 * 1024) });
    await expect(ca().ocsp(`${url}/ocsp`, new Uint8Array([0x30, 0]))).rejects.toThrow(
      /larger than 65536 bytes/,
    );
  });
});
