import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestService, type TestService } from '../support/service.js';

describe('revocation under concurrent load', () => {
  let ctx: TestService | undefined;
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
  });

  it('hands out no token with the revoked kid once the revocation has committed', async () => {
    ctx = await createTestService('queue: { concurrency: 32, batchSize: 32 }\n');
    const { api, keyManager } = ctx.service;
    await ctx.service.start();
    const client = { id: 'alice', role: 'client' as const };
    const old = (await keyManager.getKeyForSigning()).record.kid;

    const submitted: string[] = [];
    const submitBatch = async (n: number) => {
      for (let i = 0; i < n; i++) {
        submitted.push((await api.submit(client, { data: { i } })).record.requestId);
      }
    };
    const load = submitBatch(600);
    // Revoke once the old key has signed something, while most of the load is still to come.
    while (submitted.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await api.status(client, submitted[0] ?? '', 10_000);
    const { activeKid } = await api.revoke({ id: 'admin', role: 'admin' }, old, 'keyCompromise');
    await load;
    for (const id of submitted) {
      const status = await api.status(client, id, 20_000);
      expect(status.status).toBe('completed');
    }

    const db = new BetterSqlite3(join(ctx.dataDir, 'signet.db'), { readonly: true });
    const revokedAt = (
      db.prepare('select revoked_at from keys where kid = ?').get(old) as { revoked_at: number }
    ).revoked_at;
    const rows = db.prepare('select kid, updated_at from requests').all() as {
      kid: string;
      updated_at: number;
    }[];
    db.close();
    const byOld = rows.filter((row) => row.kid === old);
    const byNew = rows.filter((row) => row.kid === activeKid);
    // Both keys signed some of the load, or the test did not exercise the race.
    expect(byOld.length).toBeGreaterThan(0);
    expect(byNew.length).toBeGreaterThan(0);
    expect(byOld.every((row) => row.updated_at <= revokedAt)).toBe(true);
    expect(rows.every((row) => row.kid === old || row.kid === activeKid)).toBe(true);
  });
});
