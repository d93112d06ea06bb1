import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCertificateAuthority } from '../../../src/ca/local-ca.js';
import { parseOcspResponse } from '../../../src/ca/ocsp-client.js';
import { isSignetError, SignetError } from '../../../src/domain/errors.js';
import { systemClock } from '../../../src/domain/ports.js';
import type { IssuedCertificate } from '../../../src/domain/types.js';
import { ocspRoutes } from '../../../src/http/routes/ocsp.js';
import type { Store } from '../../../src/store/index.js';
import { tempDir } from '../../support/temp.js';
import { csrFor, memoryStore, newLocalCa, openssl, splitPem, writeFiles } from './helpers.js';

describe('OCSP responder over HTTP, with openssl on the other side', () => {
  const dir = tempDir('signet-ocsp-');
  let store: Store;
  let ca: LocalCertificateAuthority;
  let app: FastifyInstance;
  let base: string;
  let issued: IssuedCertificate;
  let files: Record<string, string>;

  beforeAll(async () => {
    store = await memoryStore();
    ca = newLocalCa(store, systemClock, 'local-a', { ocspValidityMs: 600_000 });
    issued = await ca.certify({ kid: 'kid-ocsp', csrPem: await csrFor('kid-ocsp', 'ES256') });
    const [leafPem, rootPem] = splitPem(issued.chainPem);
    files = writeFiles(dir.path, { 'leaf.pem': leafPem ?? '', 'root.pem': rootPem ?? '' });

    app = Fastify();
    app.setErrorHandler((error: { statusCode?: number; code?: string }, _request, reply) => {
      const status = isSignetError(error) ? error.httpStatus : (error.statusCode ?? 500);
      void reply.status(status).send({ code: error.code });
    });
    await app.register(ocspRoutes, {
      ocsp: async (caId, der) => {
        if (caId !== ca.id) throw new SignetError('ERR_NOT_FOUND', 'no such CA');
        return ca.ocsp(ca.ocspUrl, der);
      },
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    base = `${address}/ocsp/local-a`;
  });

  afterAll(async () => {
    await app.close();
    await store.close();
    dir.remove();
  });

  const query = (...extra: string[]) =>
    openssl([
      'ocsp',
      ...extra,
      '-issuer',
      files['root.pem'] ?? '',
      '-cert',
      files['leaf.pem'] ?? '',
      '-url',
      base,
      '-CAfile',
      files['root.pem'] ?? '',
      '-resp_text',
    ]);

  it('answers good, then revoked with the reason, to openssl ocsp (with nonce, SHA-1 and SHA-256 CertIDs)', async () => {
    const good = await query();
    expect(good.stderr).toContain('Response verify OK');
    expect(good.stdout).toMatch(/leaf\.pem: good/);
    expect(good.stdout).toContain('OCSP Nonce');

    const sha256 = await query('-sha256');
    expect(sha256.stderr).toContain('Response verify OK');
    expect(sha256.stdout).toMatch(/Hash Algorithm: sha256/);
    expect(sha256.stdout).toMatch(/leaf\.pem: good/);

    await ca.revoke(issued, 'keyCompromise');
    const revoked = await query();
    expect(revoked.stderr).toContain('Response verify OK');
    expect(revoked.stdout).toMatch(/leaf\.pem: revoked/);
    expect(revoked.stdout).toMatch(/Reason: keyCompromise/);
  });

  it('parses a request written by openssl (POST and GET), and openssl accepts the answer', async () => {
    const other = await ca.certify({
      kid: 'kid-ocsp-2',
      csrPem: await csrFor('kid-ocsp-2', 'EdDSA'),
    });
    const [leafPem, rootPem] = splitPem(other.chainPem);
    const paths = writeFiles(dir.path, { 'leaf2.pem': leafPem ?? '' });
    const reqOut = `${dir.path}/req.der`;
    const made = await openssl([
      'ocsp',
      '-issuer',
      files['root.pem'] ?? '',
      '-cert',
      paths['leaf2.pem'] ?? '',
      '-no_nonce',
      '-reqout',
      reqOut,
    ]);
    expect(made.code).toBe(0);
    const requestDer = readFileSync(reqOut);

    const post = await fetch(base, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: requestDer,
    });
    expect(post.status).toBe(200);
    expect(post.headers.get('content-type')).toBe('application/ocsp-response');
    const postDer = new Uint8Array(await post.arrayBuffer());
    const opts = { leafPem: leafPem ?? '', issuerPem: rootPem ?? '', now: new Date() };
    expect(parseOcspResponse(postDer, opts).status).toBe('good');

    const encoded = encodeURIComponent(requestDer.toString('base64'));
    const get = await fetch(`${base}/${encoded}`);
    expect(get.status).toBe(200);
    expect(get.headers.get('cache-control')).toMatch(/max-age=(\d+)/);
    const maxAge = Number(/max-age=(\d+)/.exec(get.headers.get('cache-control') ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(500);
    expect(maxAge).toBeLessThanOrEqual(600);
    const respPath = writeFiles(dir.path, { 'resp.der': new Uint8Array(await get.arrayBuffer()) })[
      'resp.der'
    ];
    const checked = await openssl([
      'ocsp',
      '-respin',
      respPath ?? '',
      '-issuer',
      files['root.pem'] ?? '',
      '-cert',
      paths['leaf2.pem'] ?? '',
      '-CAfile',
      files['root.pem'] ?? '',
      '-no_nonce',
    ]);
    expect(checked.stderr).toContain('Response verify OK');
    expect(checked.stdout).toMatch(/leaf2\.pem: good/);
  });

  it('answers malformedRequest to garbage, and refuses undecodable GET paths and wrong media types', async () => {
    const garbage = await fetch(base, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: Buffer.from('not an OCSP request'),
    });
    expect(garbage.status).toBe(200);
    const der = new Uint8Array(await garbage.arrayBuffer());
    expect(Buffer.from(der).toString('hex')).toBe('30030a0101');
    expect(garbage.headers.get('cache-control')).toBe('no-store');

    const badGet = await fetch(`${base}/${encodeURIComponent('***not-base64***')}`);
    expect(badGet.status).toBe(400);
    expect(await badGet.json()).toEqual({ code: 'ERR_VALIDATION' });

    const wrongType = await fetch(base, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(wrongType.status).toBe(415);

    const tooLarge = await fetch(base, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: Buffer.alloc(65 * 1024),
    });
    expect(tooLarge.status).toBe(413);
  });
});
