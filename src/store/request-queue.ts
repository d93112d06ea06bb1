import { type Kysely, sql } from 'kysely';
import type {
  ClaimedRequest,
  Clock,
  CompletedResult,
  CompleteOutcome,
  NewRequest,
  RequestQueue,
} from '../domain/ports.js';
import { SignetError } from '../domain/errors.js';
import type { RequestRecord, RequestStatus, SignedResponse } from '../domain/types.js';
import { claimDue } from './claim.js';
import { completionStatements } from './complete-batch.js';
import { GroupCommit } from './group-commit.js';
import { newRequestId } from './request-id.js';
import { deleteSettledBefore } from './request-retention.js';
import type { Database, RequestsTable } from './schema.js';
import type { StoreDialect } from './store-dialect.js';
import { isUniqueViolation } from './unique-violation.js';

function toRecord(row: RequestsTable, data: unknown = JSON.parse(row.data)): RequestRecord {
  return {
    requestId: row.id,
    clientId: row.client_id,
    status: row.status as RequestStatus,
    data,
    processor: row.processor,
    ...(row.callback_url ? { callbackUrl: row.callback_url } : {}),
    attempts: Number(row.attempts),
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    ...(row.token ? { token: row.token } : {}),
    ...(row.signed_response
      ? { signedResponse: JSON.parse(row.signed_response) as SignedResponse }
      : {}),
    ...(row.error ? { error: row.error } : {}),
  };
}

/** The durable queue: requests live in the store and are leased by workers. */
export class StoreRequestQueue implements RequestQueue {
  readonly #completion = completionStatements();
  readonly #writes: GroupCommit;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly dialect: StoreDialect,
  ) {
    this.#writes = new GroupCommit(db, this.#completion, clock);
  }

  async enqueue(input: NewRequest): Promise<{ record: RequestRecord; created: boolean }> {
    if (input.idempotencyKey !== undefined) {
      const earlier = await this.findIdempotent(input.clientId, input.idempotencyKey);
      if (earlier) return this.reuse(earlier, input.fingerprint);
    }
    const now = this.clock.now().getTime();
    const { lease } = input;
    const row: RequestsTable = {
      id: newRequestId(now),
      client_id: input.clientId,
      idempotency_key: input.idempotencyKey ?? null,
      fingerprint: input.fingerprint,
      data: JSON.stringify(input.data),
      processor: input.processor,
      callback_url: input.callbackUrl ?? null,
      status: lease ? 'processing' : 'queued',
      attempts: lease ? 1 : 0,
      lease_owner: lease?.owner ?? null,
      lease_expires_at: lease ? now + lease.leaseMs : null,
      next_attempt_at: now,
      error: null,
      token: null,
      signed_response: null,
      kid: null,
      created_at: now,
      updated_at: now,
    };
    if (input.idempotencyKey === undefined) {
      await this.#writes.insert(row);
      // The data came parsed from JSON: what is stored reads back the same, no need to parse it again.
      return { record: toRecord(row, input.data), created: true };
    }
    try {
      await this.db.insertInto('requests').values(row).execute();
    } catch (err) {
      // A concurrent submission with the same idempotency key won the race.
      if (isUniqueViolation(err)) {
        const earlier = await this.findIdempotent(input.clientId, input.idempotencyKey);
        if (earlier) return this.reuse(earlier, input.fingerprint);
      }
      throw err;
    }
    return { record: toRecord(row), created: true };
  }

  private async findIdempotent(clientId: string, key: string): Promise<RequestsTable | undefined> {
    return this.db
      .selectFrom('requests')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
  }

  private reuse(
    row: RequestsTable,
    fingerprint: string,
  ): { record: RequestRecord; created: boolean } {
    if (row.fingerprint !== fingerprint) {
      throw new SignetError(
        'ERR_IDEMPOTENCY_MISMATCH',
        'this Idempotency-Key was already used with a different request body',
      );
    }
    return { record: toRecord(row), created: false };
  }

  /** Leases up to `limit` due requests: see claimDue. */
  claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedRequest[]> {
    return claimDue(this.db, this.dialect, owner, limit, leaseMs, this.clock.now().getTime());
  }

  /**
   * One completion, with the lease and key guarantees of completeBatch,
   * recorded with the other writes of this turn of the event loop (see GroupCommit).
   */
  complete(requestId: string, owner: string, result: CompletedResult): Promise<CompleteOutcome> {
    return this.#writes.complete(owner, { requestId, result });
  }

  /** Retention: deletes up to `limit` settled requests older than `cutoff` (see deleteSettledBefore). */
  deleteSettledBefore(cutoff: Date, limit: number): Promise<number> {
    return deleteSettledBefore(this.db, cutoff.getTime(), limit);
  }

  async retry(requestId: string, owner: string, error: string, delayMs: number): Promise<boolean> {
    const now = this.clock.now().getTime();
    const outcome = await this.db
      .updateTable('requests')
      .set({
        status: 'queued',
        error,
        lease_owner: null,
        lease_expires_at: null,
        next_attempt_at: now + delayMs,
        updated_at: now,
      })
      .where('id', '=', requestId)
      .where('status', '=', 'processing')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(outcome.numUpdatedRows) === 1;
  }

  async fail(requestId: string, owner: string, error: string): Promise<boolean> {
    const now = this.clock.now().getTime();
    const outcome = await this.db
      .updateTable('requests')
      .set({ status: 'failed', error, lease_owner: null, lease_expires_at: null, updated_at: now })
      .where('id', '=', requestId)
      .where('status', '=', 'processing')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(outcome.numUpdatedRows) === 1;
  }

  async releaseAll(owner: string): Promise<number> {
    const now = this.clock.now().getTime();
    const outcome = await this.db
      .updateTable('requests')
      .set({
        status: 'queued',
        lease_owner: null,
        lease_expires_at: null,
        next_attempt_at: now,
        attempts: sql<number>`case when attempts > 0 then attempts - 1 else 0 end`,
        updated_at: now,
      })
      .where('status', '=', 'processing')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(outcome.numUpdatedRows);
  }

  async get(requestId: string): Promise<RequestRecord | undefined> {
    const row = await this.db
      .selectFrom('requests')
      .selectAll()
      .where('id', '=', requestId)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async counts(): Promise<Record<RequestStatus, number>> {
    const rows = await this.db
      .selectFrom('requests')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    const counts: Record<RequestStatus, number> = {
      queued: 0,
      processing: 0,
      completed: 0,
      failed: 0,
    };
    for (const row of rows) counts[row.status as RequestStatus] = Number(row.n);
    return counts;
  }

  async nextDueAt(): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom('requests')
      .select((eb) =>
        eb.fn
          .min(
            eb
              .case()
              .when('status', '=', 'queued')
              .then(eb.ref('next_attempt_at'))
              .else(eb.ref('lease_expires_at'))
              .end(),
          )
          .as('due'),
      )
      .where('status', 'in', ['queued', 'processing'])
      .executeTakeFirst();
    const due = row?.due;
    return due === null || due === undefined ? undefined : new Date(Number(due));
  }
}
