import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { listeningUrl } from '../../bench/processes.js';
import { tempDir } from '../support/temp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function startDurableBaseline(
  storePath: string,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/baseline-server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      BENCH_BASELINE_TOKEN: 'durable-test',
      BENCH_BASELINE_STORE: storePath,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return { child, url: await listeningUrl(child) };
}

describe('the durable baseline of npm run bench', () => {
  const dir = tempDir('signet-durable-baseline-');
  afterAll(() => dir.remove());

  it('has committed each request and its token when it answers (kill -9 right after)', async () => {
    const storePath = join(dir.path, 'baseline.db');
    const { child, url } = await startDurableBaseline(storePath);
    const answers: { requestId: string; token: string }[] = [];
    try {
      for (let n = 0; n < 5; n++) {
        const response = await fetch(`${url}/request`, {
          method: 'POST',
          headers: { authorization: 'Bearer durable-test', 'content-type': 'application/json' },
          body: JSON.stringify({ data: { n } }),
        });
        expect(response.status).toBe(200);
        answers.push((await response.json()) as { requestId: string; token: string });
      }
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    const db = new BetterSqlite3(storePath, { readonly: true });
    try {
      for (const { requestId, token } of answers) {
        const row = db
          .prepare('SELECT status, token, data FROM requests WHERE id = ?')
          .get(requestId) as { status: string; token: string; data: string } | undefined;
        expect(row?.status).toBe('completed');
        expect(row?.token).toBe(token);
      }
    } finally {
      db.close();
    }
  });
});
