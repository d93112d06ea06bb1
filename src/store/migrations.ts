import { keyLifecycleMigration } from './migration-0002-key-lifecycle.js';
import { partialRequestIndexesMigration } from './migration-0003-partial-request-indexes.js';
import {
  type Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresAdapter,
  sql,
} from 'kysely';

const isPostgres = (db: Kysely<unknown>): boolean =>
  db.getExecutor().adapter instanceof PostgresAdapter;

/** Migrations written with Kysely's schema builder, so they run on SQLite and PostgreSQL alike. */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('requests')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('client_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('idempotency_key', 'varchar(256)')
        .addColumn('fingerprint', 'varchar(128)', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('processor', 'varchar(64)', (c) => c.notNull())
        .addColumn('callback_url', 'text')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_owner', 'varchar(128)')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('token', 'text')
        .addColumn('signed_response', 'text')
        .addColumn('kid', 'varchar(128)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('requests_idempotency')
        .on('requests')
        .columns(['client_id', 'idempotency_key'])
        .unique()
        .execute();
      await db.schema
        .createIndex('requests_due')
        .on('requests')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('requests_lease')
        .on('requests')
        .columns(['status', 'lease_expires_at'])
        .execute();

      await db.schema
        .createTable('keys')
        .addColumn('kid', 'varchar(128)', (c) => c.primaryKey())
        .addColumn('algorithm', 'varchar(16)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('private_key_ref', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('activated_at', 'bigint')
        .addColumn('retired_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .addColumn('revocation_reason', 'varchar(64)')
        .addColumn('next_rotation_at', 'bigint')
        .execute();
      // The database, not the code alone, guarantees at most one active key.
      await db.schema
        .createIndex('keys_one_active')
        .on('keys')
        .column('status')
        .unique()
        .where(sql.ref('status'), '=', 'active')
        .execute();

      await db.schema
        .createTable('certificates')
        .addColumn('kid', 'varchar(128)', (c) => c.notNull())
        .addColumn('ca_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('serial', 'varchar(128)', (c) => c.notNull())
        .addColumn('chain_pem', 'text', (c) => c.notNull())
        .addColumn('not_before', 'bigint', (c) => c.notNull())
        .addColumn('not_after', 'bigint', (c) => c.notNull())
        .addColumn('ocsp_url', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('revocation_reason', 'varchar(64)')
        .addPrimaryKeyConstraint('certificates_pk', ['kid', 'ca_id'])
        .addUniqueConstraint('certificates_serial', ['ca_id', 'serial'])
        .execute();

      await db.schema
        .createTable('local_cas')
        .addColumn('ca_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('root_cert_pem', 'text', (c) => c.notNull())
        .addColumn('encrypted_root_key', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('clients')
        .addColumn('id', 'varchar(128)', (c) => c.primaryKey())
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('token_id', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('secret_hash', 'varchar(128)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('audit_events')
        // SQLite's AUTOINCREMENT has no PostgreSQL spelling: an identity column there.
        .$call((table) =>
          isPostgres(db)
            ? table.addColumn('seq', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
            : table.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement()),
        )
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'varchar(128)', (c) => c.notNull())
        .addColumn('action', 'varchar(64)', (c) => c.notNull())
        .addColumn('subject', 'varchar(256)')
        .addColumn('details', 'text')
        .addColumn('prev_hash', 'varchar(128)', (c) => c.notNull())
        .addColumn('hash', 'varchar(128)', (c) => c.notNull())
        .execute();
    },
  },
};

migrations['0002_key_lifecycle'] = keyLifecycleMigration;
migrations['0003_partial_request_indexes'] = partialRequestIndexesMigration;

/** Every migration by name, in order (Kysely sorts by name). */
export const migrationProvider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrate(db: Kysely<unknown>): Promise<void> {
  const { error, results } = await new Migrator({
    db,
    provider: migrationProvider,
  }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}`);
  }
}
