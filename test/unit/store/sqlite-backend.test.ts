import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteBackend } from '../../../src/store/sqlite-backend.js';
import { WRITER_CHECKPOINT_PAGES } from '../../../src/store/sqlite-checkpointer.js';
import { tempDir } from '../../support/temp.js';

describe('the SQLite backend', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('reports a full database met inside a transaction as itself, retryable', async () => {
    const backend = openSqliteBackend(join(dir.path, 'full.db'));
    try {
      await sql`create table filler (id integer primary key, body text not null)`.execute(
        backend.db,
      );
      await sql`pragma max_page_count = 16`.execute(backend.db);
      // SQLite ends the transaction itself on SQLITE_FULL; the ROLLBACK that follows must not mask it.
      const outcome = await backend.db
        .transaction()
        .execute(async (tx) => {
          for (let id = 0; id < 100; id++) {
            await sql`insert into filler values (${id}, ${'y'.repeat(4000)})`.execute(tx);
          }
        })
        .then(
          () => 'committed',
          (err: unknown) => err,
        );
      expect(outcome).toMatchObject({ code: 'ERR_UNAVAILABLE', retryable: true });
      expect((outcome as { cause?: unknown }).cause).toMatchObject({ code: 'SQLITE_FULL' });

      await sql`pragma max_page_count = 100000`.execute(backend.db);
      await backend.db.transaction().execute(async (tx) => {
        await sql`insert into filler values (1, 'room again')`.execute(tx);
      });
      const rows = await sql<{ n: number }>`select count(*) as n from filler`.execute(backend.db);
      expect(rows.rows[0]?.n).toBe(1);
    } finally {
      await backend.close();
    }
  });

  it('checkpoints on a thread once started (a long-running process), not before', async () => {
    const backend = openSqliteBackend(join(dir.path, 'started.db'));
    const autocheckpoint = async (): Promise<unknown> =>
      (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(backend.db))
        .rows[0]?.wal_autocheckpoint;
    try {
      expect(await autocheckpoint()).toBe(1000);
      backend.startBackgroundWork?.();
      backend.startBackgroundWork?.();
      expect(await autocheckpoint()).toBe(WRITER_CHECKPOINT_PAGES);
    } finally {
      await backend.close();
    }
  });
});
