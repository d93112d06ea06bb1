/**
 * Throughput of N Signet instances on one PostgreSQL, against one instance
 * on SQLite, on this machine: `npx tsx bench/distributed.ts [requests] [concurrency]`.
 * Each configuration gets a fresh database; clients spread closed-loop
 * submissions over the instances; "completed" waits until the last token.
 */
import { startCluster, submitLoad } from '../test/support/cluster.js';
import { createTestDatabase } from '../test/support/postgres.js';

const requests = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 32);
const CONFIG = 'server: { rateLimit: { max: 1000000 } }\n';

interface Row {
  setup: string;
  acceptedPerSecond: number;
  completedPerSecond: number;
}

async function measure(setup: string, instances: number, postgres: boolean): Promise<Row> {
  const database = await createTestDatabase();
  let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
  try {
    cluster = await startCluster({
      databaseUrl: postgres ? database.url : '',
      size: instances,
      config: CONFIG,
    });
    const urls = cluster.instances.map((p) => p.url);
    const started = Date.now();
    await submitLoad({
      targets: () => urls,
      token: cluster.adminToken,
      concurrency,
      more: (n) => n < requests,
    });
    const submitted = Date.now();
    // The queue counts come from /health, whatever the store.
    for (;;) {
      const health = (await (await fetch(`${urls[0]}/health`)).json()) as {
        queue: { completed: number };
      };
      if (health.queue.completed >= requests) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const completed = Date.now();
    return {
      setup,
      acceptedPerSecond: Math.round(requests / ((submitted - started) / 1000)),
      completedPerSecond: Math.round(requests / ((completed - started) / 1000)),
    };
  } finally {
    await cluster?.stop();
    await database.drop();
  }
}

const rows: Row[] = [];
rows.push(await measure('1 instance, SQLite', 1, false));
for (const n of [1, 2, 3]) rows.push(await measure(`${n} instance(s), PostgreSQL`, n, true));
console.table(rows);
