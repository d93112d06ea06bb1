import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { compactVerify, importJWK, type JWK } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { queueInvariants } from '../support/queue-invariants.js';
import { startSignet, type SignetProcess } from '../support/signet-process.js';
import { submitLoad } from '../support/submit-load.js';
import { tempDir } from '../support/temp.js';

/** Tokens in the database whose signature does not verify with their key's public JWK. */
async function badSignatures(dbPath: string): Promise<number> {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    const keys = new Map<string, Awaited<ReturnType<typeof importJWK>>>();
    for (const row of db.prepare('select kid, public_jwk from keys').all() as {
      kid: string;
      public_jwk: string;
    }[]) {
      keys.set(row.kid, await importJWK(JSON.parse(row.public_jwk) as JWK, 'EdDSA'));
    }
    let bad = 0;
    const rows = db.prepare("select kid, token from requests where status = 'completed'").all() as {
      kid: string;
      token: string;
    }[];
    for (const row of rows) {
      const key = keys.get(row.kid);
      if (!key) bad += 1;
      else await compactVerify(row.token, key).catch(() => (bad += 1));
    }
    return bad;
  } finally {
    db.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * kill -9 while clients are submitting and the worker is signing, then again
 * while the restarted process drains the backlog. Afterwards the database
 * holds every accepted request completed exactly once, with its own token.
 */
describe('kill -9 under load', () => {
  const dir = tempDir();
  let signet: SignetProcess | undefined;
  afterAll(async () => {
    await signet?.stop();
    dir.remove();
  });

  it('loses no accepted request and signs none twice, across two crashes', async () => {
    const configPath = join(dir.path, 'signet.yaml');
    // A short lease: work leased by a killed process is delivered again quickly. A small
    // worker (two at a time) keeps a backlog behind eight submitting clients, so each kill
    // finds both finished and unfinished work, however fast the machine.
    writeFileSync(
      configPath,
      'queue: { lease: PT2S, concurrency: 2, batchSize: 2 }\nserver: { rateLimit: { max: 10000000 } }\n',
    );
    const start = () =>
      startSignet({ dataDir: dir.path, env: { SIGNET_CONFIG: configPath }, adminToken });
    const adminToken = `sig_${'k'.repeat(40)}`;
    signet = await start();

    // Round 1: kill while 8 clients submit and the worker completes.
    const load = submitLoad({ url: signet.url, token: adminToken, loops: 8, maxMs: 20_000 });
    await expect.poll(() => load.accepted.length, { timeout: 15_000 }).toBeGreaterThan(300);
    await signet.kill9();
    signet = undefined;
    await load.stop();
    const accepted = [...load.accepted];
    const dbPath = join(dir.path, 'signet.db');
    const atCrash = queueInvariants(dbPath, accepted);
    // The crash must leave both finished and unfinished work, or this proves little.
    expect(atCrash.completed).toBeGreaterThan(0);
    expect(atCrash.lost.length).toBeGreaterThan(0);

    // Round 2: restart, and kill again while it drains (leases of round 1 expire meanwhile).
    signet = await start();
    await sleep(700);
    await signet.kill9();
    signet = undefined;

    // Round 3: restart and let it drain.
    signet = await start();
    const running = signet;
    await expect
      .poll(
        async () => {
          const health = (await (await fetch(`${running.url}/health`)).json()) as {
            queue: { queued: number; processing: number };
          };
          return health.queue.queued + health.queue.processing;
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBe(0);

    await running.stop();
    signet = undefined;

    const after = queueInvariants(dbPath, accepted);
    expect(after.integrity).toBe('ok');
    expect(after.lost).toEqual([]);
    expect(after.mismatched).toEqual([]);
    expect(after.duplicateTokens).toBe(0);
    expect(after.byStatus).toEqual({ completed: after.completed });
    // One completion, and one counted signature, per row: none was completed twice.
    expect(after.signaturesCounted).toBe(after.completed);
    expect(after.completed).toBeGreaterThanOrEqual(accepted.length);
    expect(await badSignatures(dbPath)).toBe(0);
  });
});
