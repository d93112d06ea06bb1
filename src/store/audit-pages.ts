import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface AuditRow {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  subject: string | null;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

/** A page of the audit log after sequence number `after`, oldest first. */
export async function readAuditPage(
  db: Kysely<Database>,
  after: number,
  limit: number,
): Promise<AuditRow[]> {
  const rows = await db
    .selectFrom('audit_events')
    .selectAll()
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    seq: Number(row.seq),
    at: new Date(Number(row.at)),
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
    prevHash: row.prev_hash,
    hash: row.hash,
  }));
}
