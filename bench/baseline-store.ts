/**
 * The store of the durable baseline (BENCH_BASELINE_STORE): what a signer
 * that may not lose a request must do at the least, with the settings
 * Signet's SQLite store uses (WAL, synchronous NORMAL). Each request is
 * committed before its token is made, and its token before the answer: two
 * commits per token, each a prepared statement on one table, no queue, no
 * lease, no index beside the primary key.
 */
import BetterSqlite3 from 'better-sqlite3';

export interface BaselineStore {
  accepted(id: string, data: string, at: number): void;
  completed(id: string, token: string, at: number): void;
}

export function openBaselineStore(path: string): BaselineStore {
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    `CREATE TABLE IF NOT EXISTS requests (
       id TEXT PRIMARY KEY, data TEXT NOT NULL, status TEXT NOT NULL, token TEXT,
       created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
  );
  const insert = db.prepare(
    `INSERT INTO requests (id, data, status, created_at, updated_at) VALUES (?, ?, 'processing', ?, ?)`,
  );
  const complete = db.prepare(
    `UPDATE requests SET status = 'completed', token = ?, updated_at = ? WHERE id = ?`,
  );
  return {
    accepted: (id, data, at) => void insert.run(id, data, at, at),
    completed: (id, token, at) => {
      if (complete.run(token, at, id).changes !== 1) throw new Error(`request ${id} is not stored`);
    },
  };
}
