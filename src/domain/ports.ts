/**
 * Ports: the interfaces the service depends on. Adapters (store, CAs, key
 * backends, processors) implement them; nothing here does I/O.
 */
import type { webcrypto } from 'node:crypto';
import type {
  Algorithm,
  IssuedCertificate,
  KeyRotationRecord,
  KeyStatus,
  PublicJwk,
  RequestEnvelope,
  RequestRecord,
  RequestStatus,
  Role,
  SignedResponse,
} from './types.js';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

// ---------------------------------------------------------------- queue

export interface NewRequest {
  clientId: string;
  data: unknown;
  processor: string;
  callbackUrl?: string;
  idempotencyKey?: string;
  /** Fingerprint of the submission, to refuse an idempotency key reused with other content ('' without a key). */
  fingerprint: string;
  /**
   * Store it already leased to this worker (the instance that accepted it
   * processes it at once, without claiming it); another worker takes it only
   * once the lease expires, as with any claimed request.
   */
  lease?: { owner: string; leaseMs: number };
}

export interface ClaimedRequest {
  envelope: RequestEnvelope;
  attempts: number;
}

export interface CompletedResult {
  token: string;
  signedResponse: SignedResponse;
  kid: string;
}

/** Why a completion was, or was not, recorded. */
export type CompleteOutcome = 'completed' | 'lease-lost' | 'key-revoked';

export interface RequestQueue {
  /** Stores a new request, or returns the earlier one for the same client and idempotency key. */
  enqueue(input: NewRequest): Promise<{ record: RequestRecord; created: boolean }>;
  /** Leases up to `limit` due requests (queued and due, or with an expired lease). */
  claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedRequest[]>;
  /**
   * Completes a request. Succeeds only while `owner` still holds the lease and
   * the signing key is still active: a revoked key never completes a request.
   */
  complete(requestId: string, owner: string, result: CompletedResult): Promise<CompleteOutcome>;
  /** Deletes up to `limit` settled requests older than `cutoff`; how many it deleted. */
  deleteSettledBefore?(cutoff: Date, limit: number): Promise<number>;
  /** Puts a leased request back, due after `delayMs`. */
  retry(requestId: string, owner: string, error: string, delayMs: number): Promise<boolean>;
  /** Ends a leased request as failed with a reason. */
  fail(requestId: string, owner: string, error: string): Promise<boolean>;
  /** Gives back leases held by `owner` (graceful shutdown), leaving the work queued. */
  releaseAll(owner: string): Promise<number>;
  get(requestId: string): Promise<RequestRecord | undefined>;
  counts(): Promise<Record<RequestStatus, number>>;
  /** Earliest time at which some queued or leased request becomes claimable. */
  nextDueAt(): Promise<Date | undefined>;
}

/** Wakes workers as soon as work is enqueued (in-process events; LISTEN/NOTIFY on PostgreSQL). */
export interface WorkNotifier {
  notify(): void;
  subscribe(listener: () => void): () => void;
}

// ---------------------------------------------------------------- coordination

/** A committed change of a key's status (rotation, revocation, destruction). */
export interface KeyChange {
  kid: string;
  status: KeyStatus;
}

/** Tells every instance about committed key changes (in-process for SQLite; NOTIFY on PostgreSQL). */
export interface KeyChangeNotifier {
  /** `undefined`: changes may have been missed (e.g. a reconnection); re-read what you cache. */
  subscribe(listener: (change: KeyChange | undefined) => void): () => void;
}

/**
 * Leadership among the instances that share one store: exactly one instance at
 * a time runs the singleton duties (scheduled rotation, CA health probes).
 * SQLite: always the leader; PostgreSQL: an advisory lock held on a dedicated
 * connection, taken over by another instance when its holder dies.
 */
