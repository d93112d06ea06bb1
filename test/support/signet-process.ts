import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = 'src/cli/main.ts';
const BUILT_MAIN = 'bin/signet.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface SignetProcess {
  url: string;
  adminToken: string;
  child: ChildProcess;
  output(): string;
  /** What the process wrote on stderr only. */
  stderr(): string;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

export interface StartOptions {
  dataDir: string;
  port?: number;
  env?: Record<string, string>;
  adminToken?: string;
  /** false: leave SIGNET_ADMIN_TOKEN unset, so the server generates one (adminToken is then ''). */
  seedAdminToken?: boolean;
  /** Wait for /health to answer 200 (false: return once the port answers at all). */
  healthy?: boolean;
  /** Extra node flags, e.g. `--cpu-prof` when profiling. */
  nodeArgs?: string[];
  /** Run the compiled build (`bin/signet.js`, as `npm start` does; run `npm run build` first) instead of the sources under tsx. */
  built?: boolean;
}

/** Runs the CLI (`signet …`) from the sources and resolves with its output. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runTsx(MAIN, args, { SIGNET_LOG_LEVEL: 'error', ...env }, input);
}

/**
 * Runs a TypeScript entry point of this repo (e.g. `bench/run.ts`) under tsx,
 * with `env` added to this process's, and resolves with its output once it exits.
 */
export function runTsx(
  script: string,
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Starts `signet serve` as a real process on a temporary data dir and a free port. */
export async function startSignet(options: StartOptions): Promise<SignetProcess> {
  const port = options.port ?? (await freePort());
  const seed = options.seedAdminToken ?? true;
  const adminToken = seed
    ? (options.adminToken ?? `sig_${randomBytes(24).toString('base64url')}`)
    : '';
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string | undefined> = {
    ...process.env,
    SIGNET_DATA_DIR: options.dataDir,
    SIGNET_PORT: String(port),
    SIGNET_HOST: '127.0.0.1',
    SIGNET_ADMIN_TOKEN: adminToken,
    SIGNET_LOG_LEVEL: 'warn',
    ...options.env,
  };
  if (!seed) delete env.SIGNET_ADMIN_TOKEN;
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      ...(options.built ? [BUILT_MAIN] : ['--import', 'tsx', MAIN]),
      'serve',
    ],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`signet exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok || options.healthy === false) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`signet did not become healthy:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    adminToken,
    child,
    output: () => output,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
