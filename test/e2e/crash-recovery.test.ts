import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startSignet, type SignetProcess } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';

const REQUESTS = 400;

/** kill -9 with accepted work in the queue, restart on the same data dir: nothing accepted is lost. */
describe('crash recovery', () => {
  const dir = tempDir();
  let signet: SignetProcess | undefined;
  // An upstream that takes 100 ms per request: accepted work is still in flight at the kill.
  const upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 100),
    );
  });
  afterAll(async () => {
    await signet?.stop();
    await new Promise((resolve) => upstream.close(resolve));
    dir.remove();
  });

  it('completes every accepted request after kill -9 and restart, exactly once', async () => {
    const configPath = join(dir.path, 'signet.yaml');
    // A short lease, so that work leased by the killed process is delivered again quickly.
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    writeFileSync(
      configPath,
      [
        'queue: { lease: PT2S }',
        'server: { rateLimit: { max: 100000 } }',
        `processors: { default: http, http: { url: "http://127.0.0.1:${port}/", timeout: PT10S } }`,
      ].join('\n'),
    );
    const env = { SIGNET_CONFIG: configPath };
    signet = await startSignet({ dataDir: dir.path, env });
    const headers = {
      authorization: `Bearer ${signet.adminToken}`,
      'content-type': 'application/json',
    };

    const accepted: string[] = [];
    const url = signet.url;
    const submitOne = async (n: number) => {
      const response = await fetch(`${url}/request`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ data: { n } }),
      });
      if (response.status === 202)
        accepted.push(((await response.json()) as { requestId: string }).requestId);
    };
    await Promise.all(Array.from({ length: REQUESTS }, (_, n) => submitOne(n)));
    await signet.kill9();
    signet = undefined;
    expect(accepted).toHaveLength(REQUESTS);

    const db = new BetterSqlite3(join(dir.path, 'signet.db'), { readonly: true });
    const pending = db
      .prepare("select count(*) as n from requests where status != 'completed'")
      .get() as { n: number };
    db.close();
    // The crash must leave work behind, or this test proves nothing.
    expect(pending.n).toBeGreaterThan(0);

    signet = await startSignet({
      dataDir: dir.path,
      env,
      adminToken: headers.authorization.slice(7),
    });
    const deadline = Date.now() + 60_000;
    const tokens = new Map<string, string>();
    for (const id of accepted) {
      const remaining = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
      const response = await fetch(`${signet.url}/status/${id}?wait=${Math.min(remaining, 30)}`, {
        headers,
      });
      const body = (await response.json()) as {
        status: string;
        token?: string;
        signedResponse?: { signature: string; kid: string; caLocations: unknown[] };
      };
      expect(body.status).toBe('completed');
      // Read from the store by a new process: the SignedResponse is the token's, read back.
      expect(body.signedResponse?.signature).toBe(body.token?.split('.')[2]);
      expect(body.signedResponse?.caLocations.length).toBeGreaterThan(0);
      tokens.set(id, body.token ?? '');
    }
    expect(tokens.size).toBe(REQUESTS);
    for (const [id, token] of tokens) {
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
        jti: string;
      };
      expect(claims.jti).toBe(id);
    }
  });
});
