import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from '../support/cluster.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const CONFIG = `server: { rateLimit: { max: 1000000 } }
storage: { statementTimeout: PT2S }
queue: { lease: PT3S, backoff: PT0.2S }
`;

interface Outcome {
  status: number;
  code?: string;
  contentType?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!(await postgresAvailable()))('a database outage under load', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    proxy = await startTcpProxy('127.0.0.1', Number(new URL(database.url).port || 5432));
  });
  afterAll(async () => {
    proxy?.restore();
    await cluster?.stop();
    await proxy?.close();
    await database?.drop();
  });

  it('answers 503 while PostgreSQL is unreachable, then resumes and loses nothing accepted', async () => {
    cluster = await startCluster({
      databaseUrl: database.urlVia('127.0.0.1', proxy.port),
      size: 2,
      config: CONFIG,
    });
    const urls = cluster.instances.map((p) => p.url);
    const accepted: string[] = [];
    const outcomes: Outcome[] = [];
    /** Sent and answered while the database was cut off. */
    const during: Outcome[] = [];
    let phase: 'before' | 'outage' | 'after' = 'before';
    let afterAccepted = 0;
    let stop = false;
    let n = 0;

    const submit = async (url: string): Promise<void> => {
      const current = phase;
      let outcome: Outcome;
      try {
        const response = await fetch(`${url}/request`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${cluster?.adminToken}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ data: { n: n++ } }),
          signal: AbortSignal.timeout(15_000),
        });
        const body = (await response.json()) as { requestId?: string; code?: string };
        outcome = {
          status: response.status,
          ...(body.code ? { code: body.code } : {}),
          contentType: response.headers.get('content-type') ?? '',
        };
        if (response.status === 202 && body.requestId) {
          accepted.push(body.requestId);
          if (current === 'after') afterAccepted++;
        }
      } catch (err) {
        outcome = { status: 0, code: (err as Error).name };
      }
      outcomes.push(outcome);
      if (current === 'outage' && phase === 'outage') during.push(outcome);
    };
    const load = Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        while (!stop) {
          await submit(urls[i % urls.length] ?? '');
          if (phase === 'outage') await sleep(50);
        }
      }),
    );

    while (accepted.length < 300) await sleep(50);
    phase = 'outage';
    proxy.cut();
    await sleep(3_000);
    const health = await fetch(`${urls[0]}/health`);
    expect(health.status).toBe(503);
    const acceptedBeforeRestore = accepted.length;

    phase = 'after';
    proxy.restore();
    const deadline = Date.now() + 30_000;
    while (afterAccepted < 200 && Date.now() < deadline) await sleep(50);
    stop = true;
    await load;

    // During the outage: 503 problem+json ERR_UNAVAILABLE, never a 500 or a false 202. Around
    // it, a submission in flight when the connection broke may also get that 503.
    expect(during.length).toBeGreaterThan(10);
    expect(during.every((outcome) => outcome.status === 503)).toBe(true);
    const unavailable = {
      status: 503,
      code: 'ERR_UNAVAILABLE',
      contentType: 'application/problem+json; charset=utf-8',
    };
    for (const outcome of outcomes) {
      if (outcome.status !== 202) expect(outcome).toEqual(unavailable);
    }
    expect(afterAccepted).toBeGreaterThanOrEqual(200);
    expect(accepted.length).toBeGreaterThan(acceptedBeforeRestore);

    // Everything accepted, before or after, is completed once.
    const started = Date.now();
    let completed = 0;
    while (completed < accepted.length && Date.now() - started < 40_000) {
      await sleep(200);
      const [row] = await database.query<{ n: string }>(
        `SELECT count(*) AS n FROM requests WHERE status = 'completed'`,
      );
      completed = Number(row?.n);
    }
    const rows = await database.query<{ id: string; status: string; token: string | null }>(
      'SELECT id, status, token FROM requests',
    );
    // A submission whose commit succeeded just as the connection broke was answered 503 (the
    // client cannot know; it retries with its Idempotency-Key): such rows may exist beyond the
    // accepted ones, as many as there were 503s at most. Every accepted one is there.
    const ids = new Set(rows.map((row) => row.id));
    expect(accepted.filter((id) => !ids.has(id))).toEqual([]);
    const refused = outcomes.filter((outcome) => outcome.status === 503).length;
    expect(rows.length).toBeLessThanOrEqual(accepted.length + refused);
    expect(rows.filter((row) => row.status !== 'completed' || !row.token)).toEqual([]);
    expect((await fetch(`${urls[0]}/health`)).status).toBe(200);
  }, 120_000);
});
