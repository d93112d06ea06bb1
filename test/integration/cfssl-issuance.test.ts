import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactVerify, decodeProtectedHeader, importX509 } from 'jose';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CfsslCa, cfsslAvailable, stopAllCfssl } from '../support/cfssl.js';
import { admin, caClaim, caId, cfsslYaml, request, waitUntil } from '../support/cfssl-service.js';
import { openssl, pemCertificates } from '../support/openssl.js';
import { createTestService, type TestService } from '../support/service.js';
import { tempDir } from '../support/temp.js';

const available = await cfsslAvailable();

describe.skipIf(!available)('Signet with real cfssl CAs: issuance and revocation', () => {
  const cas: CfsslCa[] = [];
  let ctx: TestService | undefined;
  const files = tempDir('signet-cfssl-files-');

  async function startCa(id: string): Promise<CfsslCa> {
    const ca = await CfsslCa.start(id);
    cas.push(ca);
    ca.watch();
    return ca;
  }

  function writeTemp(name: string, content: string): string {
    const path = join(files.path, name);
    writeFileSync(path, content);
    return path;
  }

  async function ocspStatus(ca: CfsslCa, leafPem: string): Promise<string> {
    await ca.refreshOcsp();
    // prettier-ignore
    return openssl(['ocsp', '-issuer', ca.rootPath, '-cert', writeTemp('leaf.pem', leafPem),
      '-url', ca.ocspUrl, '-CAfile', ca.rootPath, '-no_nonce']);
  }

  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
  });
  afterAll(async () => {
    await Promise.all(cas.map((ca) => ca.close()));
    await stopAllCfssl();
    files.remove();
  });

  it('signs with a key that cfssl certified from its CSR; openssl verifies chain and OCSP', async () => {
    const ca = await startCa('one');
    ctx = await createTestService(cfsslYaml([ca]));
    await ctx.service.start();

    const status = await request(ctx.service, { order: 1 });
    expect(status.status).toBe('completed');
    const token = status.token ?? '';
    const [claim, ...others] = caClaim(token);
    expect(others).toEqual([]);
    expect(claim).toMatchObject({ id: caId(ca), ocsp: ca.ocspUrl });
    const kid = decodeProtectedHeader(token).kid ?? '';

    const chain = await ctx.service.api.certificateChain(kid, caId(ca));
    const [leafPem, rootPem] = pemCertificates(chain);
    expect(rootPem?.trim()).toBe(ca.rootPem.trim());
    const leafPath = writeTemp('verify-leaf.pem', leafPem ?? '');
    expect(await openssl(['verify', '-CAfile', ca.rootPath, leafPath])).toMatch(/: OK/);
    await compactVerify(token, await importX509(leafPem ?? '', 'ES256'));

    const cert = await ctx.service.store.certificates.get(kid, caId(ca));
    expect(ca.statusOf(cert?.serial ?? '')).toMatchObject({ status: 'good' });
    expect(await ocspStatus(ca, leafPem ?? '')).toMatch(/: good/);
  });

  it('revokes at the CA: the cfssl OCSP responder answers revoked', async () => {
    const ca = await startCa('rev');
    ctx = await createTestService(cfsslYaml([ca]));
    await ctx.service.start();
    const first = await request(ctx.service, { n: 1 });
    const kid = decodeProtectedHeader(first.token ?? '').kid ?? '';
    const cert = await ctx.service.store.certificates.get(kid, caId(ca));
    if (!cert) throw new Error('no certificate');

    const { activeKid } = await ctx.service.api.revoke(admin, kid, 'keyCompromise');
    expect(activeKid).not.toBe(kid);
    expect(ca.statusOf(cert.serial)).toEqual({ status: 'revoked', reason: 1 });
    expect((await ctx.service.store.certificates.get(kid, caId(ca)))?.status).toBe('revoked');
    const answer = await ocspStatus(ca, pemCertificates(cert.chainPem)[0] ?? '');
    expect(answer).toMatch(/: revoked/);
    expect(answer).toMatch(/Reason: keyCompromise/);

    const next = await request(ctx.service, { n: 2 });
    expect(decodeProtectedHeader(next.token ?? '').kid).toBe(activeKid);
  });

  it('names every CA that validated when two are required', async () => {
    const [a, b] = [await startCa('req-a'), await startCa('req-b')];
    ctx = await createTestService(cfsslYaml([a, b], { required: 2 }));
    await ctx.service.start();
    await Promise.all([a.refreshOcsp(), b.refreshOcsp()]);
    const statuses = await Promise.all([1, 2, 3].map((n) => request(ctx!.service, { n })));
    for (const status of statuses) {
      expect(status.status).toBe('completed');
      expect(caClaim(status.token).map((c) => c.id)).toEqual([caId(a), caId(b)]);
      expect(status.signedResponse?.caLocations.map((c) => c.ocsp)).toEqual([a.ocspUrl, b.ocspUrl]);
    }
  });

  it('certifies a key at a CA that was down at creation, and revokes there once it is back', async () => {
    const [a, b] = [await startCa('late-a'), await startCa('late-b')];
    await b.stop();
    ctx = await createTestService(cfsslYaml([a, b]));
    const { service } = ctx;
    await service.start();
    const kid = (await service.store.keys.getActive())?.kid ?? '';
    const heldBy = async () =>
      (await service.store.certificates.listForKey(kid)).map((c) => `${c.caId}:${c.status}`);
    expect(await heldBy()).toEqual([`${caId(a)}:good`]);

    await b.startAll();
    b.watch();
    await waitUntil('cfssl-late-b certified the key', async () => (await heldBy()).length === 2);
    const atB = await service.store.certificates.get(kid, caId(b));
    expect(b.statusOf(atB?.serial ?? '')).toMatchObject({ status: 'good' });

    // The CA is down when the key is revoked; the revocation reaches it when it is back.
    await b.stop();
    await service.api.revoke(admin, kid, 'keyCompromise');
    expect((await heldBy()).sort()).toEqual([`${caId(a)}:revoked`, `${caId(b)}:good`]);
    expect(b.statusOf(atB?.serial ?? '')).toMatchObject({ status: 'good' });
    await b.startAll();
    await waitUntil('the revocation reached cfssl-late-b', async () =>
      (await heldBy()).every((entry) => entry.endsWith(':revoked')),
    );
    expect(b.statusOf(atB?.serial ?? '')).toEqual({ status: 'revoked', reason: 1 });
    expect(await ocspStatus(b, pemCertificates(atB?.chainPem ?? '')[0] ?? '')).toMatch(/: revoked/);
  });
});
