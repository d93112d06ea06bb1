import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { queueInvariants } from '../support/queue-invariants.js';
import { startSignet, type SignetProcess } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';

/**
 * Another process holds an exclusive lock on the SQLite file (as a backup tool
 * or a stuck CLI could). Writes cannot proceed: the server answers 503
 * problem+json ERR_UNAVAILABLE, keeps running, and resumes once the lock is gone.
 */
describe('the database file locked by another process', () => {
  const dir = tempDir();
  let signet: SignetProcess | undefined;
  afterAll(async () => {
    await signet?.stop();
    dir.remove();
  });

  it(
    'answers 503 while locked, never corrupts, and completes what it accepted',
    { timeout: 60_000 },
    async () => {
      const configPath = join(dir.path, 'signet.yaml');
      writeFileSync(
        configPath,
        'queue: { lease: PT2S }\nserver: { rateLimit: { max: 10000000 } }\n',
      );
      signet = await startSignet({ dataDir: dir.path, env: { SIGNET_CONFIG: configPath } });
      const headers = {
        authorization: `Bearer ${signet.adminToken}`,
        'content-type': 'application/json',
      };
      const submit = (n: number) =>
        fetch(`${signet?.url}/request`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ data: { n } }),
        });
      const accepted: string[] = [];
      for (let n = 0; n < 5; n++) {
        const res = await submit(n);
        expect(res.status).toBe(202);
        accepted.push(((await res.json()) as { requestId: string }).requestId);
      }

      // Idle worker: each statement that meets the lock waits out the busy timeout (5 s) in turn.
      for (const id of accepted) {
        const res = await fetch(`${signet.url}/status/${id}?wait=20`, { headers });
        expect(((await res.json()) as { status: string }).status).toBe('completed');
      }

      const dbPath = join(dir.path, 'signet.db');
      const locker = new BetterSqlite3(dbPath);
      locker.exec('begin exclusive');
      let whileLocked: Response;
      try {
        whileLocked = await submit(99);
        expect(whileLocked.status).toBe(503);
        expect(whileLocked.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const problem = (await whileLocked.json()) as { code: string; status: number };
        expect(problem).toMatchObject({ code: 'ERR_UNAVAILABLE', status: 503 });
        // Reads do not need the write lock (WAL): a request accepted before is still readable.
        const read = await fetch(`${signet.url}/status/${accepted[0]}`, { headers });
        expect(read.status).toBe(200);
      } finally {
        locker.exec('rollback');
        locker.close();
      }
      expect(signet.child.exitCode).toBeNull();

      const after = await submit(100);
      expect(after.status).toBe(202);
      accepted.push(((await after.json()) as { requestId: string }).requestId);
      for (const id of accepted) {
        const res = await fetch(`${signet.url}/status/${id}?wait=20`, { headers });
        expect(((await res.json()) as { status: string }).status).toBe('completed');
      }
      await signet.stop();
      signet = undefined;
      const invariants = queueInvariants(dbPath, accepted);
      expect(invariants.integrity).toBe('ok');
      expect(invariants.lost).toEqual([]);
      expect(invariants.mismatched).toEqual([]);
      expect(invariants.signaturesCounted).toBe(invariants.completed);
    },
  );
});
