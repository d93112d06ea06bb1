/**
 * The long runs of `npm run bench` (BENCH_SOAK=1): BENCH_SOAK_REQUESTS requests
 * (default one million) through a real `signet serve`, in batches, sampling
 * the server's RSS, the store's size and the throughput every window.
 *  - retention: queue.retainCompleted is short, so completed requests are
 *    deleted as they age. RSS must stay flat (within 20%).
 *  - growth: nothing is deleted; the store grows from empty to every request.
 *    Throughput must stay within 10% of the start's; then the grown store is
 *    measured against a fresh one in alternating slices (see fresh-store.ts).
 */
import { fileURLToPath } from 'node:url';
import { tempDir } from '../test/support/temp.js';
import { KeepAliveClient } from './http-client.js';
import { againstFreshStore, type FreshComparison } from './fresh-store.js';
import { cpuSeconds, rssMiB, startBenchSignet, storeMiB, walMiB } from './processes.js';
import { mean, printTable, round, writeResults } from './report.js';
import { signetBatch } from './workloads.js';

interface Sample {
  elapsedS: number;
  completed: number;
  tokensPerSec: number;
  rssMiB: number;
  storeMiB: number;
  walMiB: number;
  serverCpuMsPerToken: number;
}

const env = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

async function soak(mode: 'retention' | 'growth', log: (line: string) => void) {
  const total = env('BENCH_SOAK_REQUESTS', 1_000_000);
  // Short enough that each tenth of a run holds several samples on a fast machine too (a million
  // requests took 75 s on one): the trend is then a mean over the heap's sawtooth, not one tooth.
  const windowS = env('BENCH_SOAK_WINDOW', 2);
  const loops = env('BENCH_SOAK_LOOPS', 4);
  const batch = env('BENCH_BATCH', 100);
  const retain = process.env.BENCH_SOAK_RETAIN ?? 'PT30S';
  const slices = env('BENCH_SOAK_SLICES', 40);
  const sliceMs = env('BENCH_SOAK_SLICE_MS', 1000);
  const dir = tempDir('signet-soak-');
  const config =
    mode === 'retention'
      ? `queue: { retainCompleted: ${retain} }\n`
      : 'queue: { retainCompleted: P3650D }\n';
  const signet = await startBenchSignet(dir.path, config);
  const pid = signet.child.pid ?? 0;
  const client = new KeepAliveClient(signet.url, loops);
  const operation = signetBatch(client, signet.adminToken, batch, 60);
  log(
    `soak (${mode}): ${total} requests, ${loops} loops of batches of ${batch}, samples every ${windowS} s`,
  );

  let completed = 0;
  let errors = 0;
  const started = performance.now();
  const samples: Sample[] = [];
  let last = { at: started, completed: 0, cpu: cpuSeconds(pid) };
  const sampler = setInterval(() => {
    const now = performance.now();
    const cpu = cpuSeconds(pid);
    const done = completed - last.completed;
    samples.push({
      elapsedS: round((now - started) / 1000, 1),
      completed,
      tokensPerSec: round(done / ((now - last.at) / 1000), 0),
      rssMiB: round(rssMiB(pid), 1),
      storeMiB: round(storeMiB(dir.path), 1),
      walMiB: round(walMiB(dir.path), 1),
      serverCpuMsPerToken: round(((cpu - last.cpu) * 1000) / Math.max(1, done), 3),
    });
    log(`soak (${mode}): ${JSON.stringify(samples.at(-1))}`);
    last = { at: now, completed, cpu };
  }, windowS * 1000);

  let againstFresh: FreshComparison | undefined;
  let loadEnded = 0;
  // Also when the run fails: the server stops and its data dir, gigabytes by then, goes.
  try {
    await Promise.all(
      Array.from({ length: loops }, async (_, i) => {
        while (completed < total) {
          try {
            // Awaited first: `completed += await …` would read `completed` before the await.
            const items = await operation(i);
            completed += items;
          } catch {
            errors += 1;
            if (errors > 100) throw new Error('soak: more than 100 failed batches');
          }
        }
      }),
    );
    loadEnded = performance.now();
    clearInterval(sampler);
    if (mode === 'growth') {
      againstFresh = await againstFreshStore({
        grown: operation,
        grownDataDir: dir.path,
        config,
        loops,
        batch,
        slices,
        sliceMs,
        log,
      });
    }
  } finally {
    clearInterval(sampler);
    client.close();
    await signet.stop();
    dir.remove();
  }

  // Compare the first tenth of the run (after the first sample, the warm-up) with the rest.
  const settled = samples.slice(1);
  const head = settled.slice(0, Math.max(1, Math.ceil(settled.length / 10)));
  const tail = settled.slice(-Math.max(1, Math.ceil(settled.length / 10)));
  // A garbage-collected heap is a sawtooth: compare the first and last tenth's means (the trend),
  // and report the highest sample beside them.
  const rssStart = mean(head.map((s) => s.rssMiB));
  const rssEnd = mean(tail.map((s) => s.rssMiB));
  const rssMax = Math.max(...settled.map((s) => s.rssMiB));
  const tpsStart = mean(head.map((s) => s.tokensPerSec));
  const tpsEnd = mean(tail.map((s) => s.tokensPerSec));
  return {
    mode,
    total,
    errors,
    seconds: round((loadEnded - started) / 1000, 1),
    rssStartMiB: round(rssStart, 1),
    rssEndMiB: round(rssEnd, 1),
    rssMaxMiB: round(rssMax, 1),
    rssGrowth: round(rssEnd / rssStart - 1, 3),
    rssPeak: round(rssMax / rssStart - 1, 3),
    tokensPerSecStart: round(tpsStart, 0),
    tokensPerSecEnd: round(tpsEnd, 0),
    throughputChange: round(tpsEnd / tpsStart - 1, 3),
    storeMiBEnd: samples.at(-1)?.storeMiB ?? 0,
    ...(againstFresh ? { againstFresh } : {}),
    samples,
  };
}

