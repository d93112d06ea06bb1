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
    {
      name: 'single-request tokens/s vs baseline',
      value: round(singleBest.tokensPerSec / base.tokensPerSec),
      target: '>= 0.60',
      met: singleBest.tokensPerSec / base.tokensPerSec >= 0.6,
    },
    {
      name: 'p99 submit-to-token (ms) at that load',
      value: singleBest.p99Ms,
      target: '< 50',
      met: singleBest.p99Ms < 50,
    },
    {
      name: 'signing stage vs raw jose sign',
      value: ratios.signingStageVsJoseSign,
      target: '>= 0.80',
      met: ratios.signingStageVsJoseSign >= 0.8,
    },
    {
      name: 'SDK verify (cached) vs raw jose verify',
      value: ratios.sdkVerifyVsJoseVerify,
      target: '>= 0.80',
      met: ratios.sdkVerifyVsJoseVerify >= 0.8,
    },
    ...(batch
      ? [
          {
            name: 'batch vs single-request tokens/s',
            value: round(batch.tokensPerSec / singleBest.tokensPerSec),
            target: '>= 2',
            met: batch.tokensPerSec / singleBest.tokensPerSec >= 2,
          },
        ]
      : []),
  ];
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
