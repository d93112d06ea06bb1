/** The bench's figures: a table on stdout and JSON in bench/results/latest.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { quantile, type LoopResult } from './closed-loop.js';

export interface LoadFigures {
  tokensPerSec: number;
  p50Ms: number;
  p99Ms: number;
  operations: number;
  errors: number;
  /** CPU time the server used per token produced while measured (robust to a busy machine). */
  serverCpuMsPerToken: number;
  /** The part of it on the server's main thread, its event loop. */
  eventLoopCpuMsPerToken: number;
  /** CPU time the load generator (the bench process) used per token. */
  clientCpuMsPerToken: number;
  /** Cores in use while measured: server and load generator together. */
  coresInUse: number;
  /** Tokens/s of each turn, in the order run: how much the machine moved during the run. */
  turnTokensPerSec: number[];
  firstError?: string;
}

/** CPU seconds used over a workload's slices. */
export interface CpuUse {
  server: number;
  eventLoop: number;
  client: number;
}

export function loadFigures(result: LoopResult, cpu: CpuUse, turns: number[]): LoadFigures {
  const perToken = (seconds: number) => round((seconds * 1000) / Math.max(1, result.allItems), 3);
  return {
    tokensPerSec: round(result.items / result.seconds),
    p50Ms: round(quantile(result.latencies, 0.5)),
    p99Ms: round(quantile(result.latencies, 0.99)),
    operations: result.ok,
    errors: result.errors,
    serverCpuMsPerToken: perToken(cpu.server),
    eventLoopCpuMsPerToken: perToken(cpu.eventLoop),
    clientCpuMsPerToken: perToken(cpu.client),
    coresInUse: round((cpu.server + cpu.client) / Math.max(1e-9, result.seconds)),
    turnTokensPerSec: turns.map((tokensPerSec) => round(tokensPerSec)),
    ...(result.firstError ? { firstError: result.firstError } : {}),
  };
}

export interface Target {
  name: string;
  value: number;
  target: string;
  met: boolean;
  /** For a throughput ratio: its standard error over the run's turns (see turnSpread). */
  spread?: number;
}

export function machine(): Record<string, unknown> {
  return {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** The arithmetic mean; 0 for no values. */
export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function printTable(title: string, rows: (string | number)[][]): void {
  const widths =
    rows[0]?.map((_, col) => Math.max(...rows.map((r) => String(r[col]).length))) ?? [];
  process.stdout.write(`\n${title}\n`);
  for (const [i, row] of rows.entries()) {
    process.stdout.write(
      `${row.map((cell, col) => (typeof cell === 'number' ? String(cell).padStart(widths[col] ?? 0) : String(cell).padEnd(widths[col] ?? 0))).join('  ')}\n`,
    );
    if (i === 0) process.stdout.write(`${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  }
}

export function writeResults(path: string, figures: unknown): void {
  mkdirSync(new URL('.', `file://${path}`).pathname, { recursive: true });
  writeFileSync(path, `${JSON.stringify(figures, null, 2)}\n`);
}
