import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWithJwks } from '../../../src/client/index.js';
import { expectCode, withPayload } from './expect-code.js';
import { countingServer, type Identity, MiniSignet } from './mini-signet.js';

/** JWKS mode: the service's key set instead of CA roots, cached, refreshed on an unknown kid. */
describe('verifyWithJwks', () => {
  let mini: MiniSignet;
  let first: Identity;
  let second: Identity;
  let published: Identity[];
  let jwksFetches = 0;
  let server: Awaited<ReturnType<typeof countingServer>>;
  let jwksUrl: string;

  beforeAll(async () => {
    mini = await MiniSignet.start();
    first = await mini.identity('EdDSA');
    second = await mini.identity('ES256');
    published = [first];
    server = await countingServer((_req, res) => {
      jwksFetches++;
      void Promise.all(
        published.map(async (id) => ({
          ...(await exportJWK(id.publicKey)),
          kid: id.kid,
          alg: id.alg,
          use: 'sig',
        })),
      ).then((keys) =>
        res
          .writeHead(200, { 'content-type': 'application/jwk-set+json' })
          .end(JSON.stringify({ keys })),
      );
    });
    jwksUrl = `${server.url}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    await mini.stop();
    await server.stop();
  });

  it('verifies with the key set and keeps it cached', async () => {
    const options = { jwksUrl, allowOrigins: [server.url], cooldownDuration: 1 };
    const before = jwksFetches;
    const result = await verifyWithJwks(mini.token(first), options);
    expect(result.data).toEqual({ answer: 42 });
    expect(result.header.kid).toBe(first.kid);
    await verifyWithJwks(mini.token(first), options);
    expect(jwksFetches - before).toBe(1);
  });

  it('refetches on an unknown kid (a rotation), at most once per cooldown', async () => {
    const options = { jwksUrl, allowOrigins: [server.url], cooldownDuration: 60_000 };
    await verifyWithJwks(mini.token(first), options);
    const before = jwksFetches;
    // Within the cooldown, an unknown kid does not refetch.
    published = [first, second];
    await expectCode(verifyWithJwks(mini.token(second), options), 'ERR_KEY_UNKNOWN');
    expect(jwksFetches).toBe(before);

    // Without a cooldown, the new kid is found by one more fetch.
    const eager = { jwksUrl, allowOrigins: [server.url], cooldownDuration: 0 };
    published = [first];
    await verifyWithJwks(mini.token(first), eager);
    published = [first, second];
    const afterFirst = jwksFetches;
    await expect(verifyWithJwks(mini.token(second), eager)).resolves.toMatchObject({
      header: { kid: second.kid },
    });
    expect(jwksFetches).toBe(afterFirst + 1);
  });

  it('refuses a key withdrawn from the set (revoked)', async () => {
    published = [second];
    const options = { jwksUrl, allowOrigins: [server.url], cooldownDuration: 0, cacheMaxAge: 0 };
    await expectCode(verifyWithJwks(mini.token(first), options), 'ERR_KEY_UNKNOWN');
    published = [first, second];
  });

  it('refuses what verifyResponseToken refuses at the token level', async () => {
    const options = { jwksUrl, allowOrigins: [server.url], cooldownDuration: 0 };
    const altered = withPayload(mini.token(first), (claims) => {
      claims.data = 'forged';
    });
    await expectCode(verifyWithJwks(altered, options), 'ERR_SIGNATURE_INVALID');
    await expectCode(
      verifyWithJwks(mini.token(first, { header: { typ: 'JWT' } }), options),
      'ERR_TYP_INVALID',
    );
    await expectCode(
      verifyWithJwks(mini.token(first, { header: { alg: 'none' } }), options),
      'ERR_ALG_NOT_ALLOWED',
    );
    const later = mini.token(first, { claims: { nbf: Math.floor(Date.now() / 1000) + 3600 } });
    await expectCode(verifyWithJwks(later, options), 'ERR_NOT_YET_ACTIVE');
    await expectCode(
      verifyWithJwks(mini.token(first), { ...options, issuer: 'https://other' }),
      'ERR_POLICY',
    );
    const old = mini.token(first, { iat: Math.floor(Date.now() / 1000) - 7200 });
    await expectCode(verifyWithJwks(old, { ...options, maxTokenAge: 60 }), 'ERR_POLICY');
  });

  it('fetches the key set over https only, unless its origin is allowed over http', async () => {
    const before = server.connections();
    await expectCode(verifyWithJwks(mini.token(first), { jwksUrl }), 'ERR_X5U_NOT_ALLOWED');
    expect(server.connections()).toBe(before);
  });
});
