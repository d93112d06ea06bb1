import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { CAValidator } from '../ca/ca-validator.js';
import { CaHealthMonitor } from '../ca/ca-health.js';
import { CrlChecker } from '../ca/crl-client.js';
import { OcspCache } from '../ca/ocsp-cache.js';
import type { SignetConfig } from '../config/loader.js';
import {
  type CertificateAuthority,
  type Clock,
  type KeyBackend,
  type Processor,
  systemClock,
} from '../domain/ports.js';
import { KeyEncryption } from '../keys/key-encryption.js';
import { KeyManager } from '../keys/key-manager.js';
import { KeyLifecycleScheduler } from '../keys/lifecycle-scheduler.js';
import { scheduleFromConfig } from '../keys/schedule.js';
import { loadMasterKey } from '../keys/master-key.js';
import { HttpUpstreamProcessor } from '../processors/http-upstream.js';
import { NotarizeProcessor } from '../processors/notarize.js';
import { SignatureGenerator } from '../signing/signature-generator.js';
import { TokenGenerator } from '../signing/token-generator.js';
import { openStore, type Store } from '../store/index.js';
import { readAuditPage } from '../store/audit-pages.js';
import { AdminOperations } from './admin-operations.js';
import { ApiTokens } from './api-tokens.js';
import { createCertificateAuthorities } from './ca-factory.js';
import { CaReconciler } from './ca-reconciler.js';
import { createKeyBackend } from './key-backend-factory.js';
import { AsynchronousWorker } from './asynchronous-worker.js';
import { CallbackSender } from './callback-sender.js';
import { Certification } from './certification.js';
import { CompletionWaiter } from './completion-waiter.js';
import { SignetMetrics } from './metrics.js';
import { OutboundGuard } from './outbound-guard.js';
import { RequestProcessor } from './request-processor.js';
import { ResponseAssembler } from './response-assembler.js';
import { RevocationList } from './revocation-list.js';
import { KeyCacheSync } from './key-cache-sync.js';
import { LeaderDuties } from './leader-duties.js';
import { ServiceApi } from './service-api.js';
import { SigningPipeline } from './signing-pipeline.js';

export interface ServiceOptions {
  logger: Logger;
  clock?: Clock;
}

/**
 * The composition root: the one place that reads the config and constructs
 * adapters. `start()` runs the worker and the CA health probes; the CLI uses
 * the same service without starting them.
 */
interface Components {
  config: SignetConfig;
  store: Store;
  api: ServiceApi;
  keyManager: KeyManager;
  tokens: ApiTokens;
  cas: CertificateAuthority[];
  worker: AsynchronousWorker;
  health: CaHealthMonitor;
  lifecycle: KeyLifecycleScheduler;
  reconciler: CaReconciler;
  duties: LeaderDuties;
  keyCacheSync: KeyCacheSync;
  waiter: CompletionWaiter;
  logger: Logger;
  keyBackend: KeyBackend;
}

export class KeyRotationService {
  readonly config: SignetConfig;
  readonly store: Store;
  readonly api: ServiceApi;
  readonly keyManager: KeyManager;
  readonly tokens: ApiTokens;
  readonly cas: CertificateAuthority[];
  readonly #parts: Components;

  private constructor(parts: Components) {
    this.#parts = parts;
    ({
      config: this.config,
      store: this.store,
      api: this.api,
      keyManager: this.keyManager,
      tokens: this.tokens,
      cas: this.cas,
    } = parts);
  }

