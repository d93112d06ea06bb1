import type { Logger } from 'pino';
import { SignetError } from '../domain/errors.js';
import type { CertificateAuthority, CertificateRepository, LoadedKey } from '../domain/ports.js';
import { createCsr } from '../ca/csr.js';

/** Has every configured CA certify a new key, and tells them when a key is revoked. */
export class Certification {
  constructor(
    private readonly cas: CertificateAuthority[],
    private readonly certificates: CertificateRepository,
    private readonly required: number,
    private readonly logger: Logger,
  ) {}

  async certify(key: LoadedKey): Promise<void> {
    const kid = key.record.kid;
    const csrPem = await createCsr({
      kid,
      privateKey: key.privateKey,
      publicKey: key.publicKey,
      ...(key.sign ? { sign: key.sign.bind(key) } : {}),
    });
    const outcomes = await Promise.allSettled(
      this.cas.map(async (ca) => {
        if (await this.certificates.get(kid, ca.id)) return;
        await ca.certify({ kid, csrPem });
      }),
    );
    const failures = outcomes.flatMap((outcome, index) =>
      outcome.status === 'rejected'
        ? [{ caId: this.cas[index]?.id, reason: String((outcome.reason as Error).message) }]
        : [],
    );
    for (const failure of failures) this.logger.warn(failure, 'a CA did not certify the new key');
    if (outcomes.length - failures.length < this.required) {
      throw new SignetError(
        'ERR_CA_UNAVAILABLE',
        `only ${outcomes.length - failures.length} CAs certified the new key, ${this.required} required`,
        {
          retryable: true,
          detail: { failures },
        },
      );
    }
  }

  /** Revokes the key's certificate at every CA that issued one; returns the CAs that failed. */
  async revoke(kid: string, reason: string): Promise<string[]> {
    const certificates = await this.certificates.listForKey(kid);
    const failed: string[] = [];
    for (const cert of certificates) {
      const ca = this.cas.find((candidate) => candidate.id === cert.caId);
      if (!ca || cert.status === 'revoked') continue;
      try {
        await ca.revoke(cert, reason);
      } catch (err) {
        failed.push(cert.caId);
        this.logger.error(
          { caId: cert.caId, kid, reason: (err as Error).message },
          'revocation at a CA failed',
        );
      }
    }
    return failed;
  }
}