export async function runSoak(log: (line: string) => void): Promise<void> {
  const modes = (process.env.BENCH_SOAK_MODE ?? 'retention,growth').split(',') as (
    'retention' | 'growth'
  )[];
  const results = [];
  for (const mode of modes) results.push(await soak(mode, log));
  printTable('Soak', [
    [
      'run',
      'requests',
      's',
      'RSS start MiB',
      'RSS end MiB',
      'RSS trend',
      'RSS max MiB',
      'tokens/s start',
      'tokens/s end',
      'change',
      'store MiB',
    ],
    ...results.map((r) => [
      r.mode,
      r.total,
      r.seconds,
      r.rssStartMiB,
      r.rssEndMiB,
      `${round(r.rssGrowth * 100, 1)}%`,
      r.rssMaxMiB,
      r.tokensPerSecStart,
      r.tokensPerSecEnd,
      `${round(r.throughputChange * 100, 1)}%`,
      r.storeMiBEnd,
    ]),
  ]);
  const compared = results.flatMap((r) => (r.againstFresh ? [r.againstFresh] : []));
  if (compared.length > 0) {
    printTable('Growth: the grown store against a fresh one, in alternating slices', [
      ['grown store MiB', 'fresh store MiB', 'grown tokens/s', 'fresh tokens/s', 'grown/fresh'],
      ...compared.map((c) => [
        c.grownStoreMiB,
        c.freshStoreMiB,
        c.grownTokensPerSec,
        c.freshTokensPerSec,
        c.ratio,
      ]),
    ]);
  }
  const path =
    process.env.BENCH_RESULTS ?? fileURLToPath(new URL('results/soak.json', import.meta.url));
  writeResults(path, { at: new Date().toISOString(), results });
  log(`figures written to ${path}`);
}
