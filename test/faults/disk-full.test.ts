import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { queueInvariants } from '../support/queue-invariants.js';
import { createTestService, type TestService } from '../support/service.js';
import { startSignet, type SignetProcess } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';

const BIG = 'x'.repeat(30 * 1024);

/** Mounts a small tmpfs (root with CAP_SYS_ADMIN only); undefined when this machine cannot. */
function mountTinyDisk(path: string, size: string): (() => void) | undefined {
  mkdirSync(path, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (err) {
    console.warn(
      `SKIPPED (real disk full): cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]}); the simulated disk-full test below still runs.`,
    );
    return undefined;
  }
  return () => execFileSync('umount', ['-l', path], { stdio: 'pipe' });
}

/** Writes zeros until the file system is full; returns the filler's path. */
function fillDisk(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return path;
}

describe('the disk full, for real (a tiny tmpfs under the data dir)', () => {
  const dir = tempDir();
  const mountPoint = join(dir.path, 'disk');
  const unmount = mountTinyDisk(mountPoint, '6m');
  let signet: SignetProcess | undefined;
  afterAll(async () => {
    await signet?.kill9();
    unmount?.();
    dir.remove();
  });

  it.skipIf(!unmount)(
    'answers 503 while the disk is full, never corrupts, and completes what it accepted',
    { timeout: 90_000 },
    async () => {
      const configPath = join(dir.path, 'signet.yaml');
      // Attempts that met the full disk are retried soon once there is room again.
      writeFileSync(
        configPath,
        'queue: { backoff: PT0.1S, maxBackoff: PT0.5S, maxAttempts: 100 }\n',
      );
      signet = await startSignet({
        dataDir: mountPoint,
        env: { SIGNET_CONFIG: configPath, SIGNET_LOG_LEVEL: 'error' },
      });
      const headers = {
        authorization: `Bearer ${signet.adminToken}`,
        'content-type': 'application/json',
      };
      const submit = (data: unknown) =>
        fetch(`${signet?.url}/request`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ data }),
        });
      const accepted: string[] = [];
      const accept = async (res: Response) =>
        accepted.push(((await res.json()) as { requestId: string }).requestId);
      for (let n = 0; n < 3; n++) await accept(await submit({ n }));

      const filler = fillDisk(mountPoint);
      let full: Response | undefined;
      for (let n = 0; n < 400 && !full; n++) {
        const res = await submit({ n, pad: BIG });
        if (res.status === 202) await accept(res);
        else full = res;
      }
      expect(full?.status).toBe(503);
      expect(full?.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await full?.json()) as { code: string }).code).toBe('ERR_UNAVAILABLE');
      expect(signet.child.exitCode).toBeNull();

      rmSync(filler);
      const again = await submit({ n: 'after' });
      expect(again.status).toBe(202);
      await accept(again);
      for (const id of accepted) {
        const res = await fetch(`${signet.url}/status/${id}?wait=30`, { headers });
        expect(((await res.json()) as { status: string }).status, id).toBe('completed');
      }
      await signet.stop();
      signet = undefined;
      const invariants = queueInvariants(join(mountPoint, 'signet.db'), accepted);
      expect(invariants.integrity).toBe('ok');
      expect(invariants.lost).toEqual([]);
      expect(invariants.mismatched).toEqual([]);
      expect(invariants.signaturesCounted).toBe(invariants.completed);
    },
  );
});

/**
 * The same fault, simulated on any machine: SQLite's max_page_count caps the
 * database file, so writes fail with SQLITE_FULL exactly as on a full disk.
 */
describe('the disk full, simulated (PRAGMA max_page_count)', () => {
  let ctx: TestService;
  let app: FastifyInstance;
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  it('answers 503 ERR_UNAVAILABLE, stays intact, and completes accepted work once there is room', async () => {
    ctx = await createTestService(
      'server: { rateLimit: { max: 10000000 } }\nqueue: { backoff: PT0.1S, maxBackoff: PT0.5S, maxAttempts: 100 }\n',
    );
    await ctx.service.start();
    app = await buildApp({ api: ctx.service.api, config: ctx.service.config });
    const token = await ctx.service.tokens.add('alice', 'client');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const submit = (data: unknown) =>
      app.inject({ method: 'POST', url: '/request', headers, payload: { data } });
    const db = ctx.service.store.db;
    const pages = async () =>
      (await sql<{ page_count: number }>`pragma page_count`.execute(db)).rows[0]?.page_count ?? 0;
    await sql.raw(`pragma max_page_count = ${(await pages()) + 8}`).execute(db);

    const accepted: string[] = [];
    let full;
    for (let n = 0; n < 200 && !full; n++) {
      const res = await submit({ n, pad: BIG });
      if (res.statusCode === 202) accepted.push(res.json<{ requestId: string }>().requestId);
      else full = res;
    }
    expect(full?.statusCode).toBe(503);
    expect(full?.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(full?.json<{ code: string }>().code).toBe('ERR_UNAVAILABLE');

    await sql.raw('pragma max_page_count = 1073741823').execute(db);
    const again = await submit({ n: 'after' });
    expect(again.statusCode).toBe(202);
    accepted.push(again.json<{ requestId: string }>().requestId);
    const client = { id: 'alice', role: 'client' as const };
    for (const id of accepted) {
      expect((await ctx.service.api.status(client, id, 20_000)).status, id).toBe('completed');
    }
    const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db);
    expect(integrity.rows[0]?.integrity_check).toBe('ok');
    // A second, read-only connection beside the running service (WAL).
    const invariants = queueInvariants(join(ctx.dataDir, 'signet.db'), accepted);
    expect(invariants.lost).toEqual([]);
    expect(invariants.signaturesCounted).toBe(invariants.completed);
  });
});
