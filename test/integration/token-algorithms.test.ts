import { compactVerify, createLocalJWKSet } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { ALGORITHMS } from '../../src/domain/types.js';
import { createTestService, type TestService } from '../support/service.js';

/** Every key algorithm, end to end through the worker: the token verifies with the published key. */
describe.each(ALGORITHMS)('tokens signed with %s', (algorithm) => {
  let ctx: TestService | undefined;
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
  });

  it('verify with the JWKS and carry the algorithm in the header', async () => {
    ctx = await createTestService(`keys: { algorithm: ${algorithm} }\n`);
    await ctx.service.start();
    const client = { id: 'alice', role: 'client' as const };
    const { record } = await ctx.service.api.submit(client, { data: { algorithm } });
    const view = await ctx.service.api.status(client, record.requestId, 20_000);
    expect(view.status).toBe('completed');
    const jwks = createLocalJWKSet((await ctx.service.api.jwks()) as never);
    const { protectedHeader, payload } = await compactVerify(view.token ?? '', jwks);
    expect(protectedHeader.alg).toBe(algorithm);
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ jti: record.requestId });
  });
});
