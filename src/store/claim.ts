import { type Kysely, sql } from 'kysely';
import type { ClaimedRequest } from '../domain/ports.js';
import type { Database, RequestsTable } from './schema.js';
import type { StoreDialect } from './store-dialect.js';

/**
 * Leases work in two statements, each walking one index in order and
 * stopping at `limit` (one statement with an OR reads and sorts the whole
 * queue, which costs milliseconds once it is deep): first requests whose
 * lease expired (their worker died), then queued ones that are due.
 */
export async function claimDue(
  db: Kysely<Database>,
  dialect: StoreDialect,
  owner: string,
  limit: number,
  leaseMs: number,
  now: number,
): Promise<ClaimedRequest[]> {
  // Expired leases are rare: a read finds out, where an UPDATE would take the write lock.
  const anyExpired = await expiredLeaseQuery(db, now).executeTakeFirst();
  const expired = anyExpired
    ? await claimWhere(db, dialect, owner, limit, now + leaseMs, 'processing', now)
    : [];
  const queued =
    expired.length < limit
      ? await claimWhere(db, dialect, owner, limit - expired.length, now + leaseMs, 'queued', now)
      : [];
  return [...expired, ...queued].map((row) => ({
    attempts: Number(row.attempts),
    envelope: {
      requestId: row.id,
      clientId: row.client_id,
      data: JSON.parse(row.data) as unknown,
      processor: row.processor,
      ...(row.callback_url ? { callbackUrl: row.callback_url } : {}),
      receivedAt: new Date(Number(row.created_at)),
    },
  }));
}

/**
 * One request whose lease expired, if any. The status is a literal, as the
 * condition of the partial index `requests_lease` (processing rows only):
 * with a bound parameter there, SQLite would prepare the statement again
 * each time the parameter is bound, to check the index still applies.
 */
export function expiredLeaseQuery(db: Kysely<Database>, now: number) {
  return db
    .selectFrom('requests')
    .select('id')
    .where('status', '=', sql.lit('processing'))
    .where('lease_expires_at', '<=', now)
    .limit(1);
}

async function claimWhere(
  db: Kysely<Database>,
  dialect: StoreDialect,
  owner: string,
  limit: number,
  leaseUntil: number,
  status: 'queued' | 'processing',
  now: number,
): Promise<RequestsTable[]> {
  const column = status === 'queued' ? 'next_attempt_at' : 'lease_expires_at';
  // A materialized CTE runs once. As `id IN (subquery)`, PostgreSQL may run the
  // subquery again for every row it updates, and with SKIP LOCKED each run skips the
  // rows this statement just updated and returns the next ones: more than `limit`.
  const rows = await db
    .with(
      (cte) => cte('due').materialized(),
      (db) => {
        const due = db
          .selectFrom('requests')
          .select('id')
          .where('status', '=', sql.lit(status))
          .where(column, '<=', now)
          .orderBy(column)
          .limit(limit);
        // Instances claiming at once take disjoint batches instead of queueing on the same rows.
        return dialect.rowLocks ? due.forUpdate().skipLocked() : due;
      },
    )
    .updateTable('requests')
    .set({
      status: 'processing',
      lease_owner: owner,
      lease_expires_at: leaseUntil,
      attempts: sql<number>`attempts + 1`,
      updated_at: now,
    })
    // Only the ids: repeating the conditions here makes SQLite walk every due row of the
    // index to test it against the list. The rows cannot change between the two: SQLite runs
    // the statement under its write lock, PostgreSQL holds the CTE's row locks.
    .where('id', 'in', (eb) => eb.selectFrom('due').select('due.id'))
    .returningAll()
    .execute();
  // RETURNING follows no order on PostgreSQL: the oldest first, as selected.
  const order = status === 'queued' ? 'next_attempt_at' : 'created_at';
  return rows.sort((a, b) => Number(a[order]) - Number(b[order]));
}
