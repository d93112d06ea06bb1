import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startSignet, type SignetProcess } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';

describe('an API token replaced from the CLI while the service runs', () => {
  const dir = tempDir();
  const env = {
    SIGNET_DATA_DIR: dir.path,
    SIGNET_MASTER_KEY: randomBytes(32).toString('base64'),
  };
  let signet: SignetProcess | undefined;
  afterAll(async () => {
    await signet?.stop();
    dir.remove();
  });

  /** The status of an unknown request: 404 once authenticated, 401 when not. */
  const statusWith = async (token: string): Promise<number> =>
    (
      await fetch(`${signet?.url}/status/${randomUUID()}`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).status;

  it('stops working at once, and the new token works', async () => {
    signet = await startSignet({ dataDir: dir.path, env });
    const added = await runCli(['clients', 'add', 'alice'], env);
    expect(added.code).toBe(0);
    const first = added.stdout.trim();
    // Several lookups, so that the service has had every chance to keep this one.
    for (let i = 0; i < 3; i++) expect(await statusWith(first)).toBe(404);

    const replaced = await runCli(['clients', 'add', 'alice'], env);
    expect(replaced.code).toBe(0);
    const second = replaced.stdout.trim();
    expect(second).not.toBe(first);
    expect(await statusWith(first)).toBe(401);
    expect(await statusWith(second)).toBe(404);
  }, 60_000);
});
