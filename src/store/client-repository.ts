import type { Kysely } from 'kysely';
import type { ApiClient, ClientRepository } from '../domain/ports.js';
import type { Role } from '../domain/types.js';
import type { ClientsTable, Database } from './schema.js';
import { StatementTemplate } from './statement-template.js';

export class StoreClientRepository implements ClientRepository {
  /** Every request looks its token up: compiled once (see StatementTemplate). */
  readonly #byTokenId = new StatementTemplate<{ tokenId: string }>(['tokenId'], (db, values) =>
    db.selectFrom('clients').selectAll().where('token_id', '=', values.tokenId),
  );

  constructor(private readonly db: Kysely<Database>) {}

  async upsert(client: {
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

  async findByTokenId(tokenId: string): Promise<(ApiClient & { secretHash: string }) | undefined> {
    const { rows } = await this.#byTokenId.runPositional(this.db, [tokenId]);
    const row = rows[0] as ClientsTable | undefined;
    return row
      ? {
          id: row.id,
          role: row.role as Role,
          createdAt: new Date(Number(row.created_at)),
          secretHash: row.secret_hash,
        }
      : undefined;
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
