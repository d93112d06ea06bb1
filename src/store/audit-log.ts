import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Kysely } from 'kysely';
import type { AuditEvent, AuditLog, Clock } from '../domain/ports.js';
import type { Database } from './schema.js';
import type { StoreDialect } from './store-dialect.js';

export const GENESIS_HASH = '0'.repeat(64);

/** The hash an audit entry commits to: its content and the hash of the entry before it. */
export function auditEntryHash(prevHash: string, entry: { at: number } & AuditEvent): string {
  const body = canonicalize({
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    subject: entry.subject ?? null,
    details: entry.details ?? null,
  });
  return createHash('sha256')
    .update(prevHash)
    .update(body ?? '')
    .digest('hex');
}

/** Append-only, hash-chained audit log. */
export class StoreAuditLog implements AuditLog {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly dialect: StoreDialect,
  ) {}

  async append(event: AuditEvent): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      // Appenders in other instances would otherwise read the same last hash and fork the chain.
      await this.dialect.lockAuditChain(tx);
      const last = await tx
        .selectFrom('audit_events')
        .select('hash')
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      const prevHash = last?.hash ?? GENESIS_HASH;
      const at = this.clock.now().getTime();
      await tx
        .insertInto('audit_events')
        .values({
          at,
          actor: event.actor,
          action: event.action,
          subject: event.subject ?? null,
          details: event.details ? JSON.stringify(event.details) : null,
          prev_hash: prevHash,
          hash: auditEntryHash(prevHash, { ...event, at }),
        })
        .execute();
    });
  }
}
