import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/store/audit-verify.js';
import { openStore, type Store } from '../../src/store/index.js';
import { type Cluster, startCluster, submitLoad } from '../support/cluster.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js';

const ROTATE_EVERY_MS = 6_000;
const CONFIG = `server: { rateLimit: { max: 1000000 } }
keys:
  rotation: { every: PT6S }
  prepublish: PT2S
  jwksMaxAge: PT1S
  tokenLifetime: PT2S
  retain: PT4S
queue: { lease: PT3S, backoff: PT0.2S }
`;
const MIN_REQUESTS = 2_000;
const KILL_AFTER = 800;

const until = async (what: string, check: () => Promise<boolean>, ms: number) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

describe.skipIf(!(await postgresAvailable()))('three instances on one PostgreSQL', () => {
  let database: TestDatabase;
  let cluster: Cluster | undefined;
  let store: Store;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await cluster?.stop();
    await store?.close();
    await database?.drop();
  });

  it('completes every accepted request once through a kill -9, with one active key and each scheduled rotation once', async () => {
    cluster = await startCluster({ databaseUrl: database.url, size: 3, config: CONFIG });
    const { instances } = cluster;
    store = await openStore({ kind: 'postgres', url: database.url, poolSize: 2 });
    const alive = () =>
      instances.filter((p) => p.child.exitCode === null && p.child.signalCode === null);

    // Sample the number of active keys all along.
    const activeCounts: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [row] = await database.query<{ n: string }>(
          `SELECT count(*) AS n FROM keys WHERE status = 'active'`,
        );
        activeCounts.push(Number(row?.n));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const scheduledRotationsSince = async (at: number) =>
      Number(
        (
          await database.query<{ n: string }>(
            `SELECT count(*) AS n FROM audit_events WHERE action = 'key.activated'
               AND details LIKE '%"cause":"scheduled"%' AND at > $1`,
            [at],
          )
        )[0]?.n,
      );

    // The first instance took the leadership (it started alone); it is the one killed.
    const leader = instances[0];
    let killed: Promise<void> | undefined;
    const started = Date.now();
    let killedAt = Number.POSITIVE_INFINITY;
    let rotatedAfterKill = false;
    const load = await submitLoad({
      targets: () => alive().map((p) => p.url),
      token: cluster.adminToken,
      concurrency: 24,
      // At least MIN_REQUESTS, and on until the new leader ran a scheduled rotation under load.
      more: async (n) => {
        if (n % 50 === 0 && !rotatedAfterKill && killedAt < Date.now())
          rotatedAfterKill = (await scheduledRotationsSince(killedAt)) > 0;
        return n < MIN_REQUESTS || (!rotatedAfterKill && n < 10 * MIN_REQUESTS);
      },
      onAccepted: (count) => {
        if (count !== KILL_AFTER) return;
        killedAt = Date.now();
        killed = leader?.kill9();
      },
    });
    const submitSeconds = (Date.now() - started) / 1000;
    await killed;
    // The leader died; another instance took the lock over and rotated on schedule.
    expect(rotatedAfterKill).toBe(true);

    const ids = [...load.accepted.values()];
    expect(ids.length).toBeGreaterThanOrEqual(MIN_REQUESTS);
    await until(
      'every accepted request to complete',
      async () => {
        const [row] = await database.query<{ n: string }>(
          `SELECT count(*) AS n FROM requests WHERE status = 'completed'`,
        );
        return Number(row?.n) >= ids.length;
      },
      60_000,
    );
    const doneSeconds = (Date.now() - started) / 1000;
    sampling = false;
    await sampler;
    console.info(
      `distributed: ${ids.length} requests over 3 instances (one killed -9): submitted in ` +
        `${submitSeconds.toFixed(1)} s (${(ids.length / submitSeconds).toFixed(0)}/s), all ` +
        `completed after ${doneSeconds.toFixed(1)} s; retried submissions by status: ` +
        JSON.stringify(Object.fromEntries(load.refused)),
    );

    // One row per submission (the idempotency key held across instances), one token each.
    const rows = await database.query<{ id: string; status: string; token: string; kid: string }>(
      'SELECT id, status, token, kid FROM requests',
    );
    expect(rows).toHaveLength(ids.length);
    expect(new Set(rows.map((row) => row.id))).toEqual(new Set(ids));
    for (const row of rows) {
      expect(row.status).toBe('completed');
      expect(decodeJwt(row.token).jti).toBe(row.id);
      expect(decodeProtectedHeader(row.token).kid).toBe(row.kid);
    }
    expect(new Set(rows.map((row) => row.token)).size).toBe(rows.length);

    // One active key at every sample, and the database index that enforces it.
    expect(activeCounts.length).toBeGreaterThan(20);
    expect(new Set(activeCounts)).toEqual(new Set([1]));
    const [index] = await database.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE indexname = 'keys_one_active'`,
    );
    expect(index?.indexdef).toMatch(/UNIQUE INDEX .* WHERE \(\(status\)::text = 'active'/);

    // Each rotation once: a key is activated one interval after the one before it, never two
    // for one due time; no key was left over by a rotation that lost a race.
    const keys = await database.query<{ kid: string; status: string; activated_at: string | null }>(
      'SELECT kid, status, activated_at FROM keys ORDER BY activated_at',
    );
    const activated = keys
      .filter((k) => k.activated_at !== null)
      .map((k) => Number(k.activated_at));
    expect(activated.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < activated.length; i++) {
      const gap = (activated[i] ?? 0) - (activated[i - 1] ?? 0);
      expect(gap).toBeGreaterThanOrEqual(ROTATE_EVERY_MS);
      expect(gap).toBeLessThan(ROTATE_EVERY_MS + 8_000);
    }
    const neverActivated = keys.filter((k) => k.activated_at === null);
    expect(neverActivated.every((k) => k.status === 'pending')).toBe(true);
    expect(neverActivated.length).toBeLessThanOrEqual(1); // the pre-published next key
    expect(keys.filter((k) => k.status === 'revoked')).toEqual([]);
    const audited = await database.query<{ subject: string }>(
      `SELECT subject FROM audit_events WHERE action = 'key.activated'`,
    );
    expect(new Set(audited.map((a) => a.subject)).size).toBe(audited.length);

    // Three instances appending concurrently kept one audit chain.
    expect((await verifyAuditChain(store.db)).ok).toBe(true);
  }, 150_000);
});
