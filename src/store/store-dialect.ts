import { type Transaction, sql } from 'kysely';
import type { KeyChange } from '../domain/ports.js';
import type { InProcessKeyChanges } from './in-process-key-changes.js';
import { KEYS_CHANNEL } from './pg-notifiers.js';
import type { Database } from './schema.js';

/** What the repositories do differently on SQLite and on PostgreSQL; everything else is shared. */
export interface StoreDialect {
  readonly name: 'sqlite' | 'postgres';
  /**
   * Row locks exist (FOR UPDATE SKIP LOCKED): PostgreSQL, where several
   * instances claim concurrently. SQLite serializes writers instead.
   */
  readonly rowLocks: boolean;
  /** First statement of an audit append: serializes appenders to the hash chain. */
  lockAuditChain(tx: Transaction<Database>): Promise<void>;
  /** Inside the transaction that changed a key. PostgreSQL: NOTIFY, delivered at commit only. */
  keyChangedInTransaction(tx: Transaction<Database>, change: KeyChange): Promise<void>;
  /** After that transaction committed. SQLite: tells this process's listeners. */
  keyChangeCommitted(change: KeyChange): void;
}

export function sqliteDialect(keyChanges: InProcessKeyChanges): StoreDialect {
  return {
    name: 'sqlite',
    rowLocks: false,
    // One connection per process, and SQLite's write lock across processes.
    lockAuditChain: async () => undefined,
    keyChangedInTransaction: async () => undefined,
    keyChangeCommitted: (change) => keyChanges.publish(change),
  };
}

/** Advisory lock ids: (namespace, purpose). Advisory locks are scoped to the database. */
export const ADVISORY_NAMESPACE = 0x5369676e; // "Sign"
export const LEADER_LOCK = 1;
const AUDIT_CHAIN_LOCK = 2;

export function postgresDialect(): StoreDialect {
  return {
    name: 'postgres',
    rowLocks: true,
    // Released at commit, after the new entry is visible: the next appender reads it as the last one.
    lockAuditChain: async (tx) => {
      await sql`SELECT pg_advisory_xact_lock(${ADVISORY_NAMESPACE}, ${AUDIT_CHAIN_LOCK})`.execute(
        tx,
      );
    },
    keyChangedInTransaction: async (tx, change) => {
      await sql`SELECT pg_notify(${KEYS_CHANNEL}, ${JSON.stringify(change)})`.execute(tx);
    },
    keyChangeCommitted: () => undefined,
  };
}
