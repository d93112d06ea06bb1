import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SignetError } from '../../../src/domain/errors.js';
import { preparedSqlite } from '../../../src/store/sqlite-statements.js';
import { tempDir } from '../../support/temp.js';

interface Db {
  items: { id: number; body: string };
}

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  return run().then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('preparedSqlite', () => {
  const dir = tempDir();
  let path: string;
  let database: BetterSqlite3.Database;
  let db: Kysely<Db>;

  beforeEach(async () => {
    path = join(dir.path, `${Math.random().toString(36).slice(2)}.db`);
    database = new BetterSqlite3(path);
    database.pragma('journal_mode = WAL');
    database.pragma('busy_timeout = 0');
    db = new Kysely<Db>({ dialect: new SqliteDialect({ database: preparedSqlite(database) }) });
    await sql`create table items (id integer primary key, body text not null)`.execute(db);
  });
  afterEach(async () => {
    await db.destroy();
  });
  afterAll(() => dir.remove());

  it('prepares a statement once and reuses it', async () => {
    const prepare = vi.spyOn(database, 'prepare');
    for (let id = 1; id <= 5; id++)
      await db.insertInto('items').values({ id, body: 'x' }).execute();
    for (let i = 0; i < 5; i++)
      await db.selectFrom('items').selectAll().where('id', '=', 3).execute();
    expect(prepare).toHaveBeenCalledTimes(2);
    const rows = await db.selectFrom('items').select('id').orderBy('id').execute();
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
  });

  it('streams a query, and runs it again afterwards', async () => {
    for (let id = 1; id <= 3; id++)
      await db.insertInto('items').values({ id, body: 'x' }).execute();
    const query = db.selectFrom('items').select('id').orderBy('id');
    const seen: number[] = [];
    for await (const row of query.stream()) seen.push(row.id);
    expect(seen).toEqual([1, 2, 3]);
    expect(await query.execute()).toHaveLength(3);
  });

  it('answers a database locked by another process with ERR_UNAVAILABLE, retryable', async () => {
    const other = new BetterSqlite3(path);
    other.exec('begin exclusive');
    try {
      const err = await failure(() =>
        db.insertInto('items').values({ id: 1, body: 'x' }).execute(),
      );
      expect(err).toBeInstanceOf(SignetError);
      expect(err).toMatchObject({ code: 'ERR_UNAVAILABLE', retryable: true, httpStatus: 503 });
      expect((err as SignetError).cause).toMatchObject({ code: 'SQLITE_BUSY' });
    } finally {
      other.exec('rollback');
      other.close();
    }
    await db.insertInto('items').values({ id: 1, body: 'x' }).execute();
  });

  it('answers a full database with ERR_UNAVAILABLE and leaves it intact', async () => {
    database.pragma('max_page_count = 16');
    let err: unknown;
    for (let id = 1; id < 100 && err === undefined; id++) {
      err = await failure(() =>
        db
          .insertInto('items')
          .values({ id, body: 'y'.repeat(4000) })
          .execute(),
      );
    }
    expect(err).toMatchObject({ code: 'ERR_UNAVAILABLE', retryable: true });
    expect((err as SignetError).cause).toMatchObject({ code: 'SQLITE_FULL' });
    expect(database.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('passes other errors through unchanged', async () => {
    await db.insertInto('items').values({ id: 1, body: 'x' }).execute();
    const err = await failure(() => db.insertInto('items').values({ id: 1, body: 'x' }).execute());
    expect(err).not.toBeInstanceOf(SignetError);
    expect(err).toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
  });
});
