import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FreshComparison } from '../../bench/fresh-store.js';
import { runTsx } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';

describe('the growth run of npm run bench', () => {
  it('measures the grown store against a fresh one in alternating slices, then removes both', async () => {
    // The run's own temporary dir, so that another test's stores do not count as this run's.
    const tmp = tempDir('signet-bench-tmp-');
    const out = tempDir('signet-bench-results-');
    const results = join(out.path, 'soak.json');
    const { code, stdout } = await runTsx('bench/run.ts', [], {
      TMPDIR: tmp.path,
      BENCH_SOAK: '1',
      BENCH_SOAK_MODE: 'growth',
      BENCH_SOAK_REQUESTS: '3000',
      BENCH_SOAK_WINDOW: '1',
      BENCH_SOAK_LOOPS: '2',
      BENCH_SOAK_SLICES: '4',
      BENCH_SOAK_SLICE_MS: '300',
      BENCH_BATCH: '20',
      BENCH_RESULTS: results,
    });
    try {
      expect(code).toBe(0);
      expect(stdout).toContain('the grown store against a fresh one');
      const written = JSON.parse(readFileSync(results, 'utf8')) as {
        results: { mode: string; total: number; againstFresh?: FreshComparison }[];
      };
      const [growth] = written.results;
      expect(growth?.mode).toBe('growth');
      expect(growth?.total).toBe(3000);
      const compared = growth?.againstFresh;
      expect(compared?.slices).toBe(4);
      expect(compared?.grownTokensPerSec).toBeGreaterThan(0);
      expect(compared?.freshTokensPerSec).toBeGreaterThan(0);
      expect(compared?.ratio).toBeCloseTo(
        (compared?.grownTokensPerSec ?? 0) / (compared?.freshTokensPerSec ?? 1),
        1,
      );
      expect(compared?.grownStoreMiB).toBeGreaterThan(0);
      expect(compared?.freshStoreMiB).toBeGreaterThan(0);
      // Both stores, the grown and the fresh one, are gone with their servers.
      expect(readdirSync(tmp.path).filter((name) => name.startsWith('signet-soak-'))).toEqual([]);
    } finally {
      out.remove();
      tmp.remove();
    }
  }, 120_000);
});
