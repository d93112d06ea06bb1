import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CfsslCa, cfsslAvailable, stopAllCfssl } from '../support/cfssl.js';
import { caClaim, caId, cfsslYaml, request } from '../support/cfssl-service.js';
import { openssl, pemCertificates } from '../support/openssl.js';
import { createTestService, type TestService } from '../support/service.js';

const available = await cfsslAvailable();

describe.skipIf(!available)('Signet with real cfssl CAs: OCSP and CRL', () => {
  const cas: CfsslCa[] = [];
  const servers: Server[] = [];
  let ctx: TestService | undefined;

  async function startService(ca: CfsslCa, yaml: string): Promise<TestService> {
    ctx = await createTestService(yaml);
    await ctx.service.start();
    await ca.refreshOcsp();
    return ctx;
  }

  async function activeCertificate(test: TestService, ca: CfsslCa) {
    const kid = (await test.service.store.keys.getActive())?.kid ?? '';
    const cert = await test.service.store.certificates.get(kid, caId(ca));
    if (!cert) throw new Error(`no certificate from ${caId(ca)}`);
    return { kid, cert };
  }

  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
  });
  afterAll(async () => {
    await Promise.all(cas.map((ca) => ca.close()));
    await stopAllCfssl();
    for (const server of servers) server.close();
  });

  it('refuses OCSP answers signed by a responder the CA never authorized', async () => {
    const ca = await CfsslCa.start('rogue', { rogueResponder: true });
    cas.push(ca);
    const test = await startService(ca, cfsslYaml([ca], { onAllDown: 'fail' }));
    const { cert } = await activeCertificate(test, ca);

    // The responder does answer, with a signature that does not come from the CA.
    const leafPath = join(ca.dir.path, 'leaf.pem');
    writeFileSync(leafPath, pemCertificates(cert.chainPem)[0] ?? '');
    // prettier-ignore
    const seen = await openssl(['ocsp', '-issuer', ca.rootPath, '-cert', leafPath,
      '-url', ca.ocspUrl, '-CAfile', ca.rootPath, '-no_nonce']);
    expect(seen).toMatch(/Response Verify Failure/i);

    const status = await request(test.service, { x: 1 });
    expect(status.status).toBe('failed');
    expect(status.error).toMatch(/^ERR_CA_UNAVAILABLE: /);
    expect(status.error).toMatch(/unauthorized OCSP responder/);
  });

  it('treats "revoked" in the CA\'s OCSP answer as a compromise: revokes, rotates, signs again', async () => {
    const ca = await CfsslCa.start('compromise');
    cas.push(ca);
    ca.watch();
    const test = await startService(ca, cfsslYaml([ca]));
    const { kid, cert } = await activeCertificate(test, ca);

    await ca.revoke(cert.serial, 'keyCompromise');
    await ca.refreshOcsp();
    const status = await request(test.service, { x: 2 });
    expect(status.status).toBe('completed');
    const newKid = decodeProtectedHeader(status.token ?? '').kid;
    expect(newKid).not.toBe(kid);
    expect(caClaim(status.token).map((c) => c.id)).toEqual([caId(ca)]);
    expect(await test.service.store.keys.get(kid)).toMatchObject({
      status: 'revoked',
      revocationReason: 'keyCompromise',
    });
    const audit = await test.service.store.db
      .selectFrom('audit_events')
      .select(['actor', 'subject'])
      .where('action', '=', 'key.revoked')
      .execute();
    expect(audit).toEqual([{ actor: `ca:${caId(ca)}`, subject: kid }]);
  });

  it('falls back to the CA-signed CRL when the OCSP responder is down', async () => {
    const source: { ca?: CfsslCa } = {};
    let fetches = 0;
    const server = createServer((_req, res) => {
      fetches += 1;
      void (source.ca?.crl() ?? Promise.reject(new Error('no CA yet'))).then(
        (der) => res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(der),
        () => res.writeHead(503).end(),
      );
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const ca = await CfsslCa.start('crl', { crlUrl: `http://127.0.0.1:${port}/ca.crl` });
    source.ca = ca;
    cas.push(ca);
    const test = await startService(ca, cfsslYaml([ca]));
    const { kid, cert } = await activeCertificate(test, ca);

    await ca.stopResponder();
    await ca.revoke(cert.serial, 'keyCompromise');
    const status = await request(test.service, { x: 3 });
    expect(status.status).toBe('completed');
    expect(fetches).toBeGreaterThanOrEqual(1);
    // The CRL named the first key revoked; the new key is good on the same (cached) CRL.
    expect((await test.service.store.keys.get(kid))?.status).toBe('revoked');
    expect(decodeProtectedHeader(status.token ?? '').kid).not.toBe(kid);
    expect(caClaim(status.token).map((c) => c.id)).toEqual([caId(ca)]);
    const again = await request(test.service, { x: 4 });
    expect(again.status).toBe('completed');
    expect(fetches).toBe(1);
    const [view] = await test.service.api.cas();
    expect(view).toMatchObject({ id: caId(ca), healthy: true });
  });
});
