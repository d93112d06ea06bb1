import type { Kysely, Selectable, Transaction } from 'kysely';
import type { KeyChange, KeyRepository, SwapActive } from '../domain/ports.js';
import type { Algorithm, KeyRotationRecord, KeyStatus, PublicJwk } from '../domain/types.js';
import type { Database, KeysTable } from './schema.js';
import type { StoreDialect } from './store-dialect.js';
import { isUniqueViolation } from './unique-violation.js';

const toDate = (ms: number | null): Date | undefined =>
  ms === null ? undefined : new Date(Number(ms));

function toRecord(row: Selectable<KeysTable>): KeyRotationRecord {
  const record: KeyRotationRecord = {
    kid: row.kid,
    algorithm: row.algorithm as Algorithm,
    status: row.status as KeyStatus,
    publicJwk: JSON.parse(row.public_jwk) as PublicJwk,
    privateKeyRef: row.private_key_ref,
    createdAt: new Date(Number(row.created_at)),
  };
  const optional = {
    activatedAt: toDate(row.activated_at),
    retiredAt: toDate(row.retired_at),
    revokedAt: toDate(row.revoked_at),
    revocationReason: row.revocation_reason ?? undefined,
    nextRotationAt: toDate(row.next_rotation_at),
    destroyedAt: toDate(row.destroyed_at),
    signatures: Number(row.signatures),
  };
  for (const [name, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(record, { [name]: value });
  }
  return record;
}

/** A compare-and-set that another rotation won. */
class LostRace extends Error {}

export class StoreKeyRepository implements KeyRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: StoreDialect,
  ) {}

  async insert(record: KeyRotationRecord): Promise<void> {
    await this.db
      .insertInto('keys')
      .values({
        kid: record.kid,
        algorithm: record.algorithm,
        status: record.status,
        public_jwk: JSON.stringify(record.publicJwk),
        private_key_ref: record.privateKeyRef,
        created_at: record.createdAt.getTime(),
        activated_at: record.activatedAt?.getTime() ?? null,
        retired_at: null,
        revoked_at: null,
        revocation_reason: null,
        next_rotation_at: record.nextRotationAt?.getTime() ?? null,
        destroyed_at: null,
      })
      .execute();
  }

  async get(kid: string): Promise<KeyRotationRecord | undefined> {
    const row = await this.db
      .selectFrom('keys')
      .selectAll()
      .where('kid', '=', kid)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async getActive(): Promise<KeyRotationRecord | undefined> {
    const row = await this.db
      .selectFrom('keys')
      .selectAll()
      .where('status', '=', 'active')
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async list(statuses?: KeyStatus[]): Promise<KeyRotationRecord[]> {
    let query = this.db.selectFrom('keys').selectAll().orderBy('created_at', 'desc');
    if (statuses && statuses.length > 0) query = query.where('status', 'in', statuses);
    return (await query.execute()).map(toRecord);
  }

  async swapActive(args: SwapActive): Promise<boolean> {
    const at = args.at.getTime();
    const changes: KeyChange[] = [];
    try {
      await this.db.transaction().execute(async (tx) => {
        const current = await tx
          .selectFrom('keys')
          .select('kid')
          .where('status', '=', 'active')
          .executeTakeFirst();
        if (current?.kid !== args.expectedActiveKid) throw new LostRace();
        if (current) {
          const replaced = await tx
            .updateTable('keys')
            .set(
              args.outcome === 'revoked'
                ? {
                    status: 'revoked',
                    revoked_at: at,
                    revocation_reason: args.reason ?? 'unspecified',
                  }
                : { status: 'retired', retired_at: at },
            )
            .where('kid', '=', current.kid)
            .where('status', '=', 'active')
            .executeTakeFirst();
          // PostgreSQL: a concurrent swap changed the row after our read (READ COMMITTED).
          if (Number(replaced.numUpdatedRows) !== 1) throw new LostRace();
          changes.push({ kid: current.kid, status: args.outcome });
        }
        const activated = await tx
          .updateTable('keys')
          .set({
            status: 'active',
            activated_at: at,
            next_rotation_at: args.nextRotationAt?.getTime() ?? null,
          })
          .where('kid', '=', args.newKid)
          .where('status', '=', 'pending')
          .executeTakeFirst();
        if (Number(activated.numUpdatedRows) !== 1) throw new LostRace();
        changes.push({ kid: args.newKid, status: 'active' });
        for (const change of changes) await this.dialect.keyChangedInTransaction(tx, change);
      });
    } catch (err) {
      // Another rotation committed first; on PostgreSQL two swaps that both read "no active
      // key" are told apart by the partial unique index keys_one_active.
      if (err instanceof LostRace || isUniqueViolation(err)) return false;
      throw err;
    }
    for (const change of changes) this.dialect.keyChangeCommitted(change);
    return true;
  }

  /** Runs a one-row status change and announces it when it committed. */
  private async changeStatus(
    change: KeyChange,
    update: (tx: Transaction<Database>) => Promise<{ numUpdatedRows: bigint }>,
  ): Promise<boolean> {
    const changed = await this.db.transaction().execute(async (tx) => {
      const outcome = await update(tx);
      if (Number(outcome.numUpdatedRows) !== 1) return false;
      await this.dialect.keyChangedInTransaction(tx, change);
      return true;
    });
    if (changed) this.dialect.keyChangeCommitted(change);
    return changed;
  }

  async revoke(kid: string, reason: string, at: Date): Promise<boolean> {
    return this.changeStatus({ kid, status: 'revoked' }, (tx) =>
      tx
        .updateTable('keys')
        .set({ status: 'revoked', revoked_at: at.getTime(), revocation_reason: reason })
        .where('kid', '=', kid)
        .where('status', 'in', ['pending', 'active', 'retired'])
        .executeTakeFirst(),
    );
  }

  async destroy(kid: string, at: Date): Promise<boolean> {
    return this.changeStatus({ kid, status: 'destroyed' }, (tx) =>
      tx
        .updateTable('keys')
        .set({ status: 'destroyed', destroyed_at: at.getTime(), private_key_ref: '' })
        .where('kid', '=', kid)
        .where('status', '=', 'retired')
        .executeTakeFirst(),
    );
  }
}
