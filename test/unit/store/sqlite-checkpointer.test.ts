import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  backgroundCheckpoints,
  WRITER_CHECKPOINT_PAGES,
} from '../../../src/store/sqlite-checkpointer.js';
import { tempDir } from '../../support/temp.js';

const PAGE = 4096;

function openWal(path: string): BetterSqlite3.Database {
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.exec('create table filler (id integer primary key, body blob not null)');
  return database;
}

/** Writes `pages` pages' worth of rows, one transaction per row. */
function write(database: BetterSqlite3.Database, pages: number): void {
  const insert = database.prepare('insert into filler (body) values (?)');
  for (let i = 0; i < pages; i++) insert.run(Buffer.alloc(PAGE - 200, i % 251));
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}

const size = (path: string): number => (existsSync(path) ? statSync(path).size : 0);

describe('background checkpoints of the SQLite writer', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  /** A WAL database with checkpoints on the thread, closed after `run`. */
  async function withCheckpoints(
    name: string,
    run: (database: BetterSqlite3.Database, path: string) => Promise<void>,
  ): Promise<void> {
    const path = join(dir.path, name);
    const database = openWal(path);
    const checkpointer = backgroundCheckpoints(database, path);
    try {
      await run(database, path);
    } finally {
      await checkpointer.stop();
      database.close();
    }
  }

  it('copies committed pages into the database file while the writer does not checkpoint', () =>
    withCheckpoints('copied.db', async (database, path) => {
      expect(database.pragma('wal_autocheckpoint', { simple: true })).toBe(WRITER_CHECKPOINT_PAGES);
      const before = size(path);
      // Far below the writer's own threshold: only the thread can have copied these pages.
      write(database, 600);
      expect(await until(() => size(path) >= before + 550 * PAGE)).toBe(true);
    }));

  it('keeps the WAL bounded under writes that never pause', () =>
    withCheckpoints('bounded.db', async (database, path) => {
      let largest = 0;
      for (let round = 0; round < 12; round++) {
        write(database, 1000);
        largest = Math.max(largest, size(`${path}-wal`));
      }
      // About 36,000 frames written: 150 MB of WAL, 8.9 thresholds, if it never rewinds (as
      // measured with the writer's checkpoint turned off). It rewinds once the writer's
      // threshold is crossed and the thread's checkpoint under way, with its sync, has
      // ended; meanwhile this loop keeps writing: 1.6-1.9 thresholds in all on a 2-vCPU VM,
      // 2.2 once when the same VM was busy. Four leaves room for slower syncs.
      expect(largest).toBeLessThan(4 * WRITER_CHECKPOINT_PAGES * (PAGE + 24));
      const rows = database.prepare('select count(*) as n from filler').get() as { n: number };
      expect(rows.n).toBe(12_000);
    }));

  it('gives the checkpoints back to the writer when the thread dies', async () => {
    const path = join(dir.path, 'fallback.db');
    const database = openWal(path);
    const warning = vi.fn();
    process.on('warning', warning);
    const checkpointer = backgroundCheckpoints(database, path);
    try {
      await checkpointer.terminate();
      expect(database.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      expect(await until(() => warning.mock.calls.length > 0)).toBe(true);
      expect(String(warning.mock.calls[0]?.[0])).toMatch(/checkpoint thread.*exited/);

      // SQLite's own checkpoint now bounds the WAL again, on the writer.
      write(database, 3000);
      expect(size(`${path}-wal`)).toBeLessThan(1500 * PAGE);
    } finally {
      process.off('warning', warning);
      database.close();
    }
  });

  it('stops without a warning and leaves the database whole', async () => {
    const path = join(dir.path, 'stopped.db');
    const database = openWal(path);
    const warning = vi.fn();
    process.on('warning', warning);
    try {
      const checkpointer = backgroundCheckpoints(database, path);
      write(database, 50);
      await checkpointer.stop();
      database.close();
      const reopened = new BetterSqlite3(path, { readonly: true });
      expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(reopened.prepare('select count(*) as n from filler').get()).toEqual({ n: 50 });
      reopened.close();
      await new Promise((resolve) => setImmediate(resolve));
      expect(warning).not.toHaveBeenCalled();
    } finally {
      process.off('warning', warning);
    }
  });
});
