import type { Insertable, Kysely } from 'kysely';
import type { Database, RequestsTable } from './schema.js';
import { StatementTemplate } from './statement-template.js';

interface Pending {
  row: RequestsTable;
  resolve(): void;
  reject(err: unknown): void;
}

/** Rows written by one INSERT at most (18 parameters each, far below SQLite's limit). */
const MAX_ROWS = 128;

/**
 * Group commit for submissions: requests that arrive in the same turn of the
 * event loop are written by one multi-row INSERT, which is atomic on its own,
 * and each caller is answered once that statement has committed. One commit
 * (one WAL append on SQLite, one round trip on PostgreSQL) serves them all.
 * If the statement fails, every submission in it fails, as each would alone:
 * none of them was accepted.
 */
export class InsertBatcher {
  #pending: Pending[] = [];
  #scheduled = false;
  /** One compiled INSERT per row count (and column list) seen. */
  readonly #templates = new Map<string, StatementTemplate<Record<string, unknown>>>();

  constructor(private readonly db: Kysely<Database>) {}

  insert(row: RequestsTable): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ row, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, MAX_ROWS);
      try {
        await this.#write(batch.map((item) => item.row));
        for (const item of batch) item.resolve();
      } catch (err) {
        for (const item of batch) item.reject(err);
      }
    }
  }

  async #write(rows: RequestsTable[]): Promise<void> {
    const columns = Object.keys(rows[0] ?? {}) as (keyof RequestsTable)[];
    const count = rows.length;
    const shape = `${count}:${columns.join(',')}`;
    let template = this.#templates.get(shape);
    if (!template) {
      const keys = Array.from({ length: count }, (_, index) =>
        columns.map((column) => `${index}:${column}`),
      ).flat();
      template = new StatementTemplate(keys, (db, values) =>
        db
          .insertInto('requests')
          .values(
            Array.from(
              { length: count },
              (_, index) =>
                Object.fromEntries(
                  columns.map((column) => [column, values[`${index}:${column}`]]),
                ) as Insertable<RequestsTable>,
            ),
          ),
      );
      this.#templates.set(shape, template);
    }
    const values: unknown[] = [];
    for (const row of rows) for (const column of columns) values.push(row[column]);
    await template.runPositional(this.db, values);
  }
}
