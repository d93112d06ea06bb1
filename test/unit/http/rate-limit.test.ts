import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, expectProblem, makeApp, type Harness } from './harness.js';

describe('http: rate limiting', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeApp({ rateLimit: { max: 3, window: 60_000 } });
  });
  afterEach(async () => {
    await h.app.close();
  });

  const submit = (who: 'alice' | 'bob') =>
    h.app.inject({ method: 'POST', url: '/request', headers: bearer(who), payload: { data: 1 } });

  it('answers 429 ERR_RATE_LIMITED with Retry-After past the limit, per client', async () => {
    for (let i = 0; i < 3; i++) expect((await submit('alice')).statusCode).toBe(202);
    const limited = await submit('alice');
    expectProblem(limited, 429, 'ERR_RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(h.api.submits).toHaveLength(3);
    // Same IP, another client: its own budget.
    expect((await submit('bob')).statusCode).toBe(202);
  });

  it('keys anonymous calls by IP', async () => {
    for (let i = 0; i < 3; i++) expect((await h.app.inject({ url: '/cas' })).statusCode).toBe(200);
    expectProblem(await h.app.inject({ url: '/cas' }), 429, 'ERR_RATE_LIMITED');
    const other = await h.app.inject({ url: '/cas', remoteAddress: '10.1.2.3' });
    expect(other.statusCode).toBe(200);
  });

  it('never throttles /health', async () => {
    for (let i = 0; i < 10; i++)
      expect((await h.app.inject({ url: '/health' })).statusCode).toBe(200);
    expectProblem(
      await (async () => {
        for (let i = 0; i < 3; i++) await h.app.inject({ url: '/cas' });
        return h.app.inject({ url: '/cas' });
      })(),
      429,
      'ERR_RATE_LIMITED',
    );
  });
});
