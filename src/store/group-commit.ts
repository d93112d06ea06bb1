import type { Insertable, Kysely } from 'kysely';
import type { Clock, CompleteOutcome } from '../domain/ports.js';
import { type Completion, type CompletionStatements, completeBatch } from './complete-batch.js';
import type { Database, RequestsTable } from './schema.js';
import { StatementTemplate } from './statement-template.js';

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}
type PendingInsert = Waiter<void> & { row: RequestsTable };
type PendingCompletion = Waiter<CompleteOutcome> & { owner: string; completion: Completion };

/** Rows written by one INSERT at most (18 parameters each, far below SQLite's limit). */
const MAX_ROWS = 128;
/** Completions recorded in one transaction at most. */
const MAX_COMPLETIONS = 64;

/**
 * Group commit for the request queue. The submissions of one turn of the
 * event loop are written by one multi-row INSERT, which is atomic on its own;
 * its completions (per lease owner) by one transaction (see completeBatch).
 * When a turn has both, and they fit in one transaction, they share it: one
 * commit instead of two, and the pages both touch (the table's last leaf, the
 * lease index) written once (measured on SQLite: 38-43 against 25-28 µs of
 * CPU per request). Each caller is answered once its part has committed.
 *
 * If the shared transaction fails, each part is written again alone, so that
 * a failure of one never fails the other. A failed INSERT fails every
 * submission in it, as each would alone: none of them was accepted. A failed
 * completion transaction fails its completions; the worker retries them.
 */
export class GroupCommit {
  #inserts: PendingInsert[] = [];
  #completions: PendingCompletion[] = [];
  #scheduled = false;
  /** One compiled INSERT per row count (and column list) seen. */
  readonly #templates = new Map<string, StatementTemplate<Record<string, unknown>>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly statements: CompletionStatements,
    private readonly clock: Clock,
  ) {}

  insert(row: RequestsTable): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#inserts.push({ row, resolve, reject });
      this.#schedule();
    });
  }

  complete(owner: string, completion: Completion): Promise<CompleteOutcome> {
    return new Promise((resolve, reject) => {
      this.#completions.push({ owner, completion, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const inserts = this.#inserts;
    const completions = this.#completions;
    this.#inserts = [];
    this.#completions = [];
    if (await this.#shared(inserts, completions)) return;
    await this.#insertAlone(inserts);
    await this.#completeAlone(completions);
  }

  /** Both parts in one transaction, when a turn has both and they fit; false if not written. */
  async #shared(inserts: PendingInsert[], completions: PendingCompletion[]): Promise<boolean> {
    const owner = completions[0]?.owner;
    if (
      inserts.length === 0 ||
      inserts.length > MAX_ROWS ||
      owner === undefined ||
      completions.length > MAX_COMPLETIONS ||
      completions.some((pending) => pending.owner !== owner)
    ) {
      return false;
    }
    let outcomes: CompleteOutcome[];
    try {
      outcomes = await this.db.transaction().execute(async (tx) => {
        await this.#write(
          tx,
          inserts.map((pending) => pending.row),
        );
        return completeBatch(tx, this.statements, owner, this.#now(), this.#itemsOf(completions));
      });
    } catch {
      return false;
    }
    for (const pending of inserts) pending.resolve();
    completions.forEach((pending, i) => pending.resolve(outcomes[i] ?? 'lease-lost'));
    return true;
  }

  async #insertAlone(inserts: PendingInsert[]): Promise<void> {
    for (let start = 0; start < inserts.length; start += MAX_ROWS) {
      const batch = inserts.slice(start, start + MAX_ROWS);
      try {
        await this.#write(
          this.db,
          batch.map((pending) => pending.row),
        );
        for (const pending of batch) pending.resolve();
      } catch (err) {
        for (const pending of batch) pending.reject(err);
      }
    }
  }

  async #completeAlone(completions: PendingCompletion[]): Promise<void> {
    const owners = [...new Set(completions.map((pending) => pending.owner))];
    for (const owner of owners) {
      const mine = completions.filter((pending) => pending.owner === owner);
      for (let start = 0; start < mine.length; start += MAX_COMPLETIONS) {
        const batch = mine.slice(start, start + MAX_COMPLETIONS);
        try {
          const outcomes = await this.db
            .transaction()
            .execute((tx) =>
              completeBatch(tx, this.statements, owner, this.#now(), this.#itemsOf(batch)),
            );
          batch.forEach((pending, i) => pending.resolve(outcomes[i] ?? 'lease-lost'));
        } catch (err) {
          for (const pending of batch) pending.reject(err);
        }
      }
    }
  }

  #itemsOf(completions: readonly PendingCompletion[]): Completion[] {
    return completions.map((pending) => pending.completion);
  }

  #now(): number {
    return this.clock.now().getTime();
  }

  async #write(db: Kysely<Database>, rows: RequestsTable[]): Promise<void> {
    const columns = Object.keys(rows[0] ?? {}) as (keyof RequestsTable)[];
    const count = rows.length;
    const shape = `${count}:${columns.join(',')}`;
    let template = this.#templates.get(shape);
    if (!template) {
      const keys = Array.from({ length: count }, (_, index) =>
        columns.map((column) => `${index}:${column}`),
      ).flat();
      template = new StatementTemplate(keys, (builder, values) =>
        builder
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
    await template.runPositional(db, values);
  }
}
