import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactVerify, decodeProtectedHeader, importJWK, importX509 } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { client, request, waitUntil } from '../support/cfssl-service.js';
import { openssl, pemCertificates } from '../support/openssl.js';
import { ManualClock } from '../support/clock.js';
import { createTestService, type TestService } from '../support/service.js';
import {
  createSoftHsmTokens,
  inspectPrivateKey,
  type SoftHsmTokens,
  softHsmAvailable,
} from '../support/softhsm.js';

const available = await softHsmAvailable();
const LABEL = 'signet-service';

describe.skipIf(!available)('Signet with keys.backend pkcs11 on a real SoftHSM2 token', () => {
  let tokens: SoftHsmTokens;
  let ctx: TestService | undefined;

  const start = async () => {
    ctx = await createTestService(
      [
        `keys: { algorithm: ES256, backend: pkcs11, pkcs11: { module: "${tokens.module}", tokenLabel: ${LABEL} } }`,
        'queue: { backoff: PT0.1S, maxBackoff: PT0.3S, maxAttempts: 100 }',
        '',
      ].join('\n'),
      undefined,
      { SIGNET_PKCS11_PIN: tokens.pin },
    );
    await ctx.service.start();
    return ctx.service;
  };

  /** Verifies a token with the JWKS key of its kid and with its leaf certificate from local-a. */
  const verifyToken = async (token: string) => {
    const service = ctx?.service;
    if (!service) throw new Error('not started');
    const { kid } = decodeProtectedHeader(token);
    const jwk = (await service.api.jwks()).keys.find((key) => key.kid === kid);
    await compactVerify(token, await importJWK({ ...jwk }, 'ES256'));
    const [leafPem] = pemCertificates(await service.api.certificateChain(kid ?? '', 'local-a'));
    await compactVerify(token, await importX509(leafPem ?? '', 'ES256'));
    return { kid: kid ?? '', leafPem: leafPem ?? '' };
  };

  beforeAll(async () => {
    tokens = createSoftHsmTokens();
    await tokens.initToken(LABEL);
  });
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
  });
  afterAll(() => tokens?.remove());

  it('certifies the token key at the local CAs through a CSR signed in the token, and issues tokens that verify', async () => {
    const service = await start();
    const status = await request(service, { order: 42 });
    expect(status.status).toBe('completed');
    const { kid, leafPem } = await verifyToken(status.token ?? '');

    const record = await service.store.keys.get(kid);
    expect(record?.privateKeyRef).toMatch(
      /^pkcs11:token=signet-service;id=(%[0-9a-f]{2})+;type=private$/,
    );
    expect(inspectPrivateKey(tokens, record?.privateKeyRef ?? '')).toMatchObject({
      extractable: false,
      sensitive: true,
    });

    const [rootPem] = await service.cas[0]!.rootsPem();
    const dir = ctx?.dataDir ?? '';
    writeFileSync(join(dir, 'root.pem'), rootPem ?? '');
    writeFileSync(join(dir, 'leaf.pem'), leafPem);
    const verify = await openssl([
      'verify',
      '-CAfile',
      join(dir, 'root.pem'),
      join(dir, 'leaf.pem'),
    ]);
    expect(verify).toMatch(/leaf\.pem: OK/);
    expect(await openssl(['x509', '-in', join(dir, 'leaf.pem'), '-noout', '-subject'])).toContain(
      kid,
    );
  });

  it('retries with ERR_HSM_UNAVAILABLE while the token is gone, then completes with the same key', async () => {
    const service = await start();
    const first = await request(service, { n: 1 });
    const { kid } = await verifyToken(first.token ?? '');

    tokens.unplug();
    let requestId = '';
    try {
      ({
        record: { requestId },
      } = await service.api.submit(client, { data: { n: 2 } }));
      await waitUntil('the request records the token outage', async () => {
        const record = await service.store.requests.get(requestId);
        return (record?.error ?? '').includes('ERR_HSM_UNAVAILABLE');
      });
      const waiting = await service.store.requests.get(requestId);
      expect(waiting?.status).not.toBe('failed');
      expect(waiting?.error).toMatch(/PKCS#11 token 'signet-service'/);
    } finally {
      tokens.plugBack();
    }
    const done = await service.api.status(client, requestId, 15_000);
    expect(done.status).toBe('completed');
    expect((await verifyToken(done.token ?? '')).kid).toBe(kid);
  });

  it('erases the private key from the token when a retired key is destroyed after retention', async () => {
    const clock = new ManualClock(Date.now());
    ctx = await createTestService(
      [
        `keys: { algorithm: ES256, backend: pkcs11, pkcs11: { module: "${tokens.module}", tokenLabel: ${LABEL} },`,
        '  rotation: { every: PT10M }, prepublish: PT2M, jwksMaxAge: PT1M, tokenLifetime: PT5M, retain: PT6M }',
        '',
      ].join('\n'),
      clock,
      { SIGNET_PKCS11_PIN: tokens.pin },
    );
    const { keyManager, store } = ctx.service;
    const first = (await keyManager.getKeyForSigning()).record;
    expect(inspectPrivateKey(tokens, first.privateKeyRef).sensitive).toBe(true);
    await keyManager.rotateKey(first.kid, 'manual');
    clock.advance(7 * 60_000);
    expect(await keyManager.destroyExpired()).toEqual([first.kid]);
    expect((await store.keys.get(first.kid))?.status).toBe('destroyed');
    expect(() => inspectPrivateKey(tokens, first.privateKeyRef)).toThrow(/no private key/);
  });
});
