import type { CaHealthMonitor } from '../../ca/ca-health.js';
import type { SignetConfig } from '../../config/loader.js';
import type { CertificateAuthority, Clock, Processor } from '../../domain/ports.js';
import type { KeyManager } from '../../keys/key-manager.js';
import type { SignatureGenerator } from '../../signing/signature-generator.js';
import { readAuditPage } from '../../store/audit-pages.js';
import type { Store } from '../../store/index.js';
import { AdminOperations } from '../admin-operations.js';
import type { Reservation } from '../asynchronous-worker.js';
import type { ApiTokens } from '../api-tokens.js';
import type { CompletionWaiter } from '../completion-waiter.js';
import type { SignetMetrics } from '../metrics.js';
import type { OutboundGuard } from '../outbound-guard.js';
import { RequestProcessor } from '../request-processor.js';
import { RevocationList } from '../revocation-list.js';
import { ServiceApi } from '../service-api.js';

export interface ApiDeps {
  store: Store;
  tokens: ApiTokens;
  keyManager: KeyManager;
  cas: CertificateAuthority[];
  localOcsp: ReadonlyMap<string, (der: Uint8Array) => Promise<Uint8Array>>;
  health: CaHealthMonitor;
  processors: ReadonlyMap<string, Processor>;
  guard: OutboundGuard;
  waiter: CompletionWaiter;
  /** A free slot of this process's worker for a request being submitted (see AsynchronousWorker.reserve). */
  reserveWorker(): Reservation | undefined;
  signatureGenerator: SignatureGenerator;
  metrics: SignetMetrics;
  clock: Clock;
}

/** The service as the HTTP layer and the CLI see it. */
export function wireApi(config: SignetConfig, deps: ApiDeps): ServiceApi {
  const { store, keyManager, guard } = deps;
  return new ServiceApi({
    tokens: deps.tokens,
    requestProcessor: new RequestProcessor({
      queue: store.requests,
      notifier: store.notifier,
      processors: new Set(deps.processors.keys()),
      defaultProcessor: config.processors.default,
      checkCallbackUrl: (url) => void guard.check(url),
      reserveWorker: deps.reserveWorker,
    }),
    queue: store.requests,
    waiter: deps.waiter,
    keyManager,
    keys: store.keys,
    certificates: store.certificates,
    cas: deps.cas,
    caHealth: (caId) => deps.health.health(caId),
    revocationList: new RevocationList(store.keys, deps.signatureGenerator, config.publicUrl),
    metrics: deps.metrics,
    clock: deps.clock,
    publicUrl: config.publicUrl,
    required: config.validation.required,
    retainMs: config.keys.retain,
    localOcsp: deps.localOcsp,
    admin: new AdminOperations({
      keys: store.keys,
      keyManager,
      audit: store.audit,
      readAudit: (after, limit) => readAuditPage(store.db, after, limit),
    }),
  });
}
