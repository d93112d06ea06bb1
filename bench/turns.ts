/**
 * The end-to-end workloads, measured in turns: each runs `rounds` times for
 * `durationS / rounds` seconds, in the order A B C … then … C B A. The
 * machine's speed drifts over a run (CPU steal, other tenants); in turns, a
 * drift weighs on every workload alike instead of on whichever ran during it.
 */
import { closedLoop, type LoopResult } from './closed-loop.js';
import { KeepAliveClient } from './http-client.js';
import { cpuSeconds, mainThreadCpuSeconds } from './processes.js';
import { type CpuUse, loadFigures, type LoadFigures } from './report.js';
import type { Operation } from './workloads.js';

export interface Workload {
  name: string;
  server: { url: string; pid: number };
  make(client: KeepAliveClient): Operation;
}

export interface TurnSettings {
  concurrency: number;
  durationS: number;
  warmupS: number;
  rounds: number;
}

function merge(total: LoopResult, part: LoopResult): LoopResult {
  return {
    ok: total.ok + part.ok,
    errors: total.errors + part.errors,
    items: total.items + part.items,
    allItems: total.allItems + part.allItems,
    seconds: total.seconds + part.seconds,
    latencies: total.latencies.concat(part.latencies),
    ...((total.firstError ?? part.firstError)
      ? { firstError: total.firstError ?? part.firstError }
      : {}),
  };
}

const EMPTY: LoopResult = { ok: 0, errors: 0, items: 0, allItems: 0, seconds: 0, latencies: [] };

export async function measureInTurns(
  workloads: readonly Workload[],
  settings: TurnSettings,
  log: (line: string) => void,
): Promise<LoadFigures[]> {
  const rounds = Math.max(1, Math.round(settings.rounds));
  const sliceMs = (settings.durationS * 1000) / rounds;
  const clients = workloads.map((w) => new KeepAliveClient(w.server.url, settings.concurrency));
  const operations = workloads.map((w, i) => w.make(clients[i] as KeepAliveClient));
  const results = workloads.map(() => EMPTY);
  const cpu: CpuUse[] = workloads.map(() => ({ server: 0, eventLoop: 0, client: 0 }));
  const turns: number[][] = workloads.map(() => []);
  const slice = async (i: number, durationMs: number, warmupMs: number): Promise<void> => {
    const { pid } = (workloads[i] as Workload).server;
    const before = {
      server: cpuSeconds(pid),
      eventLoop: mainThreadCpuSeconds(pid),
      loadGenerator: process.cpuUsage(),
    };
    const result = await closedLoop({
      concurrency: settings.concurrency,
      durationMs,
      warmupMs,
      operation: operations[i] as Operation,
    });
    if (durationMs === 0) return;
    results[i] = merge(results[i] as LoopResult, result);
    turns[i]?.push(result.items / result.seconds);
    const used = cpu[i] as CpuUse;
    const { user, system } = process.cpuUsage(before.loadGenerator);
    // The main thread is read inside the process's reading, so its share never exceeds the whole.
    used.eventLoop += mainThreadCpuSeconds(pid) - before.eventLoop;
    used.server += cpuSeconds(pid) - before.server;
    // The load generator is this process: during a slice it runs that workload's loops only.
    used.client += (user + system) / 1e6;
  };
  try {
    for (const [i, w] of workloads.entries()) {
      log(`${w.name}: warm-up ${settings.warmupS} s`);
      await slice(i, 0, settings.warmupS * 1000);
    }
    log(
      `${workloads.length} workloads in turns: ${rounds} × ${sliceMs / 1000} s each, ${settings.concurrency} loops`,
    );
    for (let round = 0; round < rounds; round++) {
      const order = workloads.map((_, i) => (round % 2 === 0 ? i : workloads.length - 1 - i));
      for (const i of order) await slice(i, sliceMs, 0);
    }
  } finally {
    for (const client of clients) client.close();
  }
  return results.map((result, i) => loadFigures(result, cpu[i] as CpuUse, turns[i] ?? []));
}
