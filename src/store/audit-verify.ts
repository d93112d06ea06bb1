import type { Kysely } from 'kysely';
import { GENESIS_HASH, auditEntryHash } from './audit-log.js';
import type { Database } from './schema.js';

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** The first entry whose hash or link does not hold. */
  firstBroken?: { seq: number; reason: string };
}

const PAGE = 1000;

/** Walks the audit log's hash chain from the start. */
export async function verifyAuditChain(db: Kysely<Database>): Promise<AuditVerification> {
  let prevHash = GENESIS_HASH;
  let entries = 0;
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    for (const row of rows) {
      const seq = Number(row.seq);
      if (row.prev_hash !== prevHash) {
        return {
          ok: false,
          entries,
          firstBroken: { seq, reason: 'does not link to the entry before it' },
        };
      }
      let details: Record<string, unknown> | undefined;
      try {
        details = row.details !== null ? (JSON.parse(row.details) as typeof details) : undefined;
      } catch {
        // An edited entry must be reported as such, not end the check with a parse error.
        return { ok: false, entries, firstBroken: { seq, reason: 'details are not valid JSON' } };
      }
      const expected = auditEntryHash(prevHash, {
        at: Number(row.at),
        actor: row.actor,
        action: row.action,
        ...(row.subject !== null ? { subject: row.subject } : {}),
        ...(details !== undefined ? { details } : {}),
      });
      if (expected !== row.hash) {
        return {
          ok: false,
          entries,
          firstBroken: { seq, reason: 'content does not match its hash' },
        };
      }
      prevHash = row.hash;
      entries++;
      after = seq;
    }
    if (rows.length < PAGE) return { ok: true, entries };
  }
}
