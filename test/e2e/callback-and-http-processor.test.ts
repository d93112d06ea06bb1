import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSignet, type SignetProcess } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A plain HTTP server on 127.0.0.1 that records what it receives. */
async function localServer(
  answer: (received: Received, res: ServerResponse) => void,
): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      received.push(entry);
      answer(entry, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, received };
}

async function until<T>(probe: () => T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The http processor against a local upstream, and callbacks to a local
 * receiver. Nothing here may send traffic anywhere but 127.0.0.1.
 */
describe('http processor and callbacks', () => {
  const dir = tempDir();
  let signet: SignetProcess | undefined;
  let url = '';
  let upstream: Awaited<ReturnType<typeof localServer>>;
  let receiver: Awaited<ReturnType<typeof localServer>>;
  let headers: Record<string, string>;

  beforeAll(async () => {
    upstream = await localServer((received, res) => {
      const data = JSON.parse(received.body) as { hang?: boolean; fail?: boolean };
      // `hang` keeps a request from ever completing: a safety net for the refusal tests.
      if (data && typeof data === 'object' && data.hang) return;
      if (data && typeof data === 'object' && data.fail) {
        res.writeHead(400).end('{"error":"refused upstream"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          upstream: 'ok',
          echo: data,
          requestId: received.headers['x-signet-request-id'],
        }),
      );
    });
    const flaky = new Map<string, number>();
    receiver = await localServer((received, res) => {
      if (!received.url.startsWith('/flaky')) return void res.writeHead(204).end();
      // Fails twice per request, then accepts.
      const seen = (flaky.get(received.body) ?? 0) + 1;
      flaky.set(received.body, seen);
      res.writeHead(seen < 3 ? 503 : 204).end();
    });

    const configPath = join(dir.path, 'signet.yaml');
    writeFileSync(
      configPath,
      [
        `processors: { default: notarize, http: { url: "${upstream.url}/sign", timeout: PT30S } }`,
        "callbacks: { allowedHosts: ['127.0.0.1'] }",
        '',
      ].join('\n'),
    );
    signet = await startSignet({ dataDir: dir.path, env: { SIGNET_CONFIG: configPath } });
    url = signet.url;
    headers = { authorization: `Bearer ${signet.adminToken}`, 'content-type': 'application/json' };
  });
  afterAll(async () => {
    // kill -9 first: a request wrongly accepted must never reach its callback.
    await signet?.kill9();
    for (const { server } of [upstream, receiver]) {
      server?.closeAllConnections();
      server?.close();
    }
    dir.remove();
  });

  async function submit(body: unknown): Promise<Response> {
    return fetch(`${url}/request`, { method: 'POST', headers, body: JSON.stringify(body) });
  }
  async function accepted(body: unknown): Promise<string> {
    const response = await submit(body);
    expect(response.status).toBe(202);
    return ((await response.json()) as { requestId: string }).requestId;
  }
  async function settled(id: string): Promise<{ status: string; token?: string; error?: string }> {
    const response = await fetch(`${url}/status/${id}?wait=20`, { headers });
    return (await response.json()) as { status: string; token?: string; error?: string };
  }

  it('signs the upstream answer as the token data for `processor: "http"`', async () => {
    const data = { question: 'six times seven', n: [6, 7] };
    const id = await accepted({ data, processor: 'http' });
    const view = await settled(id);
    expect(view.status).toBe('completed');
    const { payload } = await jwtVerify(
      view.token ?? '',
      createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`)),
      { issuer: url },
    );
    expect(payload.data).toEqual({ upstream: 'ok', echo: data, requestId: id });

    const call = upstream.received.find((entry) => entry.headers['x-signet-request-id'] === id);
    expect(call).toMatchObject({ method: 'POST', url: '/sign' });
    expect(call?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(call?.body ?? '')).toEqual(data);
  });

  it('the default processor is still notarize', async () => {
    const view = await settled(await accepted({ data: { plain: true } }));
    expect(view.status).toBe('completed');
    const claims = JSON.parse(
      Buffer.from((view.token ?? '').split('.')[1] ?? '', 'base64url').toString(),
    ) as { data: { request: unknown } };
    expect(claims.data.request).toEqual({ plain: true });
  });

  it('POSTs {requestId, status, statusUrl} to the callbackUrl once the request completes', async () => {
    const callbackUrl = `${receiver.url}/hooks/signet?x=1`;
    const id = await accepted({ data: { callback: 'please' }, callbackUrl });
    const call = await until(() => receiver.received.find((entry) => entry.body.includes(id)));
    expect(call).toMatchObject({ method: 'POST', url: '/hooks/signet?x=1' });
    expect(call.headers['content-type']).toBe('application/json');
    expect(JSON.parse(call.body)).toEqual({
      requestId: id,
      status: 'completed',
      statusUrl: `${url}/status/${id}`,
    });
    // The status URL it names answers the completed request.
    expect((await settled(id)).status).toBe('completed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.filter((entry) => entry.body.includes(id))).toHaveLength(1);
  });

  it('tries a failing callback again, up to three times in all', async () => {
    const id = await accepted({ data: { flaky: true }, callbackUrl: `${receiver.url}/flaky` });
    const calls = () => receiver.received.filter((entry) => entry.body.includes(id));
    await until(() => (calls().length >= 3 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 500)); // no fourth call
    expect(calls()).toHaveLength(3);
    expect(new Set(calls().map((entry) => entry.body)).size).toBe(1);
  });

  it('calls back with status "failed" when the processor refuses', async () => {
    const id = await accepted({
      data: { fail: true },
      processor: 'http',
      callbackUrl: `${receiver.url}/failed`,
    });
    const view = await settled(id);
    expect(view.status).toBe('failed');
    expect(view.error).toMatch(/ERR_PROCESSOR_FAILED/);
    const call = await until(() => receiver.received.find((entry) => entry.body.includes(id)));
    expect(JSON.parse(call.body)).toEqual({
      requestId: id,
      status: 'failed',
      statusUrl: `${url}/status/${id}`,
    });
  });

  it.each([
    'http://10.0.0.1/x',
    'https://169.254.169.254/',
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.1/x',
    'https://167772161/x', // 10.0.0.1 written as a number
    'https://0x0a.0.0.1/x', // and in hex
    'https://[::1]/x',
    'https://[::ffff:a9fe:a9fe]/', // 169.254.169.254, IPv4-mapped
    'https://127.0.0.2/x', // loopback, but not the allow-listed host
    'http://localhost:1/x', // the same host by name is not on the allow-list
    'https://user:secret@127.0.0.1/x',
    'ftp://127.0.0.1/x',
  ])('refuses callbackUrl %s at submission', async (callbackUrl) => {
    const before = receiver.received.length;
    // `hang`: were it accepted, the upstream would hold it and it could never call back.
    const response = await submit({ data: { hang: true }, processor: 'http', callbackUrl });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as { code: string; detail: string };
    expect(problem.code).toBe('ERR_VALIDATION');
    expect(problem.detail).toMatch(/callbackUrl/);
    expect(receiver.received.length).toBe(before);
  });

  it('refuses an unknown processor with 422 ERR_UNKNOWN_PROCESSOR', async () => {
    const response = await submit({ data: 1, processor: 'mint-money' });
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await response.json()) as { code: string }).code).toBe('ERR_UNKNOWN_PROCESSOR');
  });
});
