import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, expectProblem, makeApp, type Harness } from './harness.js';

describe('http: request validation', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeApp({ bodyLimit: 4096 });
  });
  afterEach(async () => {
    await h.app.close();
  });

  const post = (payload: string | Buffer, contentType = 'application/json') =>
    h.app.inject({
      method: 'POST',
      url: '/request',
      headers: { ...bearer('alice'), 'content-type': contentType },
      payload,
    });

  it('answers malformed JSON with 400 ERR_VALIDATION', async () => {
    expectProblem(await post('{"data": '), 400, 'ERR_VALIDATION');
  });

  it('names the unknown field', async () => {
    const body = expectProblem(await post('{"data":1,"extra":true}'), 400, 'ERR_VALIDATION');
    expect(body.detail).toContain('extra');
    expect(body.errors).toEqual([{ field: 'body/extra', message: 'is not allowed' }]);
  });

  it('names a field of the wrong type instead of coercing it', async () => {
    const body = expectProblem(await post('{"data":1,"processor":5}'), 400, 'ERR_VALIDATION');
    expect(body.detail).toContain('processor');
  });

  it('names the missing data field', async () => {
    const body = expectProblem(await post('{"processor":"notarize"}'), 400, 'ERR_VALIDATION');
    expect(body.detail).toContain('data');
  });

  it('accepts any JSON value as data, null included', async () => {
    for (const data of ['null', '"x"', '[1,{"a":[]}]', '{"nested":{"deep":true}}', '0']) {
      expect((await post(`{"data":${data}}`)).statusCode).toBe(202);
    }
  });

  it('only takes http(s) callback URLs', async () => {
    const ok = await post('{"data":1,"callbackUrl":"https://hooks.example/x?y=1"}');
    expect(ok.statusCode).toBe(202);
    for (const url of ['ftp://x.example/', 'javascript:alert(1)', 'not a url', 'http//x']) {
      const res = await post(JSON.stringify({ data: 1, callbackUrl: url }));
      expect(expectProblem(res, 400, 'ERR_VALIDATION').detail).toContain('callbackUrl');
    }
  });

  it('answers an oversize body with 413 ERR_BODY_TOO_LARGE', async () => {
    const res = await post(JSON.stringify({ data: 'x'.repeat(5000) }));
    expectProblem(res, 413, 'ERR_BODY_TOO_LARGE');
    expect(h.api.submits).toHaveLength(0);
  });

  it('answers a non-JSON content type with 415 ERR_UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/jsonx',
      'application/json; charset=utf-16',
      'application/json; charset="latin1"',
    ]) {
      expectProblem(await post('{"data":1}', type), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    }
    expect(h.api.submits).toHaveLength(0);
  });

  it('accepts JSON declared as UTF-8, with or without a charset', async () => {
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'application/json;charset="UTF-8"',
    ]) {
      expect((await post('{"data":1}', type)).statusCode).toBe(202);
    }
  });

  it('refuses prototype poisoning', async () => {
    expectProblem(await post('{"data":1,"__proto__":{"role":"admin"}}'), 400, 'ERR_VALIDATION');
    expectProblem(
      await post('{"data":1,"constructor":{"prototype":{"role":"admin"}}}'),
      400,
      'ERR_VALIDATION',
    );
  });

  it('never answers odd bodies with 5xx', async () => {
    const bodies: (string | Buffer)[] = [
      '',
      ' ',
      'null',
      '[]',
      '"data"',
      '42',
      'true',
      '{',
      '{"data":1,}',
      "{'data':1}",
      '{"data":1}{"data":2}',
      '{"data":NaN}',
      '\u0000',
      Buffer.from([0xff, 0xfe, 0xfd]),
      '{"data":1,"processor":""}',
      '{"data":1,"processor":"../../etc/passwd"}',
      `{"data":1,"processor":"${'p'.repeat(65)}"}`,
      '{"data":1,"processor":null}',
      '{"data":1,"callbackUrl":null}',
      `{"data":1,"callbackUrl":"https://x.example/${'a'.repeat(2100)}"}`,
      '{"data":1,"callbackUrl":"http://"}',
      '{"Data":1}',
      '{"data":1,"data ":2}',
      '{"data":"\\ud800"}',
      `{"data":${'['.repeat(1500)}${']'.repeat(1500)}}`,
      '{"data":1e999999}',
    ];
    for (const body of bodies) {
      const res = await post(body);
      expect(res.statusCode, `${String(body).slice(0, 40)} → ${res.body}`).toBeLessThan(500);
      if (res.statusCode >= 400) expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
  });
});

describe('http: odd paths', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeApp();
  });
  afterEach(async () => {
    await h.app.close();
  });

  const uuid = '0b7c4f6e-3d52-4c1a-9e0f-2a6b8d9c1e3f';
  const paths = [
    '/status/..%2F..',
    '/status/../../etc/passwd',
    '/status/%2e%2e%2f%2e%2e',
    `/status/${'a'.repeat(5000)}`,
    `/status/${uuid}x`,
    `/status/${uuid}%0d%0aSet-Cookie:%20x=1`,
    '/status/%00',
    '/status/%',
    '/status/%E2%82%AC',
    '/status/%F0%9F%98%80',
    '/status/%7B%7B7*7%7D%7D',
    '/status/%3Cscript%3E',
    `/status/${uuid}`,
    '/status/',
    '/status',
    '/revoke/..%2F..',
    `/revoke/${'k'.repeat(129)}`,
    '/revoke/a%20b',
    '/revoke/%E2%82%AC',
    '/certs/kid-1/..%2Flocal-a.pem',
    '/certs/kid-1/LOCAL-A.pem',
    '/certs/kid-1/.pem',
    '/certs/kid-1/local-a',
    '/certs/kid-2/local-a.pem',
    `/certs/${'k'.repeat(300)}/local-a.pem`,
    '/certs/kid%2F1/local-a.pem',
    '/cas/..%2F/root.pem',
    '/cas/-a/root.pem',
    '/cas/%C0%AF/root.pem',
    `/cas/${'a'.repeat(64)}/root.pem`,
    '/cas/local-b/root.pem',
    '/cas/local-a/root.pem%00',
    '//status',
    '/nope',
    '/%ff',
    '/docs/static/..%2F..%2F..%2Fpackage.json',
    '/.well-known/jwks.json%2F..',
  ];

  it('has at least 30 cases', () => {
    expect(paths.length).toBeGreaterThanOrEqual(30);
  });

  it('answers each with 400 or 404 problem+json, never 5xx', async () => {
    for (const url of paths) {
      for (const method of ['GET', 'POST'] as const) {
        const res = await h.app.inject({ method, url, headers: bearer('admin') });
        expect(
          [400, 404],
          `${method} ${url.slice(0, 60)} → ${res.statusCode} ${res.body}`,
        ).toContain(res.statusCode);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    }
  });

  it('answers an unknown route with 404 ERR_NOT_FOUND', async () => {
    expectProblem(await h.app.inject({ url: '/no/such/thing' }), 404, 'ERR_NOT_FOUND');
  });
});
