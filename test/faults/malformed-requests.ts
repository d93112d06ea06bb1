/**
 * A seeded generator of malformed HTTP requests: JSON, headers, ids, sizes,
 * encodings and path tricks. The same seed gives the same requests, so a
 * failure is replayed with BAD_INPUT_SEED=<seed>.
 */

import { mulberry32 } from '../support/seeded-random.js';

export interface HttpCase {
  kind: 'http';
  category: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** Bytes written as they are on a fresh socket: what an HTTP client library refuses to send. */
export interface RawCase {
  kind: 'raw';
  category: string;
  bytes: Buffer;
}

export type MalformedCase = HttpCase | RawCase;

export interface Tokens {
  /** A client's token (never the admin's on state-changing routes: the barrage must not rotate keys). */
  client: string;
  admin: string;
}

/** What Node lets through as a header value: no control characters. */
const printable = (text: string) =>
  [...text].filter((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f).join('');

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const BODY_LIMIT = 64 * 1024;

export function malformedRequests(seed: number, count: number, tokens: Tokens): MalformedCase[] {
  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const chars = (n: number, max = 0x2fff) =>
    Array.from({ length: n }, () => String.fromCharCode(int(max))).join('');
  const bearer = (token: string) => `Bearer ${token}`;
  const json = { authorization: bearer(tokens.client), 'content-type': 'application/json' };

  const validBody = () =>
    pick([
      { data: { n: int(1000) } },
      { data: chars(8, 0x7f), processor: 'notarize' },
      { data: [1, 'a', null], callbackUrl: 'https://example.com/cb' },
    ]);

  /** A valid body, broken in one of many ways. */
  const mutatedJson = (): string => {
    const text = JSON.stringify(validBody());
    const at = int(text.length);
    return pick<() => string>([
      () => text.slice(0, at),
      () => text.slice(0, at) + chars(1 + int(4), 0x7f) + text.slice(at),
      () => text.slice(0, at) + text.slice(at + 1 + int(3)),
      () => `${text}${pick(['x', ',', '}', ']', ' null', '\u0000'])}`,
      () => `\ufeff${text}`,
      () => text.replace(/"/g, "'"),
      () => text.replace('{', '{/* c */'),
      () =>
        `{"data":${pick(['NaN', 'Infinity', '-Infinity', 'undefined', '0x10', '01', '1.', '.5', '+1', '1e400', '-1e400', '"\\ud800"', '"\\uZZZZ"', '"\\x41"', '"\u0001"'])}}`,
      () => `{"data":${'['.repeat(90 + int(200))}${']'.repeat(90 + int(200))}}`,
      () =>
        `{"data":1,"data":2,${pick(['"__proto__":{"x":1}', '"constructor":{"prototype":{}}', '"extra":true', '"processor":5', '"processor":"../x"', '"processor":""', '"callbackUrl":"ftp://x"', '"callbackUrl":"http://127.0.0.1:22/"', '"callbackUrl":"https://[::1]/"', '"callbackUrl":"javascript:alert(1)"'])}}`,
      () => JSON.stringify(pick([null, 1, 'data', [], [{}], true, {}, { data: undefined }])),
      () => JSON.stringify({ data: 'z'.repeat(int(BODY_LIMIT * 1.5)) }),
    ])();
  };

  const junkPathSegment = () =>
    pick([
      '..',
      '%2e%2e',
      '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '.%00.',
      '%00',
      '%c0%af',
      '%ZZ',
      '%',
      UUID.toUpperCase(),
      `${UUID}x`,
      `{${UUID}}`,
      'a'.repeat(150 + int(200)),
      encodeURIComponent(chars(1 + int(20))),
      'local-a',
      'LOCAL-A',
      '..%5c..%5cwindows',
      '~root',
    ]);

  const generators: Record<string, () => MalformedCase> = {
    json: () => ({
      kind: 'http',
      category: 'json',
      method: 'POST',
      path: '/request',
      headers: json,
      body: mutatedJson(),
    }),
    'content-type': () => ({
      kind: 'http',
      category: 'content-type',
      method: 'POST',
      path: pick(['/request', '/revoke/abc', '/ocsp/local-a']),
      headers: {
        authorization: bearer(tokens.client),
        'content-type': pick([
          'application/json; charset=latin1',
          'APPLICATION/JSON',
          'application/json-patch+json',
          'text/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/ocsp-request',
          'application/json, text/plain',
          ';',
        ]),
      },
      body: pick([JSON.stringify(validBody()), 'a=b&c=d', '--x\r\n\r\n--x--', chars(40)]),
    }),
    encoding: () => ({
      kind: 'http',
      category: 'encoding',
      method: 'POST',
      path: '/request',
      headers: {
        ...json,
        ...pick<Record<string, string>>([
          {},
          { 'content-encoding': pick(['gzip', 'br', 'identity', 'x']) },
        ]),
      },
      body: pick<() => Buffer>([
        () => Buffer.from(Array.from({ length: 1 + int(300) }, () => int(256))),
        () => Buffer.from(JSON.stringify(validBody()), 'utf16le'),
        () =>
          Buffer.concat([
            Buffer.from('{"data":"'),
            Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
            Buffer.from('"}'),
          ]),
        () => Buffer.from(`{"data":"${chars(10)}"}`, 'latin1'),
      ])(),
    }),
    authorization: () => ({
      kind: 'http',
      category: 'authorization',
      method: pick(['POST', 'GET']),
      path: pick([
        '/request',
        `/status/${UUID}`,
        '/keys',
        '/audit',
        '/keys/rotate',
        `/revoke/${chars(5, 0x7f).replace(/\W/g, 'k')}`,
      ]),
      headers: {
        'content-type': 'application/json',
        authorization: pick([
          'Bearer',
          'Bearer ',
          'bearer x',
          'Basic YWxpY2U6c2VjcmV0',
          `Bearer ${'t'.repeat(600)}`,
          `Bearer ${tokens.client} extra`,
          `Bearer ${tokens.client.slice(0, -1)}`,
          `Bearer ${tokens.client}x`,
          `Bearer ${chars(20, 0x7f).replace(/[^\x21-\x7e]/g, '=')}`,
          `Token ${tokens.client}`,
        ]),
      },
      body: '{"data":1}',
    }),
    'idempotency-key': () => ({
      kind: 'http',
      category: 'idempotency-key',
      method: 'POST',
      path: '/request',
      headers: {
        ...json,
        'idempotency-key': pick(['k'.repeat(256 + int(2000)), '', ' ', printable(chars(10, 0xff))]),
      },
      body: JSON.stringify(validBody()),
    }),
    prefer: () => ({
      kind: 'http',
      category: 'prefer',
      method: 'POST',
      path: '/request',
      headers: {
        ...json,
        prefer: pick([
          'wait=-1',
          'wait=abc',
          'wait=99999999999',
          'wait=1.5',
          'wait',
          'wait==1',
          ',,,',
          'respond-async;wait=1',
          chars(30, 0x7f).replace(/[^\x20-\x7e]/g, ''),
        ]),
      },
      body: JSON.stringify(validBody()),
    }),
    ids: () => ({
      kind: 'http',
      category: 'ids',
      method: pick(['GET', 'POST']),
      path: pick([
        () => `/status/${junkPathSegment()}`,
        () =>
          `/status/${UUID}?wait=${pick(['abc', '-1', '1e9', '99999999999', '0.5', '0&wait=1', '', '%00'])}`,
        () =>
          `/status/${UUID}?${pick(['__proto__[x]=1', 'wait[]=1', 'wait=0#frag', 'a'.repeat(3000)])}`,
        () => `/certs/${junkPathSegment()}/${junkPathSegment()}.pem`,
        () => `/cas/${junkPathSegment()}/root.pem`,
        () => `/revoke/${junkPathSegment()}`,
        () =>
          `/ocsp/${junkPathSegment()}/${pick(['MAA=', '%ZZ', 'AAAA', chars(30, 0x7f)].map(encodeURIComponent))}`,
        () =>
          `/audit?after=${pick(['-1', 'x', '1e99', '9'.repeat(40)])}&limit=${pick(['0', '-5', '100000', 'y'])}`,
      ])(),
      headers: {
        authorization: bearer(pick([tokens.client, tokens.admin])),
        'content-type': 'application/json',
      },
      body: '{}',
    }),
    paths: () => ({
      kind: 'http',
      category: 'paths',
      method: pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND', 'FOO']),
      path: pick([
        '/request/',
        '//request',
        '/./request',
        '/request/..',
        '/status/../request',
        '/%2e%2e/health',
        '/REQUEST',
        '/request;x=y',
        '/request%20',
        '/docs/../openapi.json',
        '/docs/static/../../../../etc/passwd',
        '/docs/%2e%2e/%2e%2e/package.json',
        '/cas/local-a/root.pem/..',
        '/.well-known/../.well-known/jwks.json',
        '/metrics?name[]=x',
        `/${junkPathSegment()}/${junkPathSegment()}`,
      ]),
      headers: { authorization: bearer(tokens.client) },
    }),
    batch: () => ({
      kind: 'http',
      category: 'batch',
      method: 'POST',
      path: '/requests',
      headers: json,
      body: pick<() => string>([
        () => mutatedJson(),
        () => `{"items":${mutatedJson()}}`,
        () => `{"items":[${mutatedJson()},${JSON.stringify(validBody())}]}`,
        () => JSON.stringify({ items: Array.from({ length: 101 + int(50) }, () => validBody()) }),
        () =>
          JSON.stringify({
            items: [{ ...validBody(), idempotencyKey: pick(['', 'k'.repeat(300), 5]) }],
          }),
        () => JSON.stringify({ items: pick([[], {}, null, 'x', [null], [[]]]) }),
      ])(),
    }),
    sizes: () => ({
      kind: 'http',
      category: 'sizes',
      method: 'POST',
      path: '/request',
      headers: json,
      body: pick<() => string>([
        () => '',
        () => '{',
        () => JSON.stringify({ data: 'y'.repeat(BODY_LIMIT - 12 + int(24)) }),
        () => JSON.stringify({ data: Array.from({ length: 5000 + int(5000) }, (_, i) => i) }),
        () =>
          JSON.stringify({
            data: Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i])),
          }),
        () => ' '.repeat(BODY_LIMIT + 1),
      ])(),
    }),
    raw: () => ({
      kind: 'raw',
      category: 'raw',
      bytes: Buffer.from(
        pick([
          `GET /status/${chars(3, 0xff)} HTTP/1.1\r\nHost: x\r\n\r\n`,
          `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
          'GARBAGE\r\n\r\n',
          'POST /request HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
          `POST /request HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens.client}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"data":1}`,
          `POST /request HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`,
          `GET /health HTTP/1.1\r\nHost: x\r\nX-Null: a\u0000b\r\n\r\n`,
          `GET /health HTTP/9.9\r\nHost: x\r\n\r\n`,
          `GET ${'/a'.repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
          `POST /request HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\u0001b\r\nContent-Length: 2\r\n\r\n{}`,
          'GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
        ]),
        'latin1',
      ),
    }),
  };

  const weights: [string, number][] = [
    ['json', 30],
    ['content-type', 8],
    ['encoding', 8],
    ['authorization', 8],
    ['idempotency-key', 5],
    ['prefer', 4],
    ['ids', 20],
    ['paths', 10],
    ['sizes', 4],
    ['batch', 6],
    ['raw', 3],
  ];
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  return Array.from({ length: count }, () => {
    let roll = random() * total;
    for (const [name, weight] of weights) {
      roll -= weight;
      if (roll < 0) return (generators[name] as () => MalformedCase)();
    }
    return (generators.json as () => MalformedCase)();
  });
}
