import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requestDigest, SignetClient } from '../../../src/client/index.js';
import { backoff, DEFAULT_RETRY, retryAfterMs } from '../../../src/client/http.js';
import { freePort } from '../../support/signet-process.js';
import { expectCode } from './expect-code.js';
import { countingServer, MiniSignet } from './mini-signet.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

/**
 * The protocol side of the SDK against a scripted server: it answers what
 * each test queues (overload answers the real service gives only under
 * load), and records every request. Anything not queued is a 404.
 */
describe('SignetClient', () => {
  let server: Awaited<ReturnType<typeof countingServer>>;
  const queue: ((res: ServerResponse, req: IncomingMessage) => void)[] = [];
  const seen: Seen[] = [];
  const json =
    (status: number, body: unknown, headers: Record<string, string> = {}) =>
    (res: ServerResponse) =>
      res
        .writeHead(status, { 'content-type': 'application/json', ...headers })
        .end(JSON.stringify(body));
  const problem = (status: number, code: string, headers: Record<string, string> = {}) =>
    json(
      status,
      { type: 'about:blank', title: code, status, code, detail: `${code} detail` },
      headers,
    );
  const client = (extra: Partial<ConstructorParameters<typeof SignetClient>[0]> = {}) =>
    new SignetClient({
      url: server.url,
      token: 'sig_test',
      retry: { minDelayMs: 5, maxDelayMs: 20 },
      ...extra,
    });
  const accepted = json(202, { requestId: 'r-1', status: 'queued', statusUrl: 'x' });

  beforeAll(async () => {
    server = await countingServer((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      req.resume();
      req.on('end', () =>
        (queue.shift() ?? ((r: ServerResponse) => r.writeHead(404).end()))(res, req),
      );
    });
  });
  afterAll(() => server.stop());
  afterEach(() => {
    queue.length = 0;
    seen.length = 0;
  });

  it('submits with the bearer token and an idempotency key, kept across retries', async () => {
    queue.push(problem(503, 'ERR_UNAVAILABLE'), accepted);
    const submitted = await client().submit({ q: 1 }, { processor: 'notarize' });
    expect(submitted).toEqual({ requestId: 'r-1', status: 'queued', statusUrl: 'x' });
    expect(seen).toHaveLength(2);
    expect(seen[0]?.headers.authorization).toBe('Bearer sig_test');
    expect(seen[0]?.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen[1]?.headers['idempotency-key']).toBe(seen[0]?.headers['idempotency-key']);
  });

  it('honours Retry-After on 429, in seconds or as a date', async () => {
    queue.push(problem(429, 'ERR_RATE_LIMITED', { 'retry-after': '1' }), accepted);
    const started = Date.now();
    await client().submit({ q: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(seen).toHaveLength(2);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', Date.UTC(2015, 9, 21, 7, 27, 30))).toBe(
      30_000,
    );
    expect(retryAfterMs('soon')).toBeUndefined();
  });

  it('backs off exponentially within bounds, then gives up with the last answer', async () => {
    for (let i = 0; i < 5; i++) queue.push(problem(503, 'ERR_UNAVAILABLE'));
    const err = await expectCode(
      client({ retry: { retries: 2, minDelayMs: 5, maxDelayMs: 20 } }).status('r-1'),
      'ERR_HTTP',
    );
    expect(err.status).toBe(503);
    expect(err.serverCode).toBe('ERR_UNAVAILABLE');
    expect(seen).toHaveLength(3);
    for (let attempt = 0; attempt < 10; attempt++) {
      const delay = backoff(attempt, DEFAULT_RETRY);
      expect(delay).toBeGreaterThanOrEqual(DEFAULT_RETRY.minDelayMs);
      expect(delay).toBeLessThanOrEqual(DEFAULT_RETRY.maxDelayMs);
    }
  });

  it('does not wait for a Retry-After beyond its limit', async () => {
    queue.push(problem(429, 'ERR_RATE_LIMITED', { 'retry-after': '3600' }));
    const err = await expectCode(client().submit({}), 'ERR_HTTP');
    expect(err.detail).toEqual({ retryAfterMs: 3_600_000 });
    expect(seen).toHaveLength(1);
  });

  it('does not retry other errors, and reports the service code', async () => {
    queue.push(problem(401, 'ERR_UNAUTHENTICATED'));
    const err = await expectCode(client().submit({}), 'ERR_HTTP');
    expect(err).toMatchObject({ status: 401, serverCode: 'ERR_UNAUTHENTICATED' });
    expect(err.message).toMatch(/ERR_UNAUTHENTICATED detail/);
    expect(seen).toHaveLength(1);
  });

  it('reports an unreachable service as ERR_NETWORK after its retries', async () => {
    const port = await freePort();
    const unreachable = new SignetClient({
      url: `http://127.0.0.1:${port}`,
      retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
    });
    const err = await expectCode(unreachable.status('r-1'), 'ERR_NETWORK');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('waits by long-polling, reporting progress, until completed', async () => {
    queue.push(
      json(200, { requestId: 'r-1', status: 'queued' }),
      json(200, { requestId: 'r-1', status: 'processing' }),
      json(200, { requestId: 'r-1', status: 'completed', token: 'a.b.c' }),
    );
    const progress: string[] = [];
    const done = await client().wait('r-1', {
      pollSeconds: 7,
      onProgress: (s) => progress.push(s.status),
    });
    expect(done.token).toBe('a.b.c');
    expect(progress).toEqual(['queued', 'processing', 'completed']);
    expect(seen.map((s) => s.url)).toEqual(Array(3).fill('/status/r-1?wait=7'));
  });

  it('reports a failed request and a wait that runs out', async () => {
    queue.push(json(200, { requestId: 'r-1', status: 'failed', error: 'processor crashed' }));
    const failed = await expectCode(client().wait('r-1'), 'ERR_REQUEST_FAILED');
    expect(failed.message).toMatch(/processor crashed/);
    // Each long-poll ends after 400 ms with the request still queued.
    const stillQueued = (res: ServerResponse) =>
      setTimeout(() => json(200, { requestId: 'r-1', status: 'queued' })(res), 400);
    for (let i = 0; i < 10; i++) queue.push(stillQueued);
    const started = Date.now();
    await expectCode(client().wait('r-1', { timeout: 1500 }), 'ERR_WAIT_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('request(): submits, waits, verifies, and checks the token answers this request', async () => {
    const mini = await MiniSignet.start();
    try {
      const id = await mini.identity('EdDSA');
      const data = { q: 1 };
      const token = mini.token(id, { claims: { jti: 'r-1', req: requestDigest(data) } });
      const trust = [mini.cas.get('ca-a')?.pem ?? ''];
      queue.push(accepted, json(200, { requestId: 'r-1', status: 'completed', token }));
      await expect(client().request(data, { trust, allowOrigins: [mini.url] })).resolves.toEqual({
        answer: 42,
      });

      queue.push(accepted, json(200, { requestId: 'r-1', status: 'completed', token }));
      const err = await expectCode(
        client().request({ q: 2 }, { trust, allowOrigins: [mini.url] }),
        'ERR_POLICY',
      );
      expect(err.message).toMatch(/"req" digest/);

      queue.push(accepted, json(200, { requestId: 'r-1', status: 'completed', token }));
      // By default only the service's own origin is allowed: the mini CA's x5u is elsewhere.
      await expectCode(client().request(data, { trust }), 'ERR_X5U_NOT_ALLOWED');
      await expectCode(client().request(data), 'ERR_USAGE');
    } finally {
      await mini.stop();
    }
  });

  it('refuses a service URL that is not a URL', () => {
    expect(() => new SignetClient({ url: 'not a url' })).toThrow(/not a URL/);
  });
});
