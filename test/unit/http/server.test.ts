import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/http/app.js';
import { startServer } from '../../../src/http/server.js';
import { StubSignetApi, TOKENS, testConfig } from './stub-api.js';

const auth = { authorization: `Bearer ${TOKENS.alice}` };

describe('http: server', () => {
  it('listens, answers and closes', async () => {
    const app = await buildApp({ api: new StubSignetApi(), config: testConfig() });
    const server = await startServer({ app, host: '127.0.0.1', port: 0 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    await server.close();
    await server.close(); // idempotent
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });

  it('does not let a long-poll in progress hold the close', async () => {
    const api = new StubSignetApi();
    const app = await buildApp({ api, config: testConfig({ maxWait: 60_000 }) });
    const server = await startServer({ app, host: '127.0.0.1', port: 0 });
    const submitted = await fetch(`${server.url}/request`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ data: 1 }),
    });
    const { requestId } = (await submitted.json()) as { requestId: string };
    const poll = fetch(`${server.url}/status/${requestId}?wait=60`, { headers: auth });
    await expect.poll(() => api.statusCalls.length).toBe(1);

    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    const res = await poll;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ requestId, status: 'queued' });
    expect(api.statusCalls.map((c) => c.waitMs)).toEqual([60_000, 0]);
  });
});
