import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import type { Database } from './schema.js';

type Values = Record<string, unknown>;

interface Compiled {
  sql: string;
  parameters: readonly unknown[];
  /** For each parameter, the position of its value among the keys, or -1 for a constant. */
  slots: number[];
}

/**
 * A query that Kysely compiles once and that then runs again with other
 * values. Kysely builds every query anew (an operation-node tree, frozen, then
 * visited), which on the request path cost more than SQLite running the
 * statement (measured: `npm run bench`, CPU profile); Kysely has no prepared
 * query of its own. The builder runs once with a placeholder for each value,
 * and where the placeholders land among the compiled parameters says where
 * each value goes. One template per store: the SQL depends on the dialect.
 */
export class StatementTemplate<V extends Values> {
  #compiled: Compiled | undefined;

  constructor(
    private readonly keys: readonly (keyof V & string)[],
    private readonly build: (db: Kysely<Database>, values: V) => Compilable,
  ) {}

  async run(db: Kysely<Database>, values: V): Promise<QueryResult<unknown>> {
    return this.runPositional(
      db,
      this.keys.map((key) => values[key]),
    );
  }

  /** Runs with the values given in the order of the keys. */
  async runPositional(
    db: Kysely<Database>,
    values: readonly unknown[],
  ): Promise<QueryResult<unknown>> {
    const compiled = (this.#compiled ??= this.#compile(db));
    const parameters = compiled.parameters.map((constant, index) => {
      const slot = compiled.slots[index] ?? -1;
      return slot < 0 ? constant : values[slot];
    });
    return db.executeQuery(CompiledQuery.raw(compiled.sql, parameters));
  }

  #compile(db: Kysely<Database>): Compiled {
    const placeholders: Values = {};
    const positions = new Map<unknown, number>();
    this.keys.forEach((key, position) => {
      const placeholder = `\u0000placeholder\u0000${key}`;
      placeholders[key] = placeholder;
      positions.set(placeholder, position);
    });
    const { sql, parameters } = this.build(db, placeholders as V).compile();
    const slots = parameters.map((parameter) => positions.get(parameter) ?? -1);
    this.keys.forEach((key, position) => {
      if (!slots.includes(position)) throw new Error(`statement template: no parameter for ${key}`);
    });
    return { sql, parameters, slots };
  }
}
