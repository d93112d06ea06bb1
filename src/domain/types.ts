/** Core data structures of the specification, plus the small value types they use. */

export const ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export type RequestStatus = 'queued' | 'processing' | 'completed' | 'failed';
export type KeyStatus = 'pending' | 'active' | 'retired' | 'revoked' | 'destroyed';
export type Role = 'client' | 'admin';

/** A public JWK as published in JWKS (never holds private members). */
export interface PublicJwk {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

/** RequestEnvelope: original request data, request id and initiating client. */
export interface RequestEnvelope {
  requestId: string;
  clientId: string;
  data: unknown;
  processor: string;
  callbackUrl?: string;
  receivedAt: Date;
}

/** Where a verifier finds a CA that validated a token. */
export interface CALocation {
  id: string;
  x5u: string;
  ocsp: string;
}

/** SignedResponse: the decoded view of a token. */
export interface SignedResponse {
  data: unknown;
  signature: string;
  kid: string;
  caLocations: CALocation[];
}

/** A request as `GET /status` answers it (and `POST /request` with `Prefer: wait` once settled). */
export interface StatusView {
  requestId: string;
  status: RequestStatus;
  token?: string;
  signedResponse?: SignedResponse;
  error?: string;
}

/**
 * KeyRotationRecord: a key with its lifecycle. The private half is only an
 * opaque reference (an encrypted blob for software keys, a handle for PKCS#11).
 */
export interface KeyRotationRecord {
  kid: string;
  algorithm: Algorithm;
  status: KeyStatus;
  publicJwk: PublicJwk;
  privateKeyRef: string;
  createdAt: Date;
  activatedAt?: Date;
  retiredAt?: Date;
  revokedAt?: Date;
  revocationReason?: string;
  nextRotationAt?: Date;
  destroyedAt?: Date;
  /** Tokens this key has signed (completed requests). */
  signatures?: number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CAHealth {
  healthy: boolean;
  state: CircuitState;
  lastCheck?: Date;
  lastError?: string;
}

/** CAInfo: a configured CA, its trust parameters and health. */
export interface CAInfo {
  id: string;
  type: 'local' | 'cfssl';
  url: string;
  trust: { rootsPem: string[]; validFrom?: Date; validTo?: Date };
  health: CAHealth;
}

/** A certificate that a CA issued for a signing key. */
export interface IssuedCertificate {
  kid: string;
  caId: string;
  serial: string;
  /** PEM chain, leaf first, ending before (or at) the CA root. */
  chainPem: string;
  notBefore: Date;
  notAfter: Date;
  ocspUrl: string;
  status: 'good' | 'revoked';
  revokedAt?: Date;
  revocationReason?: string;
}

export interface RequestRecord {
  requestId: string;
  clientId: string;
  status: RequestStatus;
  data: unknown;
  processor: string;
  callbackUrl?: string;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
  token?: string;
  signedResponse?: SignedResponse;
  error?: string;
}

export interface RevocationEntry {
  kid: string;
  reason: string;
  revokedAt: Date;
}
