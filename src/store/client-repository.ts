import type { Kysely } from 'kysely';
import type { ApiClient, ClientRepository } from '../domain/ports.js';
import type { Role } from '../domain/types.js';
import type { ClientsTable, Database } from './schema.js';
import { StatementTemplate } from './statement-template.js';

type FoundClient = ApiClient & { secretHash: string };

/** Token lookups kept at most; the first one kept goes first. */
const MAX_REMEMBERED = 1024;

export class StoreClientRepository implements ClientRepository {
  /** Every request looks its token up: compiled once (see StatementTemplate). */
  readonly #byTokenId = new StatementTemplate<{ tokenId: string }>(['tokenId'], (db, values) =>
    db.selectFrom('clients').selectAll().where('token_id', '=', values.tokenId),
  );
  /** Clients found by token id, valid while `#epoch` stays the same. */
  readonly #remembered = new Map<string, FoundClient>();
  #epoch = 0;
  /** Writes through this repository begun or ended; with `externalChanges`, what the epoch was taken at. */
  #writes = 0;
  #seenWrites = 0;
  #seenExternal: number | undefined;
  /** `externalChanges()` as read in this turn of the event loop; undefined until read in it. */
  #externalThisTurn: number | undefined;

  /**
   * `externalChanges` (SQLite's data_version) tells when another process has
   * committed; this process writes clients only through `upsert`. Together
   * they say exactly when a lookup may have changed, so lookups are kept
   * until then: a replaced token stops working at once when replaced here,
   * and from the CLI for every request that arrives after its commit.
   * `externalChanges` is read once per turn of the event loop (it takes
   * SQLite's WAL read lock, two system calls): the requests of a turn had
   * all arrived before it began. Without it (PostgreSQL, other instances)
   * every lookup reads the store.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly externalChanges?: () => number,
  ) {}

  /** The current epoch, after forgetting every lookup if the clients may have changed; undefined: keep nothing. */
  #currentEpoch(): number | undefined {
    if (!this.externalChanges) return undefined;
    const external = this.#external(this.externalChanges);
    if (external !== this.#seenExternal || this.#writes !== this.#seenWrites) {
      this.#remembered.clear();
      this.#seenExternal = external;
      this.#seenWrites = this.#writes;
      this.#epoch += 1;
    }
    return this.#epoch;
  }

  #external(externalChanges: () => number): number {
    if (this.#externalThisTurn === undefined) {
      this.#externalThisTurn = externalChanges();
      setImmediate(() => (this.#externalThisTurn = undefined));
    }
    return this.#externalThisTurn;
  }

  async upsert(client: {
    id: string;
    role: Role;
    tokenId: string;
    secretHash: string;
    at: Date;
  }): Promise<void> {
    // Before and after: a lookup that overlaps the write is neither served from nor kept in memory.
    this.#writes += 1;
    try {
      await this.#upsert(client);
    } finally {
      this.#writes += 1;
    }
  }

  async #upsert(client: {
    id: string;
    role: Role;
    tokenId: string;
    secretHash: string;
    at: Date;
  }): Promise<void> {
    await this.db
      .insertInto('clients')
      .values({
        id: client.id,
        role: client.role,
        token_id: client.tokenId,
        secret_hash: client.secretHash,
        created_at: client.at.getTime(),
      })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          role: client.role,
          token_id: client.tokenId,
          secret_hash: client.secretHash,
        }),
      )
      .execute();
  }

  async findByTokenId(tokenId: string): Promise<FoundClient | undefined> {
    const epoch = this.#currentEpoch();
    // Not moved to the back on a hit, as an LRU would: deleting and setting it again on every
    // request rebuilt the Map's table every few requests (see RemovableList).
    const known = epoch === undefined ? undefined : this.#remembered.get(tokenId);
    if (known) return known;
    const { rows } = await this.#byTokenId.runPositional(this.db, [tokenId]);
    const row = rows[0] as ClientsTable | undefined;
    if (!row) return undefined;
    const found: FoundClient = {
      id: row.id,
      role: row.role as Role,
      createdAt: new Date(Number(row.created_at)),
      secretHash: row.secret_hash,
    };
    // Kept only if nothing changed while it was read.
    if (epoch !== undefined && this.#currentEpoch() === epoch) {
      this.#remembered.set(tokenId, found);
      if (this.#remembered.size > MAX_REMEMBERED) {
        const oldest = this.#remembered.keys().next().value;
        if (oldest !== undefined) this.#remembered.delete(oldest);
      }
    }
    return found;
  }

  async list(): Promise<ApiClient[]> {
    const rows = await this.db.selectFrom('clients').selectAll().orderBy('created_at').execute();
    return rows.map((row) => ({
      id: row.id,
      role: row.role as Role,
      createdAt: new Date(Number(row.created_at)),
    }));
  }

  async countByRole(role: Role): Promise<number> {
    const row = await this.db
      .selectFrom('clients')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role', '=', role)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
