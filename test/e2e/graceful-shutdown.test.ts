import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSignet, type SignetProcess } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';

interface Row {
  id: string;
  status: string;
  lease_owner: string | null;
  lease_expires_at: number | null;
  token: string | null;
  attempts: number;
}

function rows(dataDir: string): Row[] {
  const db = new BetterSqlite3(join(dataDir, 'signet.db'), { readonly: true });
  try {
    return db
      .prepare('select id, status, lease_owner, lease_expires_at, token, attempts from requests')
      .all() as Row[];
  } finally {
    db.close();
  }
}

async function until<T>(probe: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves with the exit code, or 'still running' after `ms`. */
function exitWithin(signet: SignetProcess, ms: number): Promise<number | null | 'still running'> {
  if (signet.child.exitCode !== null) return Promise.resolve(signet.child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('still running'), ms);
    signet.child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/**
 * SIGTERM on a real server process: long-polls are answered at once, the
 * process exits 0, and accepted work is completed or back in the queue,
 * never left leased to the process that is gone.
 */
describe('graceful shutdown', () => {
  let upstream: Server;
  let upstreamUrl = '';
  /** Request ids the upstream has seen, in order. */
  const seen: string[] = [];

  beforeAll(async () => {
    // `busy`: 503 at once (the request goes back to the queue with a backoff);
    // `slow`: answered after 1.5 s; `hang`: never answered (the request stays in flight).
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push(String(req.headers['x-signet-request-id']));
        const data = JSON.parse(body) as { mode?: string };
        if (data.mode === 'busy') res.writeHead(503).end();
        if (data.mode === 'slow') {
          setTimeout(() => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"slow":true}');
          }, 1_500);
        }
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  async function start(dataDir: string): Promise<SignetProcess> {
    const configPath = join(dataDir, 'signet.yaml');
    writeFileSync(
      configPath,
      `processors: { default: notarize, http: { url: "${upstreamUrl}", timeout: PT60S } }\n`,
    );
    return startSignet({ dataDir, env: { SIGNET_CONFIG: configPath } });
  }

  function client(signet: SignetProcess) {
    const headers = {
      authorization: `Bearer ${signet.adminToken}`,
      'content-type': 'application/json',
    };
    return {
      headers,
      submit: async (body: unknown): Promise<string> => {
        const response = await fetch(`${signet.url}/request`, {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
        });
        expect(response.status).toBe(202);
        return ((await response.json()) as { requestId: string }).requestId;
      },
    };
  }

  it('finishes or releases accepted work, in flight or queued, and exits 0', async () => {
    const dir = tempDir();
    const signet = await start(dir.path);
    try {
      const { submit } = client(signet);
      // Pending in the queue: every attempt gets a 503 and waits for a retry.
      const busy = await submit({ data: { mode: 'busy' }, processor: 'http' });
      // In flight: answered 1.5 s after it is received, within the worker's grace period.
      const slow = await submit({ data: { mode: 'slow' }, processor: 'http' });
      // In flight and never answered: the grace period runs out.
      const hung = await submit({ data: { mode: 'hang' }, processor: 'http' });
      await until(() => ([busy, slow, hung].every((id) => seen.includes(id)) ? true : undefined));
      // Accepted just before the signal.
      const batch = await Promise.all(
        Array.from({ length: 40 }, (_, n) => submit({ data: { n } })),
      );

      const signalled = Date.now();
      const exit = exitWithin(signet, 20_000);
      signet.child.kill('SIGTERM');
      // The worker waits up to 10 s for in-flight work, then releases it; the upstream
      // request still open must not keep the process alive.
      expect(await exit).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(15_000);

      const after = rows(dir.path);
      expect(after).toHaveLength(43);
      for (const row of after) {
        expect(['completed', 'queued'], row.id).toContain(row.status);
        expect(row.lease_owner, row.id).toBeNull();
        expect(row.lease_expires_at, row.id).toBeNull();
        if (row.status === 'completed') expect(row.token, row.id).toMatch(/^ey/);
      }
      const byId = new Map(after.map((row) => [row.id, row]));
      expect(byId.get(slow)?.status).toBe('completed');
      expect(byId.get(busy)?.status).toBe('queued');
      expect(byId.get(hung)).toMatchObject({ status: 'queued', attempts: 0 }); // released
      expect(batch.every((id) => byId.has(id))).toBe(true);
    } finally {
      signet.child.kill('SIGKILL');
      dir.remove();
    }
  });

  it('with a long-poll in progress: answers it at once and exits 0 within 5 s', async () => {
    const dir = tempDir();
    const signet = await start(dir.path);
    try {
      const { headers, submit } = client(signet);
      const busy = await submit({ data: { mode: 'busy' }, processor: 'http' });
      const slow = await submit({ data: { mode: 'slow' }, processor: 'http' });
      await until(() => ([busy, slow].every((id) => seen.includes(id)) ? true : undefined));
      const poll = fetch(`${signet.url}/status/${busy}?wait=30`, { headers }).then(
        async (response) => ({
          status: response.status,
          body: (await response.json()) as { status: string },
          at: Date.now(),
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 200)); // the long-poll is waiting

      const signalled = Date.now();
      const exit = exitWithin(signet, 5_000);
      signet.child.kill('SIGTERM');
      const answered = await poll;
      expect(answered.status).toBe(200);
      expect(['queued', 'processing']).toContain(answered.body.status);
      expect(answered.at - signalled).toBeLessThan(2_000);
      expect(await exit).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(5_000);
      const byId = new Map(rows(dir.path).map((row) => [row.id, row]));
      expect(byId.get(slow)?.status).toBe('completed');
      expect(byId.get(busy)).toMatchObject({ status: 'queued', lease_owner: null });
    } finally {
      signet.child.kill('SIGKILL');
      dir.remove();
    }
  });
});
