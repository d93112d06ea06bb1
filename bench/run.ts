/**
 * `npm run bench`: Signet (a real `signet serve` on a temporary data dir) and a
 * baseline synchronous signer, measured in the same run by closed-loop
 * clients on this machine, plus micro benchmarks. Settings come from the
 * environment (see README, Performance). Long runs: BENCH_SOAK=1.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../test/support/temp.js';
import { KeepAliveClient } from './http-client.js';
import { microBenchmarks } from './micro.js';
import { buildForBench, commandOf, startBaseline, startBenchSignet } from './processes.js';
import { type LoadFigures, machine, printTable, round, writeResults } from './report.js';
import { runSoak } from './soak.js';
import { budgetAtTarget, targetsOf } from './targets.js';
import { measureInTurns, type Workload } from './turns.js';
import { baselineSign, signetBatch, signetPreferWait, signetSubmitAndPoll } from './workloads.js';

const env = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const settings = {
  durationS: env('BENCH_DURATION', 16),
  rounds: env('BENCH_ROUNDS', 8),
  warmupS: env('BENCH_WARMUP', 2),
  concurrency: env('BENCH_CONCURRENCY', 16),
  microDurationS: env('BENCH_MICRO_DURATION', 3),
  microInFlight: env('BENCH_MICRO_IN_FLIGHT', 8),
  batchSize: env('BENCH_BATCH', 50),
  /** More of Signet's YAML config (not `keys` or `server`), e.g. `queue: { concurrency: 2048 }`. */
  signetConfig: process.env.BENCH_SIGNET_CONFIG ?? '',
};
const RESULTS =
  process.env.BENCH_RESULTS ?? fileURLToPath(new URL('results/latest.json', import.meta.url));
const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

/** The slowest and fastest turn of a workload: how far the machine moved during the run. */
const turnRange = (turns: readonly number[]): string =>
  turns.length === 0 ? '' : `${Math.round(Math.min(...turns))}–${Math.round(Math.max(...turns))}`;

