import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSignet, type SignetProcess } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';

const CONFIG = `keys:
  rotation: { every: PT4S }
  prepublish: PT2S
  jwksMaxAge: PT1S
  tokenLifetime: PT2S
  retain: PT4S
`;

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('scheduled rotation with a short real interval', () => {
  const dir = tempDir();
  let signet: SignetProcess;
  afterAll(async () => {
    await signet?.stop();
    dir.remove();
  });

  it('publishes the next key first, rotates with no manual step, and keeps the old key for its retention', async () => {
    const configPath = join(dir.path, 'signet.yaml');
    writeFileSync(configPath, CONFIG);
    signet = await startSignet({ dataDir: dir.path, env: { SIGNET_CONFIG: configPath } });
    const admin = { authorization: `Bearer ${signet.adminToken}` };
    const jwksKids = async () =>
      (
        (await (await fetch(`${signet.url}/.well-known/jwks.json`)).json()) as {
          keys: { kid: string }[];
        }
      ).keys.map((key) => key.kid);
    const activeKid = async () =>
      ((await (await fetch(`${signet.url}/health`)).json()) as { activeKid: string }).activeKid;

    const keys = (await (await fetch(`${signet.url}/keys`, { headers: admin })).json()) as {
      keys: { kid: string; status: string; nextRotationAt: string | null }[];
    };
    const first = keys.keys.find((key) => key.status === 'active');
    expect(first?.nextRotationAt).toBeTruthy();
    const firstKid = first?.kid ?? '';

    // The next key is listed before it signs.
    const next = await until('the pre-published key in JWKS', async () => {
      const kids = await jwksKids();
      return kids.length === 2 ? kids.find((kid) => kid !== firstKid) : undefined;
    });
    expect(await activeKid()).toBe(firstKid);

    // Then it becomes active with no manual step, and the old key stays listed.
    await until('the rotation', async () => ((await activeKid()) === next ? true : undefined));
    expect((await jwksKids()).sort()).toEqual([firstKid, next].sort());
    const submitted = await fetch(`${signet.url}/request`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { after: 'rotation' } }),
    });
    const { requestId } = (await submitted.json()) as { requestId: string };
    const status = (await (
      await fetch(`${signet.url}/status/${requestId}?wait=10`, { headers: admin })
    ).json()) as {
      signedResponse: { kid: string };
    };
    // A retired key no longer signs (later rotations may already have happened).
    expect(status.signedResponse.kid).not.toBe(firstKid);

    // After its retention, the old key leaves JWKS (its private key destroyed).
    await until('the retired key to leave JWKS', async () =>
      !(await jwksKids()).includes(firstKid) ? true : undefined,
    );
    const after = (await (await fetch(`${signet.url}/keys`, { headers: admin })).json()) as {
      keys: { kid: string; status: string }[];
    };
    expect(after.keys.find((key) => key.kid === firstKid)?.status).toBe('destroyed');

    const audit = (await (
      await fetch(`${signet.url}/audit?limit=500`, { headers: admin })
    ).json()) as {
      entries: { action: string; subject: string }[];
    };
    const actions = audit.entries
      .filter((entry) => entry.subject === firstKid)
      .map((entry) => entry.action);
    expect(actions).toEqual(
      expect.arrayContaining(['key.created', 'key.activated', 'key.retired', 'key.destroyed']),
    );
  });
});
