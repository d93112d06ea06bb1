import type { Kysely, Migration } from 'kysely';

/** Key lifecycle: signature counts (keys.maxSignatures) and destruction after retention. */
export const keyLifecycleMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('keys')
      .addColumn('signatures', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('keys').addColumn('destroyed_at', 'bigint').execute();
  },
};
