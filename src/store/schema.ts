/** Table types for Kysely. Times are integer milliseconds since the epoch. */
import type { Generated } from 'kysely';

export interface RequestsTable {
  id: string;
  client_id: string;
  idempotency_key: string | null;
  fingerprint: string;
  data: string;
  processor: string;
  callback_url: string | null;
  status: string;
  attempts: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  next_attempt_at: number;
  error: string | null;
  token: string | null;
  signed_response: string | null;
  kid: string | null;
  created_at: number;
  updated_at: number;
}

export interface KeysTable {
  kid: string;
  algorithm: string;
  status: string;
  public_jwk: string;
  private_key_ref: string;
  created_at: number;
  activated_at: number | null;
  retired_at: number | null;
  revoked_at: number | null;
  revocation_reason: string | null;
  next_rotation_at: number | null;
  signatures: Generated<number>;
  destroyed_at: number | null;
}

export interface CertificatesTable {
  kid: string;
  ca_id: string;
  serial: string;
  chain_pem: string;
  not_before: number;
  not_after: number;
  ocsp_url: string;
  status: string;
  revoked_at: number | null;
  revocation_reason: string | null;
}

export interface LocalCasTable {
  ca_id: string;
  root_cert_pem: string;
  encrypted_root_key: string;
}

export interface ClientsTable {
  id: string;
  role: string;
  token_id: string;
  secret_hash: string;
  created_at: number;
}

export interface AuditEventsTable {
  seq: Generated<number>;
  at: number;
  actor: string;
  action: string;
  subject: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
}

export interface Database {
  requests: RequestsTable;
  keys: KeysTable;
  certificates: CertificatesTable;
  local_cas: LocalCasTable;
  clients: ClientsTable;
  audit_events: AuditEventsTable;
}