  static async create(config: SignetConfig, options: ServiceOptions): Promise<KeyRotationService> {
    const { logger } = options;
    const clock = options.clock ?? systemClock;
    const master = loadMasterKey(config.masterKeyBase64, config.dataDir);
    if (master.generatedPath) {
      logger.warn(
        { path: master.generatedPath },
        'generated a master key in the data dir; set SIGNET_MASTER_KEY in production',
      );
    }
    const encryption = new KeyEncryption(master.key);
    const store = await openStore(config.storage, clock);
    try {
      return await KeyRotationService.compose(config, store, encryption, clock, logger);
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  private static async compose(
    config: SignetConfig,
    store: Store,
    encryption: KeyEncryption,
    clock: Clock,
    logger: Logger,
  ): Promise<KeyRotationService> {
    const { cas, localOcsp } = await createCertificateAuthorities(config, {
      store,
      encryption,
      clock,
    });

    const metrics = new SignetMetrics();
    // Half an interval open: the next periodic probe is always the trial, so recovery takes one interval.
    const health = new CaHealthMonitor({
      cas,
      clock,
      openMs: Math.max(1, Math.floor(config.validation.healthInterval / 2)),
    });
    health.onChange((caId, before, after) => {
      logger.warn(
        { caId, healthy: after.healthy, lastError: after.lastError },
        'CA health changed',
      );
      void store.audit
        .append({
          actor: 'system',
          action: after.healthy ? 'ca.healthy' : 'ca.unhealthy',
          subject: caId,
          details: { from: before.state, to: after.state },
        })
        .catch((err: unknown) => logger.error({ err }, 'audit append failed'));
    });
    const caValidator = new CAValidator({
      cas,
      certificates: store.certificates,
      health,
      required: config.validation.required,
      clock,
      ocspCache: new OcspCache(clock),
      crl: new CrlChecker({ clock }),
    });
    const certification = new Certification(
      cas,
      store.certificates,
      config.validation.required,
      logger,
      (caId) => health.health(caId).healthy,
    );
    const keyBackend = createKeyBackend(config, encryption);
    const keyManager = new KeyManager({
      keys: store.keys,
      backend: keyBackend,
      algorithm: config.keys.algorithm,
      clock,
      audit: store.audit,
      certify: (key) => certification.certify(key),
      revokeAtCas: async (kid, reason) => {
        await certification.revoke(kid, reason);
      },
      schedule: scheduleFromConfig(config.keys.rotation),
      prepublishMs: config.keys.prepublish,
      retainMs: config.keys.retain,
      ...(config.keys.maxSignatures ? { maxSignatures: config.keys.maxSignatures } : {}),
      runsDueRotations: () => store.leader.isLeader(),
    });
    const reconciler = new CaReconciler({
      cas,
      keys: store.keys,
      certificates: store.certificates,
      certification,
      loadKey: (record) => keyManager.load(record),
      isHealthy: (caId) => health.health(caId).healthy,
      logger,
    });
    // A CA that comes back is caught up at once, not only at the next pass.
    health.onChange((_caId, _before, after) => {
      if (after.healthy && store.leader.isLeader())
        void reconciler.reconcile().catch(() => undefined);
    });

    const processors = new Map<string, Processor>([['notarize', new NotarizeProcessor(clock)]]);
    if (config.processors.http) {
      processors.set(
        'http',
        new HttpUpstreamProcessor({
          url: config.processors.http.url,
          timeoutMs: config.processors.http.timeout,
        }),
      );
    }
    const signatureGenerator = new SignatureGenerator();
    const pipeline = new SigningPipeline({
      keyManager,
      processors,
      signatureGenerator,
      caValidator,
      responseAssembler: new ResponseAssembler(),
      tokenGenerator: new TokenGenerator(config.publicUrl),
      clock,
      publicUrl: config.publicUrl,
    });
    const guard = new OutboundGuard(config.callbacks.allowedHosts);
    const callbacks = new CallbackSender(guard, config.callbacks.timeout, logger);
    const notifier = store.notifier;
    const waiter = new CompletionWaiter();
    const worker = new AsynchronousWorker({
      queue: store.requests,
      notifier,
      pipeline: (envelope) => pipeline.run(envelope),
      owner: `worker-${randomUUID()}`,
      leaseMs: config.queue.lease,
      batchSize: config.queue.batchSize,
      concurrency: config.queue.concurrency,
      maxAttempts: config.queue.maxAttempts,
      backoffMs: config.queue.backoff,
      maxBackoffMs: config.queue.maxBackoff,
      onAllDown: config.validation.onAllDown,
      clock,
      logger,
      onSettled: (requestId, outcome) => {
        waiter.settled(requestId);
        metrics.settled.inc({ outcome });
        void store.requests
          .get(requestId)
          .then((record) => {
            if (!record) return;
            metrics.latency.observe((clock.now().getTime() - record.createdAt.getTime()) / 1000);
            if (record.callbackUrl) {
              void callbacks.send(record.callbackUrl, {
                requestId,
                status: outcome,
                statusUrl: `${config.publicUrl}/status/${requestId}`,
              });
            }
          })
          // E.g. the database went away right after the completion: an unhandled rejection
          // would end the process.
          .catch((err: unknown) =>
            logger.warn({ err, requestId }, 'could not read a settled request back'),
          );
      },
    });
    const tokens = new ApiTokens(store.clients, clock);
    const api = new ServiceApi({
      tokens,
      requestProcessor: new RequestProcessor({
        queue: store.requests,
        notifier,
        processors: new Set(processors.keys()),
        defaultProcessor: config.processors.default,
        checkCallbackUrl: (url) => void guard.check(url),
      }),
      queue: store.requests,
      waiter,
      keyManager,
      keys: store.keys,
      certificates: store.certificates,
      cas,
      caHealth: (caId) => health.health(caId),
      revocationList: new RevocationList(store.keys, signatureGenerator, config.publicUrl),
      metrics,
      clock,
      publicUrl: config.publicUrl,
      required: config.validation.required,
      retainMs: config.keys.retain,
      localOcsp,
      admin: new AdminOperations({
        keys: store.keys,
        keyManager,
        audit: store.audit,
        readAudit: (after, limit) => readAuditPage(store.db, after, limit),
      }),
    });
    const lifecycle = new KeyLifecycleScheduler({
      keyManager,
      keys: store.keys,
      clock,
      prepublishMs: config.keys.prepublish,
      retainMs: config.keys.retain,
      logger,
    });
    const interval = config.validation.healthInterval;
    // Several instances on PostgreSQL: only the leader probes, reconciles and rotates on schedule.
    const duties = new LeaderDuties(
      store.leader,
      [
        {
          name: 'ca-health-probes',
          start: () => health.start(interval),
          stop: () => health.stop(),
        },
        {
          name: 'ca-reconciler',
          start: () => reconciler.start(interval),
          stop: () => reconciler.stop(),
        },
        { name: 'key-lifecycle', start: () => lifecycle.start(), stop: () => lifecycle.stop() },
      ],
      logger,
    );
    const keyCacheSync = new KeyCacheSync({
      changes: store.keyChanges,
      keys: store.keys,
      keyManager,
      logger,
    });
    return new KeyRotationService({
      keyBackend,
      config,
      store,
      api,
      keyManager,
      tokens,
      cas,
      worker,
      health,
      lifecycle,
      reconciler,
      duties,
      keyCacheSync,
      waiter,
      logger,
    });
  }

  /** Seeds the admin token: SIGNET_ADMIN_TOKEN, or a generated one returned once on first start. */
  async seedAdmin(): Promise<string | undefined> {
    if (this.config.adminToken) {
      await this.tokens.register('admin', 'admin', this.config.adminToken);
      return undefined;
    }
    if ((await this.store.clients.countByRole('admin')) > 0) return undefined;
    return this.tokens.add('admin', 'admin');
  }

  /**
   * Catches up a missed rotation (once, by the leader), probes the CAs once,
   * then runs the worker, and the singleton duties (lifecycle, CA probes,
   * reconciliation) while this instance leads.
   */
  async start(): Promise<void> {
    const { keyManager, health, duties, keyCacheSync, worker, logger, store } = this.#parts;
    await store.leader.start();
    const key = await keyManager.getKeyForSigning();
    logger.info({ kid: key.record.kid, leader: store.leader.isLeader() }, 'signing key ready');
    await health.probeAll();
    await duties.start();
    keyCacheSync.start();
    worker.start();
  }

  /** Stops the worker (finishing or releasing leased work) and closes the store. */
  async stop(): Promise<void> {
    const { waiter, worker, health, lifecycle, reconciler, store, keyBackend } = this.#parts;
    const { duties, keyCacheSync } = this.#parts;
    waiter.close();
    keyCacheSync.stop();
    await duties.stop();
    lifecycle.stop();
    await worker.stop();
    health.stop();
    await reconciler.stop();
    await keyBackend.close?.();
    await store.close();
  }
}