export interface LeaderLock {
  isLeader(): boolean;
  /** Called on every gain or loss of leadership. Returns an unsubscribe function. */
  onChange(listener: (leader: boolean) => void): () => void;
  /** Starts campaigning; resolves after the first attempt. */
  start(): Promise<void>;
  /** Steps down and stops campaigning. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------- keys

/** A change of active key: see KeyRepository.swapActive. */
export interface SwapActive {
  expectedActiveKid: string | undefined;
  newKid: string;
  outcome: 'retired' | 'revoked';
  reason?: string;
  at: Date;
  /** When the newly active key is due to be replaced. */
  nextRotationAt?: Date;
}

export interface KeyRepository {
  insert(record: KeyRotationRecord): Promise<void>;
  get(kid: string): Promise<KeyRotationRecord | undefined>;
  getActive(): Promise<KeyRotationRecord | undefined>;
  list(statuses?: KeyStatus[]): Promise<KeyRotationRecord[]>;
  /**
   * In one transaction: if `expectedActiveKid` is still the active key (or no key
   * is active when it is undefined), retire or revoke it and make `newKid` active.
   * Returns false when another rotation won (compare-and-set).
   */
  swapActive(args: SwapActive): Promise<boolean>;
  /** Erases the private key reference of a retired key past retention. Returns false if not retired. */
  destroy(kid: string, at: Date): Promise<boolean>;
  /** Revokes a key (even the active one, leaving none active). Returns false if it was already revoked. */
  revoke(kid: string, reason: string, at: Date): Promise<boolean>;
}

/** A key ready to sign: WebCrypto handles for signing and for building a CSR. */
export interface LoadedKey {
  record: KeyRotationRecord;
  /**
   * A software key's WebCrypto handle. For a key held in a token this only
   * describes the key (type, algorithm); every use goes through `sign`.
   */
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
  /**
   * Signs where the private key lives (a PKCS#11 token), returning the signature
   * in JWS form (ECDSA: raw r||s). Present when `privateKey` cannot be used directly.
   */
  sign?(signingInput: Uint8Array): Promise<Uint8Array>;
}

/** Where private keys live: software (encrypted at rest) or a PKCS#11 token. */
export interface KeyBackend {
  generate(algorithm: Algorithm): Promise<{ publicJwk: PublicJwk; privateKeyRef: string }>;
  load(record: KeyRotationRecord): Promise<LoadedKey>;
  /** Erases the private key where the backend keeps it (a token object); software keys need nothing. */
  destroy?(record: KeyRotationRecord): Promise<void>;
  /** Releases what the backend holds open (PKCS#11 sessions and module). */
  close?(): Promise<void>;
}

// ---------------------------------------------------------------- CAs

export interface CertificateRepository {
  insert(cert: IssuedCertificate): Promise<void>;
  get(kid: string, caId: string): Promise<IssuedCertificate | undefined>;
  listForKey(kid: string): Promise<IssuedCertificate[]>;
  findBySerial(caId: string, serial: string): Promise<IssuedCertificate | undefined>;
  markRevoked(caId: string, serial: string, reason: string, at: Date): Promise<void>;
}

/** Persistent state of a built-in CA: its root certificate and encrypted root key. */
export interface LocalCaState {
  caId: string;
  rootCertPem: string;
  encryptedRootKey: string;
}

export interface LocalCaRepository {
  get(caId: string): Promise<LocalCaState | undefined>;
  /** Inserts if absent; returns the state that is stored afterwards (first writer wins). */
  initialize(state: LocalCaState): Promise<LocalCaState>;
}

export interface CertificationRequest {
  kid: string;
  csrPem: string;
}

/** One CA, built-in or external. */
export interface CertificateAuthority {
  readonly id: string;
  readonly type: 'local' | 'cfssl';
  /** Where a verifier reaches this CA (base URL). */
  readonly url: string;
  /** Trust anchors (PEM) of this CA. */
  rootsPem(): Promise<string[]>;
  /** When the trust anchors are trusted at all (like Sigstore's trusted-root validity). */
  readonly trustWindow?: { validFrom?: Date; validTo?: Date };
  certify(request: CertificationRequest): Promise<IssuedCertificate>;
  revoke(cert: IssuedCertificate, reason: string): Promise<void>;
  /** Sends a DER OCSP request to the CA's responder and returns the DER answer. */
  ocsp(url: string, requestDer: Uint8Array): Promise<Uint8Array>;
  /** Throws when the CA cannot be reached. */
  probe(): Promise<void>;
}

// ---------------------------------------------------------------- clients, audit

export interface ApiClient {
  id: string;
  role: Role;
  createdAt: Date;
}

export interface ClientRepository {
  /** Adds a client, or gives an existing client id a new role and token. */
  upsert(client: {
    id: string;
    role: Role;
    tokenId: string;
    secretHash: string;
    at: Date;
  }): Promise<void>;
  findByTokenId(tokenId: string): Promise<(ApiClient & { secretHash: string }) | undefined>;
  list(): Promise<ApiClient[]>;
  countByRole(role: Role): Promise<number>;
}

export interface AuditEvent {
  actor: string;
  action: string;
  subject?: string;
  details?: Record<string, unknown>;
}

export interface AuditLog {
  append(event: AuditEvent): Promise<void>;
}

// ---------------------------------------------------------------- processors

/** The "asynchronous process" that produces the response data of a request. */
export interface Processor {
  readonly name: string;
  run(envelope: RequestEnvelope): Promise<unknown>;
}
