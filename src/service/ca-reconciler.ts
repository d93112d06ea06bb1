import type { Logger } from 'pino';
import type {
  CertificateAuthority,
  CertificateRepository,
  KeyRepository,
  LoadedKey,
} from '../domain/ports.js';
import type { KeyRotationRecord } from '../domain/types.js';
import type { Certification } from './certification.js';

export interface CaReconcilerOptions {
  cas: CertificateAuthority[];
  keys: KeyRepository;
  certificates: CertificateRepository;
  certification: Certification;
  loadKey(record: KeyRotationRecord): Promise<LoadedKey>;
  /** CAs whose breaker is open are left for a later pass. */
  isHealthy(caId: string): boolean;
  logger: Logger;
}

export interface ReconcileReport {
  certified: Array<{ kid: string; caId: string }>;
  revoked: Array<{ kid: string; caId: string }>;
  failures: number;
}

/**
 * Brings the CAs in line with the keys, from the stored state alone (no
 * queue of its own): every live key (pending, active, retired) gets a
 * certificate from every CA that has none yet, and every certificate of a
 * revoked key that is still good is revoked at its CA. CAs that were down
 * when a key was created or revoked are caught up this way once they are back.
 */
export class CaReconciler {
  readonly #options: CaReconcilerOptions;
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<ReconcileReport> | undefined;

  constructor(options: CaReconcilerOptions) {
    this.#options = options;
  }

  /** One pass over the keys; a call during a pass shares that pass. */
  reconcile(): Promise<ReconcileReport> {
    this.#pass ??= this.#run().finally(() => {
      this.#pass = undefined;
    });
    return this.#pass;
  }

  start(intervalMs: number): void {
    this.stop();
    const run = () =>
      void this.reconcile().catch((err: unknown) =>
        this.#options.logger.error({ err }, 'reconciling keys with the CAs failed'),
      );
    run();
    this.#timer = setInterval(run, intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a pass under way. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pass?.catch(() => undefined);
  }

  async #run(): Promise<ReconcileReport> {
    const report: ReconcileReport = { certified: [], revoked: [], failures: 0 };
    const { keys } = this.#options;
    for (const record of await keys.list(['pending', 'active', 'retired'])) {
      await this.#certifyMissing(record, report);
    }
    for (const record of await keys.list(['revoked'])) {
      await this.#revokeRemaining(record, report);
    }
    return report;
  }

  async #certifyMissing(record: KeyRotationRecord, report: ReconcileReport): Promise<void> {
    const { cas, certificates, certification, isHealthy, logger } = this.#options;
    const held = new Set((await certificates.listForKey(record.kid)).map((cert) => cert.caId));
    const missing = cas.filter((ca) => !held.has(ca.id) && isHealthy(ca.id));
    if (missing.length === 0) return;
    let key: LoadedKey;
    try {
      key = await this.#options.loadKey(record);
    } catch (err) {
      report.failures += 1;
      logger.error({ err, kid: record.kid }, 'cannot load a key to certify it');
      return;
    }
    const outcome = await certification.complete(key, missing);
    for (const caId of outcome.certified) {
      report.certified.push({ kid: record.kid, caId });
      logger.info({ kid: record.kid, caId }, 'a CA certified a key it had missed');
    }
    for (const failure of outcome.failures) {
      report.failures += 1;
      logger.warn({ kid: record.kid, ...failure }, 'a CA still does not certify the key');
    }
  }

  async #revokeRemaining(record: KeyRotationRecord, report: ReconcileReport): Promise<void> {
    const { cas, certificates, certification, isHealthy, logger } = this.#options;
    const known = new Set(cas.map((ca) => ca.id));
    const due = (await certificates.listForKey(record.kid))
      .filter((cert) => cert.status === 'good' && known.has(cert.caId) && isHealthy(cert.caId))
      .map((cert) => cert.caId);
    if (due.length === 0) return;
    const reason = record.revocationReason ?? 'unspecified';
    const failed = await certification.revoke(record.kid, reason, (caId) => due.includes(caId));
    report.failures += failed.length;
    for (const caId of due.filter((id) => !failed.includes(id))) {
      report.revoked.push({ kid: record.kid, caId });
      logger.info({ kid: record.kid, caId }, 'a revocation reached a CA that had missed it');
    }
  }
}