async function supported(
  baseUrl: string,
  token: string,
  path: string,
  headers: Record<string, string>,
  body: string,
) {
  const client = new KeepAliveClient(baseUrl, 1);
  try {
    const answer = await client.send(
      'POST',
      path,
      { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body,
    );
    return {
      status: answer.status,
      applied: answer.headers['preference-applied'],
      body: answer.body,
    };
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  log('compiling the service and the baseline (tsc)');
  buildForBench();
  if (process.env.BENCH_SOAK === '1') {
    await runSoak(log);
    return;
  }
  const dir = tempDir('signet-bench-');
  // Whatever started is stopped, also when a later server fails to start (a bad BENCH_SIGNET_CONFIG).
  const started: { stop(): Promise<unknown> }[] = [];
  const start = async <T extends { stop(): Promise<unknown> }>(server: Promise<T>): Promise<T> => {
    const running = await server;
    started.push(running);
    return running;
  };
  try {
    const baseline = await start(startBaseline());
    const verifyingBaseline = await start(startBaseline('verifying'));
    const durableBaseline = await start(startBaseline('durable', join(dir.path, 'baseline.db')));
    const signet = await start(startBenchSignet(dir.path, settings.signetConfig));
    const signetServer = { url: signet.url, pid: signet.child.pid ?? 0 };
    const preferProbe = await supported(
      signet.url,
      signet.adminToken,
      '/request',
      { prefer: 'wait=5' },
      '{"data":1}',
    );
    const batchProbe = await supported(
      signet.url,
      signet.adminToken,
      '/requests',
      {},
      '{"items":[{"data":1}]}',
    );
    const workloads: Workload[] = [
      { name: 'baseline', server: baseline, make: (c) => baselineSign(c, baseline.token) },
      {
        name: 'baseline, verifying each token',
        server: verifyingBaseline,
        make: (c) => baselineSign(c, verifyingBaseline.token),
      },
      {
        name: 'baseline, verifying and storing each token',
        server: durableBaseline,
        make: (c) => baselineSign(c, durableBaseline.token),
      },
      {
        name: 'signet submit+poll',
        server: signetServer,
        make: (c) => signetSubmitAndPoll(c, signet.adminToken),
      },
    ];
    if (preferProbe.applied) {
      workloads.push({
        name: 'signet Prefer: wait',
        server: signetServer,
        make: (c) => signetPreferWait(c, signet.adminToken),
      });
    }
    if (batchProbe.status < 300) {
      workloads.push({
        name: `signet batch of ${settings.batchSize}`,
        server: signetServer,
        make: (c) => signetBatch(c, signet.adminToken, settings.batchSize),
      });
    }
    const figures = await measureInTurns(workloads, settings, log);
    const [base, verifying, durable, poll] = figures as [
      LoadFigures,
      LoadFigures,
      LoadFigures,
      LoadFigures,
    ];
    const prefer = preferProbe.applied ? figures[4] : undefined;
    const batch = batchProbe.status < 300 ? figures[workloads.length - 1] : undefined;

    const sample = JSON.parse(
      (await supported(signet.url, signet.adminToken, '/request', {}, '{"data":{"sample":true}}'))
        .body,
    ) as { requestId: string };
    const status = await fetch(`${signet.url}/status/${sample.requestId}?wait=10`, {
      headers: { authorization: `Bearer ${signet.adminToken}` },
    });
    const { token } = (await status.json()) as { token: string };
    const microDir = tempDir('signet-bench-micro-');
    const micro = await microBenchmarks({
      durationMs: settings.microDurationS * 1000,
      inFlight: settings.microInFlight,
      dataDir: microDir.path,
      signetUrl: signet.url,
      token,
      log,
    }).finally(() => microDir.remove());

    const singleBest = prefer && prefer.tokensPerSec > poll.tokensPerSec ? prefer : poll;
    // Unrounded for the targets, which judge them; rounded for the tables and the JSON.
    const micros = {
      signingStageVsJoseSign: micro.signingStage / micro.joseSign,
      sdkVerifyVsJoseVerify: micro.sdkVerify / micro.joseVerify,
    };
    const ratios = {
      verifyingBaselineVsBaseline: round(verifying.tokensPerSec / base.tokensPerSec),
      singleVsVerifyingBaseline: round(singleBest.tokensPerSec / verifying.tokensPerSec),
      durableBaselineVsBaseline: round(durable.tokensPerSec / base.tokensPerSec),
      singleVsDurableBaseline: round(singleBest.tokensPerSec / durable.tokensPerSec),
      submitPollVsBaseline: round(poll.tokensPerSec / base.tokensPerSec),
      ...(prefer ? { preferWaitVsBaseline: round(prefer.tokensPerSec / base.tokensPerSec) } : {}),
      ...(batch
        ? {
            batchVsBaseline: round(batch.tokensPerSec / base.tokensPerSec),
            batchVsSingle: round(batch.tokensPerSec / singleBest.tokensPerSec),
          }
        : {}),
      signingStageVsJoseSign: round(micros.signingStageVsJoseSign),
      sdkVerifyVsJoseVerify: round(micros.sdkVerifyVsJoseVerify),
    };
    const targets = targetsOf(base, singleBest, batch, micros);

    const row = (name: string, f: typeof base) => [
      name,
      f.tokensPerSec,
      f.p50Ms,
      f.p99Ms,
      round(f.tokensPerSec / base.tokensPerSec),
      f.serverCpuMsPerToken,
      f.eventLoopCpuMsPerToken,
      f.clientCpuMsPerToken,
      f.coresInUse,
      f.errors,
      turnRange(f.turnTokensPerSec),
    ];
    printTable('End to end (closed loop, tokens/s and submit-to-token latency)', [
      [
        'workload',
        'tokens/s',
        'p50 ms',
        'p99 ms',
        'vs baseline',
        'server CPU ms/token',
        'event loop',
        'client',
        'cores',
        'errors',
        'turns, tok/s',
      ],
      row('baseline (sync Fastify + jose)', base),
      row('baseline, verifying each token', verifying),
      row('baseline, verifying and storing', durable),
      row('signet POST + GET ?wait', poll),
      ...(prefer ? [row('signet POST Prefer: wait', prefer)] : []),
      ...(batch ? [row(`signet POST /requests x${settings.batchSize}`, batch)] : []),
    ]);
    const budget = budgetAtTarget(base, singleBest, figures, 0.6);
    printTable(
      `CPU per token at 60% of the baseline: ${budget.tokensPerSec} tokens/s on ${budget.cores} cores (the most this run kept busy)`,
      [
        ['CPU ms/token', 'available', 'signet uses'],
        ['server, all threads', budget.serverMs, singleBest.serverCpuMsPerToken],
        ['server event loop', budget.eventLoopMs, singleBest.eventLoopCpuMsPerToken],
      ],
    );
    printTable('Micro (operations/s, in this process)', [
      ['operation', 'ops/s', 'ratio'],
      ['jose sign (Ed25519)', round(micro.joseSign, 0), 1],
      ['signet signing stage', round(micro.signingStage, 0), ratios.signingStageVsJoseSign],
      [
        'signet CA validation stage (per token)',
        round(micro.caStage, 0),
        round(micro.caStage / micro.joseSign),
      ],
      ['jose verify (Ed25519)', round(micro.joseVerify, 0), 1],
      [
        `SDK verify (cached, revocation: ${micro.sdkRevocation})`,
        round(micro.sdkVerify, 0),
        ratios.sdkVerifyVsJoseVerify,
      ],
    ]);
    printTable('A signer that checks its signatures, as Signet does', [
      ['tokens/s ratio', 'value'],
      ['verifying baseline vs baseline', ratios.verifyingBaselineVsBaseline],
      ['signet single request vs verifying baseline', ratios.singleVsVerifyingBaseline],
      ['durable verifying baseline vs baseline', ratios.durableBaselineVsBaseline],
      ['signet single request vs durable verifying baseline', ratios.singleVsDurableBaseline],
    ]);
    printTable('Targets (± the standard error of a ratio over the turns)', [
      ['target', 'value', '±', 'wanted', 'met'],
      ...targets.map((t) => [
        t.name,
        t.value,
        t.spread === undefined ? '' : round(t.spread),
        t.target,
        t.met ? 'yes' : 'NO',
      ]),
    ]);
    writeResults(RESULTS, {
      at: new Date().toISOString(),
      machine: machine(),
      settings,
      // What ran: all compiled, Signet with the flags of `npm start`.
      commands: {
        signet: commandOf(signet.child.spawnargs),
        baseline: baseline.command,
        verifyingBaseline: `BENCH_BASELINE_VERIFY=1 ${verifyingBaseline.command}`,
        durableBaseline: `BENCH_BASELINE_STORE=<file> ${durableBaseline.command}`,
      },
      endToEnd: {
        baseline: base,
        baselineVerifying: verifying,
        baselineDurable: durable,
        signetSubmitPoll: poll,
        ...(prefer ? { signetPreferWait: prefer } : {}),
        ...(batch ? { signetBatch: batch } : {}),
      },
      micro,
      ratios,
      budgetAtTarget: budget,
      targets,
    });
    log(`figures written to ${RESULTS}`);
  } finally {
    for (const server of started.reverse()) await server.stop();
    dir.remove();
  }
}

await main();
