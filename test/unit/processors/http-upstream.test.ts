import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SignetError } from '../../../src/domain/errors.js';
import type { RequestEnvelope } from '../../../src/domain/types.js';
import { HttpUpstreamProcessor } from '../../../src/processors/http-upstream.js';

const MIB = 1024 * 1024;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real upstream on 127.0.0.1: each path answers in its own (mis)behaving way. */
describe('HttpUpstreamProcessor against a real upstream', () => {
  let server: Server;
  let base = '';
  let seen: Seen[] = [];

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/json': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ answer: 42, list: ['a', null] }));
    },
    '/500': (_req, res) => res.writeHead(500).end('{"oops":true}'),
    '/503-big': (_req, res) => res.writeHead(503).end('x'.repeat(2 * MIB)),
    '/429': (_req, res) => res.writeHead(429).end(),
    '/400': (_req, res) => res.writeHead(400).end('{"error":"bad"}'),
    '/text': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'),
    '/redirect': (_req, res) => res.writeHead(302, { location: '/json' }).end(),
    '/never': () => {
      // never answers: the processor's timeout must end the wait
    },
    '/stall-body': (_req, res) => {
      // headers and half a document, then nothing
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
    },
    '/reset-body': (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":', () => setTimeout(() => req.socket.destroy(), 20));
    },
    '/exactly-1mib': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`"${'a'.repeat(MIB - 2)}"`);
    },
    '/over-1mib': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`"${'a'.repeat(MIB - 1)}"`);
    },
    '/huge-stream': (_req, res) => {
      // keeps sending: the processor must stop reading at the cap
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = 'a'.repeat(64 * 1024);
      const pump = (): void => {
        while (res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      res.write('"');
      pump();
    },
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const route = routes[req.url ?? ''];
        if (route) route(req, res);
        else res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen = [];
  });

  const envelope = (data: unknown): RequestEnvelope => ({
    requestId: '6f1c1a34-2a43-4b6e-9f5e-0d6a1e6c0b11',
    clientId: 'alice',
    data,
    processor: 'http',
    receivedAt: new Date(),
  });

  const processor = (path: string, timeoutMs = 5_000): HttpUpstreamProcessor =>
    new HttpUpstreamProcessor({ url: `${base}${path}`, timeoutMs });

  async function failure(path: string, timeoutMs?: number): Promise<SignetError> {
    const error = await processor(path, timeoutMs)
      .run(envelope({ q: 1 }))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(error).toBeInstanceOf(SignetError);
    return error as SignetError;
  }

  it('POSTs the request data as JSON and returns the JSON answer', async () => {
    const data = { b: 1, a: ['x', { ü: 'ß' }] };
    const result = await processor('/json').run(envelope(data));
    expect(result).toEqual({ answer: 42, list: ['a', null] });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/json' });
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    expect(seen[0]?.headers['x-signet-request-id']).toBe('6f1c1a34-2a43-4b6e-9f5e-0d6a1e6c0b11');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual(data);
  });

  it('a 500 is a retryable ERR_PROCESSOR_FAILED', async () => {
    const error = await failure('/500');
    expect(error.code).toBe('ERR_PROCESSOR_FAILED');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/500/);
  });

  it('a 503 with a body over the cap is still a retryable server error', async () => {
    const error = await failure('/503-big');
    expect(error.code).toBe('ERR_PROCESSOR_FAILED');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/503/);
  });

  it('a 429 is retryable', async () => {
    const error = await failure('/429');
    expect(error.retryable).toBe(true);
  });

  it('a 400 is not retryable', async () => {
    const error = await failure('/400');
    expect(error.code).toBe('ERR_PROCESSOR_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/400/);
  });

  it('an answer that is not JSON is refused and not retried', async () => {
    const error = await failure('/text');
    expect(error.code).toBe('ERR_PROCESSOR_FAILED');
    expect(error.message).toMatch(/not JSON/);
    expect(error.retryable).toBe(false);
  });

  it('a redirect is refused, not followed, and not retried', async () => {
    const error = await failure('/redirect');
    expect(error.code).toBe('ERR_PROCESSOR_FAILED');
    expect(error.message).toMatch(/redirect/i);
    expect(error.retryable).toBe(false);
    expect(seen.map((request) => request.url)).toEqual(['/redirect']);
  });

  it('an upstream that never answers times out, retryably', async () => {
    const started = Date.now();
    const error = await failure('/never', 200);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error.code).toBe('ERR_PROCESSOR_FAILED');
    expect(error.retryable).toBe(true);
  });

  it('an answer whose body stalls times out, retryably', async () => {
    const started = Date.now();
    const error = await failure('/stall-body', 300);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error.code).toBe('ERR_PROCESSOR_FAILED');
    expect(error.retryable).toBe(true);
  });

  it('a connection cut in the middle of the answer is retryable', async () => {
    const error = await failure('/reset-body');
    expect(error.code).toBe('ERR_PROCESSOR_FAILED');
    expect(error.retryable).toBe(true);
  });

  it('an upstream that is not listening is retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await new HttpUpstreamProcessor({
      url: `http://127.0.0.1:${port}/`,
      timeoutMs: 2_000,
    })
      .run(envelope(1))
      .catch((err: unknown) => err as SignetError);
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('ERR_PROCESSOR_FAILED');
    expect((error as SignetError).retryable).toBe(true);
  });

  it('accepts an answer of exactly 1 MiB', async () => {
    const result = await processor('/exactly-1mib').run(envelope(1));
    expect(typeof result).toBe('string');
    expect((result as string).length).toBe(MIB - 2);
  });

  it('refuses an answer of 1 MiB + 1 byte, without retrying', async () => {
    const error = await failure('/over-1mib');
    expect(error.code).toBe('ERR_PROCESSOR_FAILED');
    expect(error.message).toMatch(/1 MiB/);
    expect(error.retryable).toBe(false);
  });

  it('stops reading an endless answer at the cap', async () => {
    const error = await failure('/huge-stream');
    expect(error.code).toBe('ERR_PROCESSOR_FAILED');
    expect(error.message).toMatch(/1 MiB/);
  });
});
