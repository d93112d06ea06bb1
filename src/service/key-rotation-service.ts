import type { Logger } from 'pino';
import type { SignetConfig } from '../config/loader.js';
import {
  type CertificateAuthority,
  type Clock,
  type KeyBackend,
  systemClock,
} from '../domain/ports.js';
import type { CaHealthMonitor } from '../ca/ca-health.js';
import { KeyEncryption } from '../keys/key-encryption.js';
import { KeyManager } from '../keys/key-manager.js';
import { KeyLifecycleScheduler } from '../keys/lifecycle-scheduler.js';
import { scheduleFromConfig } from '../keys/schedule.js';
import { loadMasterKey } from '../keys/master-key.js';
import { jwsCryptoFor, type JwsCrypto } from '../signing/jws-crypto.js';
import { SignatureGenerator } from '../signing/signature-generator.js';
import { openStore, type Store } from '../store/index.js';
import { ApiTokens } from './api-tokens.js';
import { createCertificateAuthorities } from './ca-factory.js';
import { CaReconciler } from './ca-reconciler.js';
import { createKeyBackend } from './key-backend-factory.js';
import { AsynchronousWorker } from './asynchronous-worker.js';
import { CompletionWaiter } from './completion-waiter.js';
import { SignetMetrics } from './metrics.js';
import { OutboundGuard } from './outbound-guard.js';
import { KeyCacheSync } from './key-cache-sync.js';
import { LeaderDuties } from './leader-duties.js';
import { RequestRetention } from './request-retention.js';
import type { ServiceApi } from './service-api.js';
import { wireApi } from './wiring/api-wiring.js';
import { wireCas } from './wiring/ca-wiring.js';
import { createProcessors, wireWorker } from './wiring/worker-wiring.js';

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
  jwsCrypto: JwsCrypto;
}

export class KeyRotationService {
  readonly config: SignetConfig;
  readonly store: Store;
  readonly api: ServiceApi;
  readonly keyManager: KeyManager;
  readonly tokens: ApiTokens;
  readonly cas: CertificateAuthority[];
  /** The CAs' circuit breakers, as validation and the probes see them. */
  readonly health: CaHealthMonitor;
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
      health: this.health,
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
    const jwsCrypto = jwsCryptoFor();
    const { health, caValidator, certification, reconcilerFor } = wireCas(config, cas, {
      store,
      crypto: jwsCrypto,
      clock,
      logger,
    });
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
    const reconciler = reconcilerFor((record) => keyManager.load(record));
    const processors = createProcessors(config, clock);
    const signatureGenerator = new SignatureGenerator(jwsCrypto);
    const guard = new OutboundGuard(config.callbacks.allowedHosts);
    const { worker, waiter } = wireWorker(config, {
      store,
      keyManager,
      caValidator,
      health,
      signatureGenerator,
      processors,
      guard,
      metrics,
      clock,
      logger,
    });
    const tokens = new ApiTokens(store.clients, clock);
    const api = wireApi(config, {
      store,
      tokens,
      keyManager,
      cas,
      localOcsp,
      health,
      processors,
      guard,
      waiter,
      reserveWorker: () => worker.reserve(),
      signatureGenerator,
      metrics,
      clock,
    });
    const lifecycle = new KeyLifecycleScheduler({
      keyManager,
      keys: store.keys,
      clock,
      prepublishMs: config.keys.prepublish,
      retainMs: config.keys.retain,
      logger,
    });
    const retention = new RequestRetention({
      queue: store.requests,
      clock,
      logger,
      retainMs: config.queue.retainCompleted,
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
        { name: 'request-retention', start: () => retention.start(), stop: () => retention.stop() },
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
      jwsCrypto,
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
    const { keyManager, health, duties, keyCacheSync, worker, logger, store, jwsCrypto } =
      this.#parts;
    await store.leader.start();
    const key = await keyManager.getKeyForSigning();
    logger.info({ kid: key.record.kid, leader: store.leader.isLeader() }, 'signing key ready');
    await health.probeAll();
    await duties.start();
    keyCacheSync.start();
    jwsCrypto.start();
    store.startBackgroundWork();
    worker.start();
  }

  /** Stops the worker (finishing or releasing leased work) and closes the store. */
  async stop(): Promise<void> {
    const { waiter, worker, health, lifecycle, reconciler, store, keyBackend } = this.#parts;
    const { duties, keyCacheSync, jwsCrypto } = this.#parts;
    waiter.close();
    keyCacheSync.stop();
    await duties.stop();
    lifecycle.stop();
    await worker.stop();
    await jwsCrypto.close();
    health.stop();
    await reconciler.stop();
    await keyBackend.close?.();
    await store.close();
  }
}
