/** The targets, checked against the figures of one bench run. */
import { type LoadFigures, mean, round, type Target } from './report.js';

export interface MicroRatios {
  signingStageVsJoseSign: number;
  sdkVerifyVsJoseVerify: number;
}

export function targetsOf(
  base: LoadFigures,
  singleBest: LoadFigures,
  batch: LoadFigures | undefined,
  ratios: MicroRatios,
): Target[] {
  return [
    atLeast(
      'single-request tokens/s vs baseline',
      singleBest.tokensPerSec / base.tokensPerSec,
      0.6,
      turnSpread(singleBest.turnTokensPerSec, base.turnTokensPerSec),
    ),
    {
      name: 'p99 submit-to-token (ms) at that load',
      value: singleBest.p99Ms,
      target: '< 50',
      met: singleBest.p99Ms < 50,
    },
    atLeast('signing stage vs raw jose sign', ratios.signingStageVsJoseSign, 0.8),
    atLeast('SDK verify (cached) vs raw jose verify', ratios.sdkVerifyVsJoseVerify, 0.8),
    ...(batch
      ? [
          atLeast(
            'batch vs single-request tokens/s',
            batch.tokensPerSec / singleBest.tokensPerSec,
            2,
            turnSpread(batch.turnTokensPerSec, singleBest.turnTokensPerSec),
          ),
        ]
      : []),
  ];
}

/**
 * A lower bound, judged on the unrounded ratio. The value shown is cut to two
 * decimals, not rounded: 0.5998 shows as 0.59, never as a 0.60 that failed.
 */
export function atLeast(name: string, ratio: number, min: number, spread?: number): Target {
  return {
    name,
    // The epsilon keeps a ratio such as 0.29 (28.999… hundredths in binary) at 0.29.
    value: Math.floor(ratio * 100 + 1e-9) / 100,
    target: `>= ${min.toFixed(min < 1 ? 2 : 0)}`,
    met: ratio >= min,
    ...(spread === undefined ? {} : { spread: round(spread, 3) }),
  };
}

/**
 * How far a ratio of two workloads may lie, by the noise of the run's turns
 * alone, from what the machine gives them over a long run: the standard
 * error of the ratios of their turns, round by round (each round runs every
 * workload once, so the two turns of a round met the machine in about the
 * same state). Undefined with fewer than two rounds.
 */
export function turnSpread(
  numerator: readonly number[],
  denominator: readonly number[],
): number | undefined {
  const ratios = numerator.flatMap((value, turn) => {
    const under = denominator[turn];
    return under !== undefined && under > 0 ? [value / under] : [];
  });
  const count = ratios.length;
  if (count < 2) return undefined;
  const average = mean(ratios);
  const variance = ratios.reduce((sum, ratio) => sum + (ratio - average) ** 2, 0) / (count - 1);
  return Math.sqrt(variance / count);
}

/**
 * The CPU that `ratio` of the baseline's throughput leaves Signet per token:
 * for the server's threads, the most cores any workload of this run kept
 * busy, less what the load generator takes per Signet token; for its event
 * loop, one core.
 */
export function budgetAtTarget(
  base: LoadFigures,
  signet: LoadFigures,
  all: readonly LoadFigures[],
  ratio: number,
) {
  const tokensPerSec = round(base.tokensPerSec * ratio, 0);
  const cores = Math.max(...all.map((f) => f.coresInUse));
  return {
    tokensPerSec,
    cores,
    serverMs: round((cores * 1000) / tokensPerSec - signet.clientCpuMsPerToken, 3),
    eventLoopMs: round(1000 / tokensPerSec, 3),
  };
}
