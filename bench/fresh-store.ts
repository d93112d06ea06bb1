/**
 * Throughput at a grown store against a fresh one, measured in alternating
 * slices. Comparing the first and last tenth of one long run also compares
 * two moments of the machine: on the machines of the bench's runs, that
 * moved throughput by ±20% between runs of the same code. Here both stores
 * are served at once by two processes of the same build, and the load moves
 * between them slice by slice (ABBA order), so that the machine's drift
 * weighs on both alike.
 */
import { closedLoop } from './closed-loop.js';
import { KeepAliveClient } from './http-client.js';
import { startBenchSignet, storeMiB } from './processes.js';
import { round } from './report.js';
import { signetBatch, type Operation } from './workloads.js';
import { tempDir } from '../test/support/temp.js';

export interface FreshComparison {
  slices: number;
  sliceMs: number;
  grownTokensPerSec: number;
  freshTokensPerSec: number;
  /** Grown over fresh: 0.90 or more is within the target's 10%. */
  ratio: number;
  grownStoreMiB: number;
  freshStoreMiB: number;
}

export interface FreshComparisonOptions {
  /** The grown store's operation (a batch with Prefer: wait), and its data dir. */
  grown: Operation;
  grownDataDir: string;
  /** Signet's config for the fresh store, as the grown one's. */
  config: string;
  loops: number;
  batch: number;
  slices: number;
  sliceMs: number;
  log(line: string): void;
}

/** ABBA: A is the grown store, B the fresh one. */
const ORDER = ['grown', 'fresh', 'fresh', 'grown'] as const;
const WARMUP_MS = 3000;

export async function againstFreshStore(options: FreshComparisonOptions): Promise<FreshComparison> {
  const { loops, sliceMs, log } = options;
  // At least one slice on each side.
  const slices = Math.max(2, Math.round(options.slices));
  const dir = tempDir('signet-soak-');
  try {
    const signet = await startBenchSignet(dir.path, options.config);
    const client = new KeepAliveClient(signet.url, loops);
    try {
      const operations = {
        grown: options.grown,
        fresh: signetBatch(client, signet.adminToken, options.batch, 60),
      };
      const items = { grown: 0, fresh: 0 };
      const ran = { grown: 0, fresh: 0 };
      const load = (operation: Operation, durationMs: number) =>
        closedLoop({ concurrency: loops, durationMs, warmupMs: 0, operation });
      log(`soak (growth): against a fresh store, ${slices} alternating slices of ${sliceMs} ms`);
      // The grown store's process has run for minutes; the fresh one's code is made as warm.
      await load(operations.fresh, WARMUP_MS);
      for (let slice = 0; slice < slices; slice++) {
        const side = ORDER[slice % ORDER.length] ?? 'grown';
        const result = await load(operations[side], sliceMs);
        if (result.errors > 0) throw new Error(`soak: ${side} store failed: ${result.firstError}`);
        items[side] += result.items;
        ran[side] += sliceMs / 1000;
      }
      const grown = items.grown / ran.grown;
      const fresh = items.fresh / ran.fresh;
      return {
        slices,
        sliceMs,
        grownTokensPerSec: round(grown, 0),
        freshTokensPerSec: round(fresh, 0),
        ratio: round(grown / fresh, 3),
        grownStoreMiB: round(storeMiB(options.grownDataDir), 1),
        freshStoreMiB: round(storeMiB(dir.path), 1),
      };
    } finally {
      client.close();
      await signet.stop();
    }
  } finally {
    dir.remove();
  }
}
