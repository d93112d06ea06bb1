import { describe, expect, it } from 'vitest';
import type { LoadFigures } from '../../../bench/report.js';
import { atLeast, targetsOf, turnSpread } from '../../../bench/targets.js';

describe('bench targets', () => {
  it('judges a lower bound on the unrounded ratio and never shows a miss as the bound', () => {
    expect(atLeast('single', 0.59975, 0.6)).toEqual({
      name: 'single',
      value: 0.59,
      target: '>= 0.60',
      met: false,
    });
    expect(atLeast('single', 0.6046, 0.6)).toMatchObject({ value: 0.6, met: true });
    expect(atLeast('batch', 1.9999, 2)).toMatchObject({ value: 1.99, target: '>= 2', met: false });
    expect(atLeast('batch', 2, 2)).toMatchObject({ value: 2, met: true });
    expect(atLeast('exact', 0.29, 0.29)).toMatchObject({ value: 0.29, met: true });
  });

  it('gives the standard error of a ratio over the turns, round by round', () => {
    // Turn ratios 1, 2 and 3: mean 2, sample variance 1, standard error sqrt(1/3).
    expect(turnSpread([2, 4, 6], [2, 2, 2])).toBeCloseTo(Math.sqrt(1 / 3), 12);
    // The same ratio in every round: no spread, whatever the machine's drift.
    expect(turnSpread([100, 300, 200], [200, 600, 400])).toBe(0);
    expect(turnSpread([5], [10])).toBeUndefined();
    expect(turnSpread([5, 6], [10, 0])).toBeUndefined();
  });

  it('shows the spread of the two throughput ratios beside them, and of no other target', () => {
    const load = (tokensPerSec: number, turns: number[]): LoadFigures => ({
      tokensPerSec,
      p50Ms: 1,
      p99Ms: 10,
      operations: 1,
      errors: 0,
      serverCpuMsPerToken: 0.1,
      eventLoopCpuMsPerToken: 0.1,
      clientCpuMsPerToken: 0.1,
      coresInUse: 1,
      turnTokensPerSec: turns,
    });
    const targets = targetsOf(
      load(1000, [1000, 1000]),
      load(650, [600, 700]),
      load(1400, [1300, 1400]),
      { signingStageVsJoseSign: 1.2, sdkVerifyVsJoseVerify: 1 },
    );
    // Single: turn ratios 0.6 and 0.7, standard error 0.05; batch: 13/6 and 2, 1/12.
    expect(targets.map((t) => t.spread)).toEqual([0.05, undefined, undefined, undefined, 0.083]);
    expect(targets[0]).toMatchObject({ value: 0.65, met: true });
  });
});
