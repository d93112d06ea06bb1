import { SignetError } from '../domain/errors.js';
import type {
  CertificateAuthority,
  CertificateRepository,
  Clock,
  KeyRepository,
  RequestQueue,
} from '../domain/ports.js';
import type { CAHealth, PublicJwk, RequestRecord, RequestStatus } from '../domain/types.js';
import type { KeyManager } from '../keys/key-manager.js';
import type {
  AuthenticatedClient,
  CaView,
  HealthReport,
  RevokeResult,
  SignetApi,
  StatusView,
  SubmitBody,
} from './api.js';
import type { AdminOperations } from './admin-operations.js';
import type { ApiTokens } from './api-tokens.js';
import { signedResponseOf } from '../signing/token-generator.js';
import type { CompletionWaiter } from './completion-waiter.js';
import type { SignetMetrics } from './metrics.js';
import type { RequestProcessor } from './request-processor.js';
import type { RevocationList } from './revocation-list.js';
import { ShortLivedMemo } from './short-lived-memo.js';

export interface ServiceApiDeps {
  tokens: ApiTokens;
  requestProcessor: RequestProcessor;
  queue: RequestQueue;
  waiter: CompletionWaiter;
  keyManager: KeyManager;
  keys: KeyRepository;
  certificates: CertificateRepository;
  cas: CertificateAuthority[];
  caHealth(caId: string): CAHealth;
  revocationList: RevocationList;
  metrics: SignetMetrics;
  clock: Clock;
  publicUrl: string;
  required: number;
  retainMs: number;
  /** Answers OCSP requests for the built-in CAs. */
  localOcsp: ReadonlyMap<string, (der: Uint8Array) => Promise<Uint8Array>>;
  admin: AdminOperations;
}

/** Re-read the store this often while long-polling: another process may settle the request. */
const STATUS_POLL_MS = 500;

function settled(record: RequestRecord): boolean {
  return record.status === 'completed' || record.status === 'failed';
}

/**
 * Counting requests by status reads the whole table (tens of ms at a million
 * rows): health checks and scrapes that come close together share one count.
 */
export const QUEUE_COUNTS_REUSE_MS = 1000;

/** The service as the HTTP layer and the CLI see it. */
export class ServiceApi implements SignetApi {
  readonly #counts: ShortLivedMemo<'all', Record<RequestStatus, number>>;

  constructor(private readonly deps: ServiceApiDeps) {
    this.#counts = new ShortLivedMemo(QUEUE_COUNTS_REUSE_MS, () => deps.queue.counts());
  }

  authenticate(bearerToken: string): Promise<AuthenticatedClient | undefined> {
    return this.deps.tokens.authenticate(bearerToken);
  }

  async submit(client: AuthenticatedClient, body: SubmitBody, idempotencyKey?: string) {
    const result = await this.deps.requestProcessor.submit(client, body, idempotencyKey);
    if (result.created) this.deps.metrics.submitted.inc();
    return result;
  }

  async status(
    client: AuthenticatedClient,
    requestId: string,
    waitMs: number,
    current?: RequestRecord,
  ): Promise<StatusView> {
    // Settled by this process a moment ago: answered from memory, as the store would.
    const recent = this.deps.waiter.recent(requestId);
    if (recent && (recent.clientId === client.id || client.role === 'admin')) return recent.view;
    const deadline = Date.now() + waitMs;
    let record = current ?? (await this.find(client, requestId));
    while (!settled(record) && Date.now() < deadline && !this.deps.waiter.closed) {
      const wait = Math.min(STATUS_POLL_MS, deadline - Date.now());
      const settledHere = await this.deps.waiter.wait(requestId, wait);
      // Settled by this process: the worker said how, no need to read it back.
      if (settledHere?.clientId === record.clientId) return settledHere.view;
      record = await this.find(client, requestId);
    }
    return {
      requestId: record.requestId,
      status: record.status,
      ...(record.token ? { token: record.token } : {}),
      ...(record.signedResponse
        ? { signedResponse: record.signedResponse }
        : record.token
          ? { signedResponse: signedResponseOf(record.token) }
          : {}),
      ...(record.status === 'failed' && record.error ? { error: record.error } : {}),
    };
  }

