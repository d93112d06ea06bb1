import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Deletes up to `limit` settled (completed or failed) requests that became
 * due before `cutoffMs` — submitted, or last retried, then — and returns how
 * many. The (status, next_attempt_at) index makes each chunk a range scan,
 * however large the table, so a periodic cleanup never holds the store long.
 */
export async function deleteSettledBefore(
  db: Kysely<Database>,
  cutoffMs: number,
  limit: number,
): Promise<number> {
  let deleted = 0;
  for (const status of ['completed', 'failed'] as const) {
    if (deleted >= limit) break;
    const due = db
      .selectFrom('requests')
      .select('id')
      .where('status', '=', status)
      .where('next_attempt_at', '<', cutoffMs)
      .limit(limit - deleted);
    const result = await db.deleteFrom('requests').where('id', 'in', due).executeTakeFirst();
    deleted += Number(result.numDeletedRows);
  }
  return deleted;
}
