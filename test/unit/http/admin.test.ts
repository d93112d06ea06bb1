import { afterEach, describe, expect, it } from 'vitest';
import { bearer, expectProblem, makeApp, type Harness } from './harness.js';

describe('http: admin routes', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.app.close();
    h = undefined;
  });

  it('lists keys with their next rotation time, for admins only', async () => {
    h = await makeApp();
    const res = await h.app.inject({ url: '/keys', headers: bearer('admin') });
    expect(res.statusCode).toBe(200);
    expect(res.json().keys[0]).toMatchObject({
      kid: 'kid-1',
      status: 'active',
      nextRotationAt: '2026-01-08T00:00:00.000Z',
    });
    expectProblem(
      await h.app.inject({ url: '/keys', headers: bearer('alice') }),
      403,
      'ERR_FORBIDDEN',
    );
    expectProblem(await h.app.inject({ url: '/keys' }), 401, 'ERR_UNAUTHENTICATED');
  });

  it('rotates on POST /keys/rotate as the calling admin', async () => {
    h = await makeApp();
    const res = await h.app.inject({
      method: 'POST',
      url: '/keys/rotate',
      headers: bearer('admin'),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ previousKid: 'kid-1', activeKid: 'kid-2' });
    expect(h.api.rotations).toEqual(['root']);
    expectProblem(
      await h.app.inject({ method: 'POST', url: '/keys/rotate', headers: bearer('bob') }),
      403,
      'ERR_FORBIDDEN',
    );
    expect(h.api.rotations).toEqual(['root']);
  });

  it('pages through the audit log with after and limit', async () => {
    h = await makeApp();
    const res = await h.app.inject({ url: '/audit?after=5&limit=2', headers: bearer('admin') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ entries: [], next: null });
    await h.app.inject({ url: '/audit', headers: bearer('admin') });
    expect(h.api.auditQueries).toEqual([
      { after: 5, limit: 2 },
      { after: 0, limit: 100 },
    ]);
    expectProblem(
      await h.app.inject({ url: '/audit?limit=100000', headers: bearer('admin') }),
      400,
      'ERR_VALIDATION',
    );
    expectProblem(
      await h.app.inject({ url: '/audit?after=-1', headers: bearer('admin') }),
      400,
      'ERR_VALIDATION',
    );
    expectProblem(
      await h.app.inject({ url: '/audit', headers: bearer('alice') }),
      403,
      'ERR_FORBIDDEN',
    );
  });
});
