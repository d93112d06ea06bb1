import { createHash, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, compactVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl, pemCertificates } from '../support/openssl.js';
import { startSignet, type SignetProcess } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';

/**
 * The whole flow against the real server process, verified with tools that are
 * not Signet's: jose for the JWS, openssl for the chain and for OCSP.
 */
describe('end to end: submit, poll, verify independently, revoke', () => {
  const dir = tempDir();
  let signet: SignetProcess;
  const auth = () => ({ authorization: `Bearer ${signet.adminToken}` });

  beforeAll(async () => {
    signet = await startSignet({ dataDir: dir.path });
  });
  afterAll(async () => {
    await signet?.stop();
    dir.remove();
  });

  async function signedToken(
    data: unknown,
  ): Promise<{ id: string; token: string; status: Record<string, unknown> }> {
    const submitted = await fetch(`${signet.url}/request`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ data }),
    });
    expect(submitted.status).toBe(202);
    const body = (await submitted.json()) as {
      requestId: string;
      status: string;
      statusUrl: string;
    };
    expect(submitted.headers.get('location')).toBe(`/status/${body.requestId}`);
    expect(body.statusUrl).toBe(`${signet.url}/status/${body.requestId}`);
    const polled = await fetch(`${signet.url}/status/${body.requestId}?wait=20`, {
      headers: auth(),
    });
    const status = (await polled.json()) as Record<string, unknown>;
    expect(status.status).toBe('completed');
    return { id: body.requestId, token: status.token as string, status };
  }

  async function checkOcsp(leafPem: string, rootPem: string, ocspUrl: string): Promise<string> {
    const leafPath = join(dir.path, `leaf-${Date.now()}.pem`);
    const rootPath = join(dir.path, `root-${Date.now()}.pem`);
    writeFileSync(leafPath, leafPem);
    writeFileSync(rootPath, rootPem);
    return openssl([
      'ocsp',
      '-issuer',
      rootPath,
      '-cert',
      leafPath,
      '-url',
      ocspUrl,
      '-CAfile',
      rootPath,
    ]);
  }

  let firstKid = '';
  let firstLeaf = '';
  let firstRoot = '';
  let firstOcsp = '';

  it('issues a token that verifies with JWKS, chains to the CA root, and is good at OCSP', async () => {
    const data = { b: 1, a: 'x' };
    const { id, token, status } = await signedToken(data);

    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'signet-response+jwt' });
    const jwks = createRemoteJWKSet(new URL(`${signet.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(token, jwks, {
      issuer: signet.url,
      typ: 'signet-response+jwt',
    });
    expect(payload.jti).toBe(id);
    expect(payload.sub).toBe('admin');
    expect(payload.nbf).toBeTypeOf('number');
    expect((payload.data as { request: unknown }).request).toEqual(data);
    expect(payload.req).toBe(createHash('sha256').update('{"a":"x","b":1}').digest('base64url'));
    expect(payload.key).toMatchObject({
      kid: header.kid,
      status: 'active',
      revocations: `${signet.url}/revocations`,
    });
    const signedResponse = status.signedResponse as {
      kid: string;
      signature: string;
      caLocations: unknown[];
    };
    expect(signedResponse.kid).toBe(header.kid);
    expect(signedResponse.signature).toBe(token.split('.')[2]);

    const cas = payload.ca as { id: string; x5u: string; ocsp: string }[];
    expect(cas[0]?.x5u).toBe(header.x5u);
    const chain = await (await fetch(header.x5u as string)).text();
    const [leafPem] = pemCertificates(chain);
    const leaf = new X509Certificate(leafPem ?? '');
    expect(createHash('sha256').update(leaf.raw).digest('base64url')).toBe(header['x5t#S256']);
    const { payload: viaCert } = await compactVerify(token, leaf.publicKey);
    expect(JSON.parse(new TextDecoder().decode(viaCert)).jti).toBe(id);

    const rootPem = await (await fetch(`${signet.url}/cas/${cas[0]?.id}/root.pem`)).text();
    writeFileSync(join(dir.path, 'root.pem'), rootPem);
    writeFileSync(join(dir.path, 'chain.pem'), chain);
    const verified = await openssl([
      'verify',
      '-CAfile',
      join(dir.path, 'root.pem'),
      join(dir.path, 'chain.pem'),
    ]);
    expect(verified).toMatch(/chain\.pem: OK/);

    const ocsp = await checkOcsp(leafPem ?? '', rootPem, cas[0]?.ocsp ?? '');
    expect(ocsp).toMatch(/: good/);
    expect(ocsp).toMatch(/Response verify OK/);

    firstKid = header.kid as string;
    firstLeaf = leafPem ?? '';
    firstRoot = rootPem;
    firstOcsp = cas[0]?.ocsp ?? '';
  });

  it('revokes the key everywhere and signs the next token with a new kid', async () => {
    const revoked = await fetch(`${signet.url}/revoke/${firstKid}`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'keyCompromise' }),
    });
    expect(revoked.status).toBe(200);
    const result = (await revoked.json()) as { revokedKid: string; activeKid: string };
    expect(result.revokedKid).toBe(firstKid);
    expect(result.activeKid).not.toBe(firstKid);

    const { token } = await signedToken({ after: 'revocation' });
    expect(decodeProtectedHeader(token).kid).toBe(result.activeKid);

    const jwks = (await (await fetch(`${signet.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((key) => key.kid)).not.toContain(firstKid);
    expect(jwks.keys.map((key) => key.kid)).toContain(result.activeKid);

    const ocsp = await checkOcsp(firstLeaf, firstRoot, firstOcsp);
    expect(ocsp).toMatch(/: revoked/);

    const list = await (await fetch(`${signet.url}/revocations`)).text();
    const { payload } = await jwtVerify(
      list,
      createRemoteJWKSet(new URL(`${signet.url}/.well-known/jwks.json`)),
    );
    expect(payload.revoked).toEqual([
      expect.objectContaining({ kid: firstKid, reason: 'keyCompromise' }),
    ]);
    expect(payload.seq).toBe(1);

    const health = (await (await fetch(`${signet.url}/health`)).json()) as {
      activeKid: string;
      status: string;
    };
    expect(health).toMatchObject({ activeKid: result.activeKid, status: 'ok' });
  });
});
