/** The two servers of a bench run, each a real process on 127.0.0.1. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSignet, type SignetProcess } from '../test/support/signet-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILT_BASELINE = 'dist/bench/baseline-server.js';

/**
 * Compiles the service (as `npm start` does) and the baseline (tsconfig.bench.json),
 * so that both run as plain JavaScript. Under tsx's loader Signet ran about 12%
 * slower (its output wraps every closure created per request to keep its name);
 * the baseline, with few closures, did not change.
 */
export function buildForBench(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  for (const project of ['tsconfig.build.json', 'tsconfig.bench.json']) {
    const built = spawnSync(process.execPath, [tsc, '-p', project], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (built.status !== 0) throw new Error(`tsc -p ${project} failed (${built.status})`);
  }
}

/**
 * The Node flags `npm start` gives the service (package.json), so that the
 * bench measures Signet as it is started; the baseline gets them too.
 */
export function startFlags(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const flags = /\bnode((?: --[\w-]+(?:=\S+)?)*) bin\/signet\.js serve/.exec(
    manifest.scripts.start,
  );
  if (!flags) throw new Error('package.json: the start script does not run bin/signet.js serve');
  return (flags[1] ?? '').trim().split(' ').filter(Boolean);
}

/** A process's command line as it ran, the path of node shortened to `node`. */
export function commandOf(args: readonly string[]): string {
  return args.map((arg, index) => (index === 0 ? 'node' : arg)).join(' ');
}

export interface BaselineProcess {
  url: string;
  pid: number;
  /** The command it ran (see commandOf). */
  command: string;
  token: string;
  stop(): Promise<void>;
}

/** The baseline's variants: as is, verifying each token, or also storing each request (durable). */
export type BaselineKind = 'plain' | 'verifying' | 'durable';

/** The baseline signer; `storePath` is the SQLite file of the durable one. */
export async function startBaseline(
  kind: BaselineKind = 'plain',
  storePath?: string,
): Promise<BaselineProcess> {
  if (kind === 'durable' && !storePath) throw new Error('the durable baseline needs a store path');
  const token = 'bench-baseline';
  // The durable one verifies too (see baseline-server.ts).
  const variant = {
    BENCH_BASELINE_STORE: kind === 'durable' ? (storePath ?? '') : '',
    BENCH_BASELINE_VERIFY: kind === 'verifying' ? '1' : '0',
  };
  const child = spawn(process.execPath, [...startFlags(), BUILT_BASELINE], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', BENCH_BASELINE_TOKEN: token, ...variant },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await listeningUrl(child);
  return {
    url,
    pid: child.pid ?? 0,
    command: commandOf(child.spawnargs),
    token,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The URL a baseline process prints (`listening <url>`) once ready; rejects if it exits first. */
export function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`baseline exited with ${code}`)));
  });
}

/** `signet serve` from the compiled build (see buildForBench) with the flags of `npm start`, on a fresh data dir: embedded SQLite, Ed25519, logs at warn, no rate limit in the way. */
export async function startBenchSignet(dataDir: string, extraConfig = ''): Promise<SignetProcess> {
  const configPath = join(dataDir, 'signet.yaml');
  writeFileSync(
    configPath,
    `keys: { algorithm: EdDSA }\nserver: { rateLimit: { max: 100000000 } }\n${extraConfig}`,
  );
  return startSignet({
    dataDir,
    env: { SIGNET_CONFIG: configPath, SIGNET_LOG_LEVEL: 'warn' },
    nodeArgs: startFlags(),
    built: true,
  });
}

/** Resident set size of a process, in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system, all threads) a process has used so far, in seconds (Linux /proc). */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** CPU time of a process's main thread alone (its event loop), in seconds. */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

/**
 * The fields of a /proc stat file after the command name (which is in
 * parentheses and may contain spaces): [0] is the state, [1] the parent's pid,
 * [11] and [12] user and system time in ticks. Throws if the process is gone.
 */
export function statFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function statCpuSeconds(path: string): number {
  try {
    const fields = statFields(path);
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** USER_HZ: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS = 100;

/** The size of a data dir's SQLite store, WAL included, in MiB (0 before it exists). */
export function storeMiB(dataDir: string): number {
  return fileMiB(join(dataDir, 'signet.db')) + walMiB(dataDir);
}

/** The size of a data dir's SQLite WAL, in MiB. */
export function walMiB(dataDir: string): number {
  return fileMiB(join(dataDir, 'signet.db-wal'));
}

/** A file's size in MiB; 0 if it is not there (yet). */
function fileMiB(path: string): number {
  try {
    return statSync(path).size / 1024 / 1024;
  } catch {
    return 0;
  }
}
