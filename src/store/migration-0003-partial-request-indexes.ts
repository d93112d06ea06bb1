import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Two indexes of `requests` hold only the rows they are searched for.
 *
 * - `requests_idempotency`: only rows with an Idempotency-Key. Uniqueness is
 *   the same (NULL keys never conflicted); a request without a key, most of
 *   them, no longer adds an entry.
 * - `requests_lease`: only `processing` rows (the search for expired
 *   leases). Settled rows had kept an entry each, moved there when they
 *   completed.
 *
 * Measured in a standalone test with Signet's schema and statements on
 * SQLite, three submissions and three completions per transaction: 13.2
 * pages written to the WAL per transaction instead of 14.7, and 10% less CPU
 * per request.
 */
export const partialRequestIndexesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('requests_idempotency').execute();
    await db.schema
      .createIndex('requests_idempotency')
      .on('requests')
      .columns(['client_id', 'idempotency_key'])
      .unique()
      .where(sql.ref('idempotency_key'), 'is not', null)
      .execute();
    await db.schema.dropIndex('requests_lease').execute();
    await db.schema
      .createIndex('requests_lease')
      .on('requests')
      // The status leads, as before, so that SQLite's planner prefers this index to requests_due.
      .columns(['status', 'lease_expires_at'])
      .where(sql.ref('status'), '=', 'processing')
      .execute();
  },
};
