import type { Kysely } from 'kysely';
import type { CertificateRepository, LocalCaRepository, LocalCaState } from '../domain/ports.js';
import type { IssuedCertificate } from '../domain/types.js';
import type { CertificatesTable, Database } from './schema.js';

function toCertificate(row: CertificatesTable): IssuedCertificate {
  return {
    kid: row.kid,
    caId: row.ca_id,
    serial: row.serial,
    chainPem: row.chain_pem,
    notBefore: new Date(Number(row.not_before)),
    notAfter: new Date(Number(row.not_after)),
    ocspUrl: row.ocsp_url,
    status: row.status === 'revoked' ? 'revoked' : 'good',
    ...(row.revoked_at !== null ? { revokedAt: new Date(Number(row.revoked_at)) } : {}),
    ...(row.revocation_reason !== null ? { revocationReason: row.revocation_reason } : {}),
  };
}

export class StoreCertificateRepository implements CertificateRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(cert: IssuedCertificate): Promise<void> {
    await this.db
      .insertInto('certificates')
      .values({
        kid: cert.kid,
        ca_id: cert.caId,
        serial: cert.serial,
        chain_pem: cert.chainPem,
        not_before: cert.notBefore.getTime(),
        not_after: cert.notAfter.getTime(),
        ocsp_url: cert.ocspUrl,
        status: cert.status,
        revoked_at: cert.revokedAt?.getTime() ?? null,
        revocation_reason: cert.revocationReason ?? null,
      })
      .execute();
  }

  async get(kid: string, caId: string): Promise<IssuedCertificate | undefined> {
    const row = await this.db
      .selectFrom('certificates')
      .selectAll()
      .where('kid', '=', kid)
      .where('ca_id', '=', caId)
      .executeTakeFirst();
    return row ? toCertificate(row) : undefined;
  }

  async listForKey(kid: string): Promise<IssuedCertificate[]> {
    const rows = await this.db
      .selectFrom('certificates')
      .selectAll()
      .where('kid', '=', kid)
      .execute();
    return rows.map(toCertificate);
  }

  async findBySerial(caId: string, serial: string): Promise<IssuedCertificate | undefined> {
    const row = await this.db
      .selectFrom('certificates')
      .selectAll()
      .where('ca_id', '=', caId)
      .where('serial', '=', serial)
      .executeTakeFirst();
    return row ? toCertificate(row) : undefined;
  }

  async markRevoked(caId: string, serial: string, reason: string, at: Date): Promise<void> {
    await this.db
      .updateTable('certificates')
      .set({ status: 'revoked', revoked_at: at.getTime(), revocation_reason: reason })
      .where('ca_id', '=', caId)
      .where('serial', '=', serial)
      .where('status', '!=', 'revoked')
      .execute();
  }
}

export class StoreLocalCaRepository implements LocalCaRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(caId: string): Promise<LocalCaState | undefined> {
    const row = await this.db
      .selectFrom('local_cas')
      .selectAll()
      .where('ca_id', '=', caId)
      .executeTakeFirst();
    return row
      ? {
          caId: row.ca_id,
          rootCertPem: row.root_cert_pem,
          encryptedRootKey: row.encrypted_root_key,
        }
      : undefined;
  }

  async initialize(state: LocalCaState): Promise<LocalCaState> {
    await this.db
      .insertInto('local_cas')
      .values({
        ca_id: state.caId,
        root_cert_pem: state.rootCertPem,
        encrypted_root_key: state.encryptedRootKey,
      })
      .onConflict((oc) => oc.column('ca_id').doNothing())
      .execute();
    const stored = await this.get(state.caId);
    if (!stored) throw new Error(`CA ${state.caId} could not be stored`);
    return stored;
  }
}
