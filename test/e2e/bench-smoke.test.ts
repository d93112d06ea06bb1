import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTsx } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';

/** Config the bench adds to Signet's (BENCH_SIGNET_CONFIG); a slot per request in flight suffices. */
const SIGNET_CONFIG = 'queue: { concurrency: 64 }';

/** `npm run bench`, as short as it goes: its figures mean nothing, its output must be whole. */
function runBench(
  resultsPath: string,
  signetConfig = SIGNET_CONFIG,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runTsx('bench/run.ts', [], {
    BENCH_RESULTS: resultsPath,
    BENCH_DURATION: '1',
    BENCH_ROUNDS: '2',
    BENCH_WARMUP: '0.3',
    BENCH_CONCURRENCY: '4',
    BENCH_BATCH: '10',
    BENCH_MICRO_DURATION: '0.3',
    BENCH_MICRO_IN_FLIGHT: '2',
    BENCH_SIGNET_CONFIG: signetConfig,
  });
}

interface Load {
  tokensPerSec: number;
  errors: number;
  serverCpuMsPerToken: number;
  eventLoopCpuMsPerToken: number;
  clientCpuMsPerToken: number;
  coresInUse: number;
  turnTokensPerSec: number[];
}

describe('npm run bench', () => {
  const dir = tempDir('signet-bench-smoke-');
  afterAll(() => dir.remove());

  it('measures Signet and the baseline, prints the tables and writes every figure as JSON', async () => {
    const results = join(dir.path, 'latest.json');
    const { code, stdout } = await runBench(results);
    expect(code).toBe(0);
    for (const title of [
      'End to end',
      'CPU per token at 60% of the baseline',
      'A signer that checks its signatures',
      'Micro',
      'Targets',
    ])
      expect(stdout).toContain(title);
    // A workload's row ends with its slowest and fastest turn.
    expect(stdout).toMatch(/^baseline \(sync Fastify \+ jose\).* \d+–\d+ *$/m);

    const figures = JSON.parse(readFileSync(results, 'utf8')) as {
      endToEnd: Record<string, Load>;
      micro: Record<string, number | string>;
      ratios: Record<string, number>;
      budgetAtTarget: { tokensPerSec: number; serverMs: number; eventLoopMs: number };
      targets: { name: string; met: boolean; spread?: number }[];
      settings: { signetConfig: string };
      commands: {
        signet: string;
        baseline: string;
        verifyingBaseline: string;
        durableBaseline: string;
      };
    };
    // Both servers run compiled, as `npm start` runs Signet, not through tsx.
    expect(figures.commands.signet).toMatch(/^node (--[\w-]+=?\S* )*bin\/signet\.js serve$/);
    expect(figures.settings.signetConfig).toBe(SIGNET_CONFIG);
    expect(figures.commands.baseline).toMatch(
      /^node (--[\w-]+=?\S* )*dist\/bench\/baseline-server\.js$/,
    );
    expect(figures.commands.verifyingBaseline).toMatch(
      /^BENCH_BASELINE_VERIFY=1 node (--[\w-]+=?\S* )*dist\/bench\/baseline-server\.js$/,
    );
    expect(figures.commands.durableBaseline).toMatch(
      /^BENCH_BASELINE_STORE=<file> node (--[\w-]+=?\S* )*dist\/bench\/baseline-server\.js$/,
    );
    const workloads = [
      'baseline',
      'baselineVerifying',
      'baselineDurable',
      'signetSubmitPoll',
      'signetPreferWait',
      'signetBatch',
    ];
    expect(Object.keys(figures.endToEnd).sort()).toEqual([...workloads].sort());
    for (const name of workloads) {
      const load = figures.endToEnd[name] as Load;
      expect(load.errors, name).toBe(0);
      expect(load.tokensPerSec, name).toBeGreaterThan(0);
      expect(load.serverCpuMsPerToken, name).toBeGreaterThan(0);
      expect(load.eventLoopCpuMsPerToken, name).toBeGreaterThan(0);
      expect(load.eventLoopCpuMsPerToken, name).toBeLessThanOrEqual(load.serverCpuMsPerToken);
      expect(load.clientCpuMsPerToken, name).toBeGreaterThan(0);
      expect(load.coresInUse, name).toBeGreaterThan(0);
      expect(load.turnTokensPerSec, name).toHaveLength(2);
      for (const turn of load.turnTokensPerSec) expect(turn, name).toBeGreaterThan(0);
    }
    for (const name of ['joseSign', 'joseVerify', 'signingStage', 'caStage', 'sdkVerify'])
      expect(figures.micro[name], name).toBeGreaterThan(0);
    for (const name of [
      'verifyingBaselineVsBaseline',
      'singleVsVerifyingBaseline',
      'durableBaselineVsBaseline',
      'singleVsDurableBaseline',
    ])
      expect(figures.ratios[name], name).toBeGreaterThan(0);
    expect(figures.budgetAtTarget.tokensPerSec).toBeGreaterThan(0);
    expect(figures.budgetAtTarget.eventLoopMs).toBeGreaterThan(0);
    expect(figures.targets.map((t) => t.name)).toEqual([
      'single-request tokens/s vs baseline',
      'p99 submit-to-token (ms) at that load',
      'signing stage vs raw jose sign',
      'SDK verify (cached) vs raw jose verify',
      'batch vs single-request tokens/s',
    ]);
    // The two throughput ratios carry their standard error over the turns (two rounds here).
    expect(figures.targets.map((t) => t.spread !== undefined)).toEqual([
      true,
      false,
      false,
      false,
      true,
    ]);
    expect(stdout).toMatch(/^single-request tokens\/s vs baseline +[\d.]+ +[\d.]+ +>= 0\.60/m);
  }, 120_000);

  it('stops the servers it started and exits when Signet refuses the config it was given', async () => {
    const { code, stderr } = await runBench(
      join(dir.path, 'refused.json'),
      'queue: { concurrency: 0 }',
    );
    expect(code).not.toBe(0);
    expect(stderr).toContain('ERR_CONFIG_INVALID');
  }, 90_000);
});
