import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startSignet, type SignetProcess } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';

const TOKEN = /sig_[A-Za-z0-9_-]{43}/g;

/** Without SIGNET_ADMIN_TOKEN, the first start generates an admin token and shows it once. */
describe('generated admin token', () => {
  const dir = tempDir();
  let signet: SignetProcess | undefined;
  afterAll(async () => {
    await signet?.stop();
    dir.remove();
  });

  async function submitAndComplete(url: string, token: string): Promise<void> {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const submitted = await fetch(`${url}/request`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ data: { hello: 'admin' } }),
    });
    expect(submitted.status).toBe(202);
    const { requestId } = (await submitted.json()) as { requestId: string };
    const status = await fetch(`${url}/status/${requestId}?wait=20`, { headers });
    expect(((await status.json()) as { status: string }).status).toBe('completed');
  }

  let generated = '';

  it('is printed once on stderr at the first start, never logged, and works', async () => {
    signet = await startSignet({ dataDir: dir.path, seedAdminToken: false });
    const tokens = signet.stderr().match(TOKEN) ?? [];
    expect(tokens).toHaveLength(1);
    generated = tokens[0] ?? '';
    // Once in all the output (stdout carries the logs), and that once is on stderr.
    expect(signet.output().split(generated)).toHaveLength(2);

    await submitAndComplete(signet.url, generated);
    const wrong = await fetch(`${signet.url}/request`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${generated.slice(0, -1)}${generated.endsWith('A') ? 'B' : 'A'}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ data: 1 }),
    });
    expect(wrong.status).toBe(401);

    expect(await signet.stop()).toBe(0);
    signet = undefined;
    // Stored only as a hash: the clear token is in no file of the data dir.
    for (const file of readdirSync(dir.path)) {
      expect(readFileSync(join(dir.path, file)).includes(generated), file).toBe(false);
    }
  });

  it('is not generated again on restart, and the first one still works', async () => {
    // An empty SIGNET_ADMIN_TOKEN counts as unset.
    signet = await startSignet({ dataDir: dir.path, env: { SIGNET_ADMIN_TOKEN: '' } });
    expect(signet.output()).not.toMatch(TOKEN);
    expect(signet.output()).not.toMatch(/admin API token/);
    await submitAndComplete(signet.url, generated);
  });

  it.concurrent.each([
    ['characters a bearer header cannot carry', 'my admin token with spaces!'],
    ['too long', 'a'.repeat(513)],
  ])(
    'a SIGNET_ADMIN_TOKEN that could never authenticate (%s) stops the start',
    async (_name, token) => {
      const other = tempDir();
      try {
        const started = await runCli(['serve'], {
          SIGNET_DATA_DIR: other.path,
          SIGNET_PORT: String(await freePort()),
          SIGNET_ADMIN_TOKEN: token,
        });
        expect(started.code).not.toBe(0);
        expect(started.stderr).toMatch(/ERR_CONFIG_INVALID: invalid config: SIGNET_ADMIN_TOKEN: /);
      } finally {
        other.remove();
      }
    },
  );
});
