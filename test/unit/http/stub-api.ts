/**
 * StubSignetApi: a small hand-written stub of the service port (SignetApi),
 * used only to test the HTTP adapter in isolation. It mimics the contract the
 * real service keeps where the adapter depends on it (ownership → ERR_NOT_FOUND,
 * idempotent submit, unknown ids → ERR_NOT_FOUND) and records what it was asked.
 * The real service is tested end-to-end elsewhere.
 */
import { randomUUID } from 'node:crypto';
import type { SignetConfig } from '../../../src/config/loader.js';
import type { HttpConfig } from '../../../src/http/routes/context.js';
import { SignetError } from '../../../src/domain/errors.js';
import type { PublicJwk, RequestRecord } from '../../../src/domain/types.js';
import type {
  AuditEntryView,
  AuthenticatedClient,
  KeyView,
  CaView,
  HealthReport,
  RevokeResult,
  SignetApi,
  StatusView,
  SubmitBody,
} from '../../../src/service/api.js';

export const TOKENS = {
  alice: 'alice-token-0123456789',
  bob: 'bob-token-0123456789',
  admin: 'admin-token-0123456789',
} as const;

const CLIENTS: Record<string, AuthenticatedClient> = {
  [TOKENS.alice]: { id: 'alice', role: 'client' },
  [TOKENS.bob]: { id: 'bob', role: 'client' },
  [TOKENS.admin]: { id: 'root', role: 'admin' },
};

export const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

const CA: CaView = {
  id: 'local-a',
  type: 'local',
  url: 'http://127.0.0.1:8080/ca/local-a',
  rootUrl: 'http://127.0.0.1:8080/cas/local-a/root.pem',
  healthy: true,
  state: 'closed',
  lastCheck: '2024-01-01T00:00:00.000Z',
  lastError: null,
};

interface Stored {
  record: RequestRecord;
  idempotencyKey: string | undefined;
}

export class StubSignetApi implements SignetApi {
  healthStatus: HealthReport['status'] = 'ok';
  /** When set, every call but authenticate throws it. */
  fault: Error | undefined;
  readonly submits: { client: AuthenticatedClient; body: SubmitBody; key?: string }[] = [];
  readonly statusCalls: { requestId: string; waitMs: number }[] = [];
  readonly revokes: { actor: string; kid: string; reason: string }[] = [];
  readonly rotations: string[] = [];
  readonly auditQueries: { after: number; limit: number }[] = [];
  private readonly requests = new Map<string, Stored>();

  async authenticate(token: string): Promise<AuthenticatedClient | undefined> {
    return CLIENTS[token];
  }

  async submit(client: AuthenticatedClient, body: SubmitBody, idempotencyKey?: string) {
    this.check();
    this.submits.push({ client, body, key: idempotencyKey });
    if (idempotencyKey !== undefined) {
      for (const stored of this.requests.values()) {
        if (stored.record.clientId === client.id && stored.idempotencyKey === idempotencyKey) {
          return { record: stored.record, created: false };
        }
      }
    }
    const now = new Date();
    const record: RequestRecord = {
      requestId: randomUUID(),
      clientId: client.id,
      status: 'queued',
      data: body.data,
      processor: body.processor ?? 'notarize',
      attempts: 0,
      createdAt: now,
      updatedAt: now,
    };
    this.requests.set(record.requestId, { record, idempotencyKey });
    return { record, created: true };
  }

  async status(client: AuthenticatedClient, requestId: string, waitMs: number) {
    this.check();
    this.statusCalls.push({ requestId, waitMs });
    const stored = this.requests.get(requestId);
    if (!stored || (client.role !== 'admin' && stored.record.clientId !== client.id)) {
      throw new SignetError('ERR_NOT_FOUND', 'no such request');
    }
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs).unref());
    const view: StatusView = { requestId, status: stored.record.status };
    return view;
  }

  async revoke(actor: AuthenticatedClient, kid: string, reason: string): Promise<RevokeResult> {
    this.check();
    if (kid !== 'kid-1') throw new SignetError('ERR_KEY_NOT_FOUND', `no key ${kid}`);
    this.revokes.push({ actor: actor.id, kid, reason });
    return { revokedKid: kid, activeKid: 'kid-2' };
  }

  async health(): Promise<HealthReport> {
    this.check();
    return {
      status: this.healthStatus,
      activeKid: 'kid-1',
      queue: { queued: 1, processing: 0, completed: 2, failed: 0 },
      cas: [CA],
    };
  }

  async jwks(): Promise<{ keys: PublicJwk[] }> {
    this.check();
    // `d` must never reach a client: the reply schema is expected to drop it.
    const leaky = { kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'kid-1', d: 'SECRET' };
    return { keys: [leaky as PublicJwk] };
  }

  async certificateChain(kid: string, caId: string): Promise<string> {
    this.check();
    if (kid !== 'kid-1' || caId !== 'local-a') throw new SignetError('ERR_NOT_FOUND', 'no chain');
    return PEM;
  }

  async cas(): Promise<CaView[]> {
    this.check();
    return [CA];
  }

  async caRootPem(caId: string): Promise<string> {
    this.check();
    if (caId !== 'local-a') throw new SignetError('ERR_NOT_FOUND', 'no such CA');
    return PEM;
  }

  async revocations(): Promise<string> {
    this.check();
    return 'eyJhbGciOiJFZERTQSJ9.eyJyZXZva2VkIjpbXX0.c2ln';
  }

  async metrics(): Promise<{ contentType: string; body: string }> {
    this.check();
    return {
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      body: '# TYPE signet_requests_total counter\nsignet_requests_total 3\n',
    };
  }

  async ocsp(caId: string, requestDer: Uint8Array): Promise<Uint8Array> {
    this.check();
    if (caId !== 'local-a') throw new SignetError('ERR_NOT_FOUND', 'no such CA');
    return requestDer;
  }

  async keys(): Promise<KeyView[]> {
    this.check();
    return [
      {
        kid: 'kid-1',
        algorithm: 'EdDSA',
        status: 'active',
        createdAt: '2026-01-01T00:00:00.000Z',
        activatedAt: '2026-01-01T00:00:00.000Z',
        retiredAt: null,
        revokedAt: null,
        revocationReason: null,
        nextRotationAt: '2026-01-08T00:00:00.000Z',
        signatures: 2,
      },
    ];
  }

  async rotate(
    actor: AuthenticatedClient,
  ): Promise<{ previousKid: string | null; activeKid: string }> {
    this.check();
    this.rotations.push(actor.id);
    return { previousKid: 'kid-1', activeKid: 'kid-2' };
  }

  async audit(
    after: number,
    limit: number,
  ): Promise<{ entries: AuditEntryView[]; next: number | null }> {
    this.check();
    this.auditQueries.push({ after, limit });
    return { entries: [], next: null };
  }

  private check(): void {
    if (this.fault) throw this.fault;
  }
}

export type ServerConfig = HttpConfig;

export function testConfig(server: Partial<SignetConfig['server']> = {}): ServerConfig {
  return {
    publicUrl: 'https://signet.example',
    keys: { jwksMaxAge: 300_000 },
    server: {
      host: '127.0.0.1',
      port: 0,
      bodyLimit: 4096,
      rateLimit: { max: 1000, window: 60_000 },
      metricsPublic: true,
      maxWait: 5_000,
      ...server,
    },
  };
}
