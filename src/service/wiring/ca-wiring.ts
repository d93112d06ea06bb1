import type { Logger } from 'pino';
import { CAValidator } from '../../ca/ca-validator.js';
import { CaHealthMonitor } from '../../ca/ca-health.js';
import { CrlChecker } from '../../ca/crl-client.js';
import { OcspCache } from '../../ca/ocsp-cache.js';
import type { SignetConfig } from '../../config/loader.js';
import type { CertificateAuthority, Clock, LoadedKey } from '../../domain/ports.js';
import type { KeyRotationRecord } from '../../domain/types.js';
import type { JwsCrypto } from '../../signing/jws-crypto.js';
import type { Store } from '../../store/index.js';
import { CaReconciler } from '../ca-reconciler.js';
import { Certification } from '../certification.js';

export interface CaWiring {
  health: CaHealthMonitor;
  caValidator: CAValidator;
  certification: Certification;
  /** Built once the KeyManager exists (it loads keys to rebuild their CSRs). */
  reconcilerFor(loadKey: (record: KeyRotationRecord) => Promise<LoadedKey>): CaReconciler;
}

/** CA health (audited), validation and certification around the configured CAs. */
export function wireCas(
  config: SignetConfig,
  cas: CertificateAuthority[],
  deps: { store: Store; clock: Clock; logger: Logger; crypto: JwsCrypto },
): CaWiring {
  const { store, clock, logger, crypto } = deps;
  // Half an interval open: the next periodic probe is always the trial, so recovery takes one interval.
  const health = new CaHealthMonitor({
    cas,
    clock,
    openMs: Math.max(1, Math.floor(config.validation.healthInterval / 2)),
  });
  health.onChange((caId, before, after) => {
    logger.warn({ caId, healthy: after.healthy, lastError: after.lastError }, 'CA health changed');
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
    crypto,
  });
  const isHealthy = (caId: string) => health.health(caId).healthy;
  const certification = new Certification(
    cas,
    store.certificates,
    config.validation.required,
    logger,
    isHealthy,
  );
  const reconcilerFor = (loadKey: (record: KeyRotationRecord) => Promise<LoadedKey>) => {
    const reconciler = new CaReconciler({
      cas,
      keys: store.keys,
      certificates: store.certificates,
      certification,
      loadKey,
      isHealthy,
      logger,
    });
    // A CA that comes back is caught up at once, not only at the next pass.
    health.onChange((_caId, _before, after) => {
      if (after.healthy && store.leader.isLeader()) {
        void reconciler.reconcile().catch(() => undefined);
      }
    });
    return reconciler;
  };
  return { health, caValidator, certification, reconcilerFor };
}