  private async find(client: AuthenticatedClient, requestId: string): Promise<RequestRecord> {
    const record = await this.deps.queue.get(requestId);
    // Another client's request is indistinguishable from a missing one.
    if (!record || (record.clientId !== client.id && client.role !== 'admin')) {
      throw new SignetError('ERR_NOT_FOUND', `no request ${requestId}`);
    }
    return record;
  }

  async revoke(actor: AuthenticatedClient, kid: string, reason: string): Promise<RevokeResult> {
    const { activeKid } = await this.deps.keyManager.revoke(kid, reason, `client:${actor.id}`);
    this.deps.metrics.rotations.inc({ event: 'revoked' });
    return { revokedKid: kid, activeKid };
  }

  async health(): Promise<HealthReport> {
    const [active, queue, cas] = await Promise.all([
      this.deps.keys.getActive(),
      this.#counts.get('all'),
      this.cas(),
    ]);
    const healthy = cas.filter((ca) => ca.healthy).length;
    const status =
      !active || healthy < this.deps.required
        ? 'unavailable'
        : healthy < cas.length
          ? 'degraded'
          : 'ok';
    return { status, activeKid: active?.kid ?? null, queue, cas };
  }

  async jwks(): Promise<{ keys: PublicJwk[] }> {
    const now = this.deps.clock.now().getTime();
    const keys = await this.deps.keys.list(['active', 'pending', 'retired']);
    const live = keys.filter(
      (key) =>
        key.status !== 'retired' || (key.retiredAt?.getTime() ?? 0) + this.deps.retainMs > now,
    );
    return {
      keys: live.map((key) => ({ ...key.publicJwk, kid: key.kid, alg: key.algorithm, use: 'sig' })),
    };
  }

  async certificateChain(kid: string, caId: string): Promise<string> {
    const cert = await this.deps.certificates.get(kid, caId);
    if (!cert)
      throw new SignetError('ERR_NOT_FOUND', `no certificate for key ${kid} from CA ${caId}`);
    return cert.chainPem;
  }

  async cas(): Promise<CaView[]> {
    return this.deps.cas.map((ca) => {
      const health = this.deps.caHealth(ca.id);
      return {
        id: ca.id,
        type: ca.type,
        url: ca.url,
        rootUrl: `${this.deps.publicUrl}/cas/${ca.id}/root.pem`,
        healthy: health.healthy,
        state: health.state,
        lastCheck: health.lastCheck?.toISOString() ?? null,
        lastError: health.lastError ?? null,
      };
    });
  }

  async caRootPem(caId: string): Promise<string> {
    const ca = this.deps.cas.find((candidate) => candidate.id === caId);
    if (!ca) throw new SignetError('ERR_NOT_FOUND', `no CA ${caId}`);
    return (await ca.rootsPem()).join('');
  }

  async revocations(): Promise<string> {
    const key = await this.deps.keyManager.getKeyForSigning();
    return this.deps.revocationList.build(key, this.deps.clock.now());
  }

  async metrics(): Promise<{ contentType: string; body: string }> {
    const { metrics } = this.deps;
    for (const [status, n] of Object.entries(await this.#counts.get('all')))
      metrics.queueDepth.set({ status }, n);
    for (const ca of this.deps.cas)
      metrics.caHealthy.set({ ca: ca.id }, this.deps.caHealth(ca.id).healthy ? 1 : 0);
    return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
  }

  async ocsp(caId: string, requestDer: Uint8Array): Promise<Uint8Array> {
    const responder = this.deps.localOcsp.get(caId);
    if (!responder) throw new SignetError('ERR_NOT_FOUND', `no OCSP responder for CA ${caId}`);
    return responder(requestDer);
  }

  keys() {
    return this.deps.admin.keys();
  }

  rotate(actor: AuthenticatedClient) {
    return this.deps.admin.rotate(actor);
  }

  audit(after: number, limit: number) {
    return this.deps.admin.audit(after, limit);
  }
}
