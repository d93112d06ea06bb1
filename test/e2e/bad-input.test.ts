import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../support/seeded-random.js';
import { startSignet, type SignetProcess } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';
import { BIG_BODY, type Case, CASES } from './bad-input-cases.js';
import type { ProblemBody } from '../support/problem.js';
import { closeClients, problemOf, send, sendRaw } from './bad-input-http.js';

describe('bad input against a real server', () => {
  const dir = tempDir();
  let signet: SignetProcess;
  let admin: Record<string, string>;
  let json: Record<string, string>;

  beforeAll(async () => {
    const configPath = join(dir.path, 'signet.yaml');
    // The limiter is tested on its own (rate-limit.test.ts); here it must not mask other answers.
    writeFileSync(configPath, 'server: { rateLimit: { max: 100000 } }\n');
    signet = await startSignet({ dataDir: dir.path, env: { SIGNET_CONFIG: configPath } });
    admin = { authorization: `Bearer ${signet.adminToken}` };
    json = { ...admin, 'content-type': 'application/json' };
  });
  afterAll(async () => {
    await signet?.stop();
    closeClients();
    dir.remove();
  });

  function headersFor(spec: Case[3]): Record<string, string> {
    if (spec === 'json') return json;
    if (spec === 'admin') return admin;
    if (spec === 'none') return {};
    if (spec === 'anonymous') return { 'content-type': 'application/json' };
    return { ...admin, ...spec };
  }

  let before = '';
  const beforeData = { order: 'before', text: 'naïve 🍣 \u0000 "quoted" \\', n: [0, -1.5, 1e21] };

  it('accepts a request before the barrage (checked after it)', async () => {
    const answer = await send(
      signet.url,
      'POST',
      '/request',
      json,
      JSON.stringify({ data: beforeData }),
    );
    expect(answer.status).toBe(202);
    before = (JSON.parse(answer.text) as { requestId: string }).requestId;
  });

  it.each(CASES)('%s → %s %s %s', async (_name, method, path, spec, body, status, code) => {
    const answer = await send(signet.url, method, path, headersFor(spec), body);
    expect(answer.status).toBe(status);
    const problem = problemOf(answer);
    expect(problem.code).toBe(code);
    if (status >= 400 && status < 500) expect(problem.detail).not.toBe('');
    expect(answer.text).not.toMatch(/root:|at \w+ \(/); // no file contents, no stack traces
  });

  // Well-formed JSON that RFC 8785 cannot canonicalize: refused at the door with a 400.
  it.each([
    ['a number that overflows to Infinity', '{"data":1e400}'],
    ['a lone surrogate', '{"data":"\\ud800"}'],
    ['5000-deep objects', `{"data":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`],
    ['20000-deep arrays', `{"data":${'['.repeat(20000)}${']'.repeat(20000)}}`],
  ])('data that cannot be canonicalized (%s) → 400 ERR_VALIDATION', async (_name, body) => {
    const answer = await send(signet.url, 'POST', '/request', json, body);
    expect(answer.status).toBe(400);
    expect(problemOf(answer).code).toBe('ERR_VALIDATION');
  });

  // Errors raised by Node's HTTP parser: problem+json too, and the connection is closed.
  it.each([
    [
      'a raw non-ASCII byte in the path',
      Buffer.from('GET /status/\xe9 HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'),
      400,
    ],
    [
      'a header block over the limit',
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
    ],
    ['a garbage request line', 'GARBAGE\r\n\r\n', 400],
    [
      'Content-Length with Transfer-Encoding',
      'POST /request HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
    ],
  ])(
    'a request the HTTP parser refuses (%s) is still problem+json',
    async (_name, bytes, status) => {
      const answer = await sendRaw(signet.url, bytes);
      expect(answer).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      expect(answer).toMatch(/\r\ncontent-type: application\/problem\+json/i);
      expect(answer).toMatch(/"code":"ERR_[A-Z_]+"/);
    },
  );

  it('the body limit is 64 KiB exactly', async () => {
    const sized = (bytes: number): string => {
      const frame = JSON.stringify({ data: '' });
      return JSON.stringify({ data: 'y'.repeat(bytes - frame.length) });
    };
    expect(Buffer.byteLength(sized(64 * 1024))).toBe(64 * 1024);
    const atLimit = await send(signet.url, 'POST', '/request', json, sized(64 * 1024));
    expect(atLimit.status).toBe(202);
    const over = await send(signet.url, 'POST', '/request', json, sized(64 * 1024 + 1));
    expect(over.status).toBe(413);
    expect(problemOf(over).code).toBe('ERR_BODY_TOO_LARGE');
  });

  it('names the offending field of a body that fails the schema', async () => {
    const answer = await send(signet.url, 'POST', '/request', json, '{"data":1,"extra":true}');
    expect(problemOf(answer).errors).toEqual([{ field: 'body/extra', message: 'is not allowed' }]);
  });

  it('survives a few hundred generated bad requests, then still serves and signs faithfully', async () => {
    const seed = Date.now() % 100_000;
    const random = mulberry32(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const junk = (max: number): string =>
      Array.from({ length: 1 + Math.floor(random() * max) }, () =>
        String.fromCharCode(Math.floor(random() * 0xd7ff)),
      ).join('');
    const pathJunk = (): string => encodeURIComponent(junk(40)).replace(/%25/g, '%');

    const generators: (() => [string, string, Record<string, string>, string | undefined])[] = [
      () => ['POST', '/request', json, junk(200)],
      () => ['POST', '/request', json, `{"data":${JSON.stringify(junk(20))}`],
      () => ['POST', '/request', json, JSON.stringify(pick([1, 'x', null, [], [{}], true]))],
      () => ['POST', '/request', json, JSON.stringify({ data: 1, [junk(8)]: junk(8) })],
      () => [
        'POST',
        '/request',
        json,
        JSON.stringify({ data: 1, processor: pick([1, [], {}, '', junk(100)]) }),
      ],
      () => [
        'POST',
        '/request',
        json,
        JSON.stringify({ data: 1, callbackUrl: pick([1, junk(30), 'ftp://x']) }),
      ],
      () => [
        'POST',
        '/request',
        { ...json, 'idempotency-key': 'k'.repeat(256 + Math.floor(random() * 500)) },
        '{"data":1}',
      ],
      () => [
        'POST',
        '/request',
        {
          ...admin,
          'content-type': pick([
            'text/plain',
            'text/xml',
            'application/jsonp',
            'multipart/form-data; boundary=x',
          ]),
        },
        '{"data":1}',
      ],
      () => [
        'POST',
        '/request',
        {
          authorization: `Bearer ${pick(['', 'x', junk(10)]).replace(/[^\x21-\x7e]/g, 'z')}`,
          'content-type': 'application/json',
        },
        '{"data":1}',
      ],
      () => ['GET', `/status/${pathJunk()}`, admin, undefined],
      () => [
        'GET',
        `/status/${pick(['..', '%2e%2e', '.%00.', '%c0%af'])}${pathJunk()}`,
        admin,
        undefined,
      ],
      () => ['GET', `/certs/${pathJunk()}/${pathJunk()}.pem`, {}, undefined],
      () => ['GET', `/cas/${pathJunk()}/root.pem`, {}, undefined],
      () => ['POST', `/revoke/${pathJunk()}`, json, JSON.stringify({ reason: junk(10) })],
      () => ['GET', `/${pathJunk()}/${pathJunk()}`, {}, undefined],
    ];

    const requests = Array.from({ length: 300 }, () => pick(generators)());
    // Keep a few oversized bodies in the mix.
    for (let i = 0; i < 5; i++) requests.push(['POST', '/request', json, BIG_BODY]);
    const failures: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const [method, path, headers, body] = requests[next++] as (typeof requests)[number];
        const answer = await send(signet.url, method, path, headers, body);
        const problem = /^application\/problem\+json/.test(String(answer.headers['content-type']))
          ? (JSON.parse(answer.text) as ProblemBody)
          : undefined;
        if (
          answer.status < 400 ||
          answer.status >= 500 ||
          problem?.status !== answer.status ||
          !/^ERR_[A-Z_]+$/.test(problem.code)
        ) {
          failures.push(
            `${method} ${path.slice(0, 80)} → ${answer.status} ${answer.text.slice(0, 120)}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: 12 }, worker));
    expect(failures, `seed ${seed}`).toEqual([]);

    const health = await fetch(`${signet.url}/health`);
    expect(health.status).toBe(200);

    const jwks = createRemoteJWKSet(new URL(`${signet.url}/.well-known/jwks.json`));
    const completed = async (id: string): Promise<Record<string, unknown>> => {
      const status = await fetch(`${signet.url}/status/${id}?wait=20`, { headers: admin });
      const view = (await status.json()) as { status: string; token: string };
      expect(view.status).toBe('completed');
      const { payload } = await jwtVerify(view.token, jwks, { issuer: signet.url });
      expect(payload.jti).toBe(id);
      return payload as Record<string, unknown>;
    };

    const afterData = { order: 'after', list: [{ z: 1, a: 2 }, 'ü', null, true], big: 2 ** 52 };
    const submitted = await fetch(`${signet.url}/request`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ data: afterData }),
    });
    expect(submitted.status).toBe(202);
    const after = ((await submitted.json()) as { requestId: string }).requestId;
    expect((await completed(after)).data).toMatchObject({ request: afterData });
    expect((await completed(before)).data).toMatchObject({ request: beforeData });
  });
});
