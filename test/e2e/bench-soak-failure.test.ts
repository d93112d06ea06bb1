import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { statFields } from '../../bench/processes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The `signet serve` processes whose parent is `parent` (Linux /proc). */
function signetChildren(parent: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(statFields(`/proc/${entry}/stat`)[1]);
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (ppid === parent && command.includes('signet.js')) found.push(Number(entry));
    } catch {
      // The process ended while it was read.
    }
  }
  return found;
}

/** The data dirs of long runs (bench/soak.ts): each holds a store that may reach gigabytes. */
const soakDirs = (): string[] =>
  readdirSync(tmpdir()).filter((name) => name.startsWith('signet-soak-'));

describe.skipIf(process.platform !== 'linux')('the long runs of npm run bench', () => {
  it('fail when the server dies under them, and remove their data dir', async () => {
    const before = soakDirs();
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        BENCH_SOAK: '1',
        BENCH_SOAK_REQUESTS: '100000000',
        BENCH_SOAK_WINDOW: '1',
        BENCH_SOAK_LOOPS: '2',
        BENCH_BATCH: '5',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const running = new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('"completed"')) resolve();
      }),
    );
    await running;
    const servers = signetChildren(child.pid ?? -1);
    expect(servers).toHaveLength(1);
    for (const pid of servers) process.kill(pid, 'SIGKILL');

    expect(await exited).not.toBe(0);
    expect(stderr).toContain('more than 100 failed batches');
    expect(soakDirs().filter((name) => !before.includes(name))).toEqual([]);
  }, 90_000);
});
