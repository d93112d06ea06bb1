/**
 * What the HTTP layer and the CLI may ask of the service. Implemented by
 * KeyRotationService; `http/` depends on this interface only.
 */
import type {
  CAHealth,
  PublicJwk,
  RequestRecord,
  RequestStatus,
  Role,
  StatusView,
} from '../domain/types.js';

export interface AuthenticatedClient {
  id: string;
  role: Role;
}

export interface SubmitBody {
  data: unknown;
  processor?: string;
  callbackUrl?: string;
}

export type { StatusView } from '../domain/types.js';

export interface CaView {
  id: string;
  type: 'local' | 'cfssl';
  url: string;
  rootUrl: string;
  healthy: boolean;
  state: CAHealth['state'];
  lastCheck: string | null;
  lastError: string | null;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'unavailable';
  activeKid: string | null;
  queue: Record<RequestStatus, number>;
  cas: CaView[];
}

export interface RevokeResult {
  revokedKid: string;
  /** Null when no replacement could be certified yet (too few CAs reachable). */
  activeKid: string | null;
}

export interface KeyView {
  kid: string;
  algorithm: string;
  status: string;
  createdAt: string;
  activatedAt: string | null;
  retiredAt: string | null;
  revokedAt: string | null;
  revocationReason: string | null;
  nextRotationAt: string | null;
  signatures: number;
}

export interface AuditEntryView {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

export interface SignetApi {
  /** Resolves a bearer token to its client, in constant time per candidate; undefined when unknown. */
  authenticate(bearerToken: string): Promise<AuthenticatedClient | undefined>;
  submit(
    client: AuthenticatedClient,
    body: SubmitBody,
    idempotencyKey?: string,
  ): Promise<{ record: RequestRecord; created: boolean }>;
  /** Throws ERR_NOT_FOUND for unknown ids and for other clients' requests (unless admin). */
  /** `current`: the request as the caller just read or stored it, so that it need not be read again. */
  status(
    client: AuthenticatedClient,
    requestId: string,
    waitMs: number,
    current?: RequestRecord,
  ): Promise<StatusView>;
  revoke(actor: AuthenticatedClient, kid: string, reason: string): Promise<RevokeResult>;
  health(): Promise<HealthReport>;
  jwks(): Promise<{ keys: PublicJwk[] }>;
  /** PEM chain, leaf first. Throws ERR_NOT_FOUND. */
  certificateChain(kid: string, caId: string): Promise<string>;
  cas(): Promise<CaView[]>;
  /** Throws ERR_NOT_FOUND. */
  caRootPem(caId: string): Promise<string>;
  /** Compact JWS of the revocation list. */
  revocations(): Promise<string>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** DER OCSP request in, DER OCSP response out, for a built-in CA. Throws ERR_NOT_FOUND. */
  ocsp(caId: string, requestDer: Uint8Array): Promise<Uint8Array>;
  /** Admin: every key with its lifecycle times; the active one with its next rotation. */
  keys(): Promise<KeyView[]>;
  /** Admin: activates the next key now; the current one is retired. */
  rotate(actor: AuthenticatedClient): Promise<{ previousKid: string | null; activeKid: string }>;
  /** Admin: audit entries after `after` (a sequence number), oldest first. */
  audit(after: number, limit: number): Promise<{ entries: AuditEntryView[]; next: number | null }>;
}
