import { type Kysely, sql } from 'kysely';
import type { CompletedResult, CompleteOutcome } from '../domain/ports.js';
import type { Database } from './schema.js';
import { StatementTemplate } from './statement-template.js';

export interface Completion {
  requestId: string;
  result: CompletedResult;
}

const USABLE = ['active', 'retired'];

interface CompleteRow extends Record<string, unknown> {
  id: string;
  owner: string;
  token: string;
  kid: string;
  now: number;
}

/** The statements of a completion, built once per store (see StatementTemplate). */
export interface CompletionStatements {
  /** Completes one request while `owner` holds its lease. */
  completeRow: StatementTemplate<CompleteRow>;
  /** Locks the key's row if the key is still usable (a no-op UPDATE: one row affected, or none). */
  lockUsableKey: StatementTemplate<{ kid: string }>;
  /** Counts `completed` more signatures on the key. */
  countSignatures: StatementTemplate<{ kid: string; completed: number }>;
}

export function completionStatements(): CompletionStatements {
  return {
    completeRow: completeRowTemplate(),
    lockUsableKey: new StatementTemplate<{ kid: string }>(['kid'], (db, { kid }) =>
      db
        .updateTable('keys')
        .set({ signatures: sql<number>`signatures` })
        .where('kid', '=', kid)
        .where('status', 'in', USABLE),
    ),
    countSignatures: new StatementTemplate<{ kid: string; completed: number }>(
      ['kid', 'completed'],
      (db, { kid, completed }) =>
        db
          .updateTable('keys')
          .set({ signatures: sql<number>`signatures + ${completed}` })
          .where('kid', '=', kid),
    ),
  };
}

function completeRowTemplate(): StatementTemplate<CompleteRow> {
  return new StatementTemplate<CompleteRow>(['id', 'owner', 'token', 'kid', 'now'], (db, row) =>
    db
      .updateTable('requests')
      .set({
        status: 'completed',
        token: row.token,
        // Derived from the token when read (signedResponseOf): stored once, not twice.
        signed_response: null,
        kid: row.kid,
        error: null,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: row.now,
      })
      .where('id', '=', row.id)
      .where('status', '=', 'processing')
      .where('lease_owner', '=', row.owner),
  );
}

/**
 * Completes several leased requests in one transaction, with the guarantees
 * of completing them one by one: a request completes only while `owner`
 * holds its lease, and only if its key is still usable when this commits.
 *
 * Each key row is checked first with an UPDATE, which takes its row lock (on
 * PostgreSQL, after waiting for a concurrent revocation, whose result it then
 * sees); a revocation that starts later waits for this commit. Completed
 * requests are then counted on their key in one statement per key.
 */
export async function completeBatch(
  tx: Kysely<Database>,
  statements: CompletionStatements,
  owner: string,
  now: number,
  items: readonly Completion[],
): Promise<CompleteOutcome[]> {
  const outcomes: CompleteOutcome[] = new Array<CompleteOutcome>(items.length).fill('lease-lost');
  const byKid = new Map<string, number[]>();
  items.forEach(({ result }, index) => {
    const indexes = byKid.get(result.kid);
    if (indexes) indexes.push(index);
    else byKid.set(result.kid, [index]);
  });

  for (const [kid, indexes] of byKid) {
    const usable = await statements.lockUsableKey.run(tx, { kid });
    if (Number(usable.numAffectedRows) !== 1) {
      await markRevoked(tx, owner, items, indexes, outcomes);
      continue;
    }
    let completed = 0;
    for (const index of indexes) {
      const { requestId, result } = items[index] as Completion;
      const updated = await statements.completeRow.run(tx, {
        id: requestId,
        owner,
        token: result.token,
        kid: result.kid,
        now,
      });
      if (Number(updated.numAffectedRows) === 1) {
        outcomes[index] = 'completed';
        completed += 1;
      }
    }
    if (completed > 0) await statements.countSignatures.run(tx, { kid, completed });
  }
  return outcomes;
}

/** The key is gone: a request still leased to us is refused for its key, otherwise its lease was lost. */
async function markRevoked(
  tx: Kysely<Database>,
  owner: string,
  items: readonly Completion[],
  indexes: readonly number[],
  outcomes: CompleteOutcome[],
): Promise<void> {
  const ids = indexes.map((index) => (items[index] as Completion).requestId);
  const held = await tx
    .selectFrom('requests')
    .select('id')
    .where('id', 'in', ids)
    .where('status', '=', 'processing')
    .where('lease_owner', '=', owner)
    .execute();
  const stillOurs = new Set(held.map((row) => row.id));
  for (const index of indexes) {
    if (stillOurs.has((items[index] as Completion).requestId)) outcomes[index] = 'key-revoked';
  }
}
