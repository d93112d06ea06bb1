import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, expectProblem, makeApp, type Harness } from './harness.js';

describe('http: authentication and roles', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeApp();
  });
  afterEach(async () => {
    await h.app.close();
  });

  const submit = (headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url: '/request', headers, payload: { data: 1 } });

  it('answers 401 with WWW-Authenticate when no token is given', async () => {
    const res = await submit();
    expectProblem(res, 401, 'ERR_UNAUTHENTICATED');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(h.api.submits).toHaveLength(0);
  });

  it('answers 401 invalid_token for an unknown or malformed token', async () => {
    for (const authorization of [
      'Bearer nope-nope',
      'Basic YWxpY2U6eA==',
      'Bearer',
      'Bearer a b',
    ]) {
      const res = await submit({ authorization });
      expectProblem(res, 401, 'ERR_UNAUTHENTICATED');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/);
    }
    expect(h.api.submits).toHaveLength(0);
  });

  it('checks authentication before the body: no token and a bad body is still a 401', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/request',
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    });
    expectProblem(res, 401, 'ERR_UNAUTHENTICATED');
  });

  it('answers 403 when a client calls an admin route', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/revoke/kid-1',
      headers: bearer('alice'),
    });
    expectProblem(res, 403, 'ERR_FORBIDDEN');
    expect(h.api.revokes).toHaveLength(0);
  });

  it('lets an admin revoke, with keyCompromise as the default reason', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/revoke/kid-1',
      headers: bearer('admin'),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ revokedKid: 'kid-1', activeKid: 'kid-2' });
    expect(h.api.revokes).toEqual([{ actor: 'root', kid: 'kid-1', reason: 'keyCompromise' }]);
  });

  it('passes an explicit revocation reason and refuses an unknown one', async () => {
    const ok = await h.app.inject({
      method: 'POST',
      url: '/revoke/kid-1',
      headers: bearer('admin'),
      payload: { reason: 'superseded' },
    });
    expect(ok.statusCode).toBe(200);
    expect(h.api.revokes[0]?.reason).toBe('superseded');
    const bad = await h.app.inject({
      method: 'POST',
      url: '/revoke/kid-1',
      headers: bearer('admin'),
      payload: { reason: 'because' },
    });
    expect(expectProblem(bad, 400, 'ERR_VALIDATION').detail).toContain('reason');
  });

  it('marks authenticated answers Cache-Control: no-store, errors included', async () => {
    const ok = await submit(bearer('alice'));
    expect(ok.statusCode).toBe(202);
    expect(ok.headers['cache-control']).toBe('no-store');
    const denied = await submit();
    expect(denied.headers['cache-control']).toBe('no-store');
  });

  it('hands the authenticated client to the service', async () => {
    await submit(bearer('bob'));
    expect(h.api.submits[0]?.client).toEqual({ id: 'bob', role: 'client' });
  });
});
