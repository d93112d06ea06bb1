/** The targets, checked against the figures of one bench run. */
import { type LoadFigures, round, type Target } from './report.js';

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
          ),
        ]
      : []),
  ];
}

/**
 * A lower bound, judged on the unrounded ratio. The value shown is cut to two
 * decimals, not rounded: 0.5998 shows as 0.59, never as a 0.60 that failed.
 */
export function atLeast(name: string, ratio: number, min: number): Target {
  return {
    name,
    // The epsilon keeps a ratio such as 0.29 (28.999… hundredths in binary) at 0.29.
    value: Math.floor(ratio * 100 + 1e-9) / 100,
    target: `>= ${min.toFixed(min < 1 ? 2 : 0)}`,
    met: ratio >= min,
  };
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
