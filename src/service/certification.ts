import type { Logger } from 'pino';
import { SignetError } from '../domain/errors.js';
import type { CertificateAuthority, CertificateRepository, LoadedKey } from '../domain/ports.js';
import { createCsr } from '../ca/csr.js';

export interface CertificationOutcome {
  /** CAs holding a certificate for the key afterwards (issued now or before). */
  certified: string[];
  failures: Array<{ caId: string; reason: string }>;
}

/** Has every configured CA certify a new key, and tells them when a key is revoked. */
export class Certification {
  /** Certifications under way in this process, by kid and CA: never two at once. */
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly cas: CertificateAuthority[],
    private readonly certificates: CertificateRepository,
    private readonly required: number,
    private readonly logger: Logger,
    /** CAs reported down are not waited for when a key is created; the reconciler catches them up. */
    private readonly isHealthy: (caId: string) => boolean = () => true,
  ) {}

  /** Certifies a new key at every CA; throws unless `required` CAs hold a certificate for it. */
  async certify(key: LoadedKey): Promise<void> {
    const up = this.cas.filter((ca) => this.isHealthy(ca.id));
    const { certified, failures } = await this.complete(key, up);
    for (const ca of this.cas.filter((candidate) => !up.includes(candidate))) {
      failures.push({ caId: ca.id, reason: 'circuit open' });
    }
    if (certified.length < this.required) {
      // The key will be discarded: withdraw the certificates some CAs did issue for it.
      await this.revoke(key.record.kid, 'cessationOfOperation');
      throw new SignetError(
        'ERR_CA_UNAVAILABLE',
        `only ${certified.length} CAs certified the new key, ${this.required} required`,
        { retryable: true, detail: { failures } },
      );
    }
    for (const failure of failures) {
      this.logger.warn(failure, 'a CA did not certify the new key; it will be retried');
    }
  }

  /** Asks each CA in `cas` (default: all) that has no certificate for the key yet to issue one. */
  async complete(
    key: LoadedKey,
    cas: CertificateAuthority[] = this.cas,
  ): Promise<CertificationOutcome> {
    const kid = key.record.kid;
    let csr: Promise<string> | undefined;
    const csrPem = () =>
      (csr ??= createCsr({
        kid,
        privateKey: key.privateKey,
        publicKey: key.publicKey,
        // A key held in a token signs its CSR there.
        ...(key.sign ? { sign: key.sign.bind(key) } : {}),
      }));
    const outcomes = await Promise.allSettled(cas.map((ca) => this.#certifyAt(ca, kid, csrPem)));
    const result: CertificationOutcome = { certified: [], failures: [] };
    outcomes.forEach((outcome, index) => {
      const caId = cas[index]?.id ?? '?';
      if (outcome.status === 'fulfilled') result.certified.push(caId);
      else result.failures.push({ caId, reason: reasonOf(outcome.reason) });
    });
    return result;
  }

  #certifyAt(ca: CertificateAuthority, kid: string, csrPem: () => Promise<string>): Promise<void> {
    const key = `${kid}\u0000${ca.id}`;
    let pending = this.#inFlight.get(key);
    if (!pending) {
      pending = (async () => {
        if (await this.certificates.get(kid, ca.id)) return;
        await ca.certify({ kid, csrPem: await csrPem() });
      })().finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  /**
   * Revokes the key's certificate at every CA that issued one and has not
   * revoked it yet (optionally only at the CAs `only` accepts); returns the CAs that failed.
   */
  async revoke(kid: string, reason: string, only?: (caId: string) => boolean): Promise<string[]> {
    const certificates = await this.certificates.listForKey(kid);
    const failed: string[] = [];
    await Promise.all(
      certificates.map(async (cert) => {
        const ca = this.cas.find((candidate) => candidate.id === cert.caId);
        if (!ca || cert.status === 'revoked' || (only && !only(ca.id))) return;
        try {
          await ca.revoke(cert, reason);
        } catch (err) {
          failed.push(cert.caId);
          this.logger.error(
            { caId: cert.caId, kid, reason: reasonOf(err) },
            'revocation at a CA failed; it will be retried',
          );
        }
      }),
    );
    return failed;
  }
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
