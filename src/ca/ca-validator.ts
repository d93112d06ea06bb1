import { createHash, type KeyObject } from 'node:crypto';
import { SignetError } from '../domain/errors.js';
import type { CertificateAuthority, CertificateRepository, Clock } from '../domain/ports.js';
import { ALGORITHMS, type Algorithm, type IssuedCertificate } from '../domain/types.js';
import { inlineJwsCrypto, type JwsCrypto } from '../signing/jws-crypto.js';
import { protectedHeaderOf, splitCompact } from '../signing/one-shot-jws.js';
import type { CaHealthMonitor } from './ca-health.js';
import { ValidatedChainCache } from './chain-cache.js';
import type { CrlChecker } from './crl-client.js';
import { leafPublicKey } from './leaf-keys.js';
import type { OcspCache } from './ocsp-cache.js';
import type { OcspResult } from './ocsp-client.js';
import { RevocationStatus } from './revocation-status.js';
import type { x509 } from './x509.js';

export interface CAValidatorOptions {
  /** In the configured order: the first ones are preferred. */
  cas: CertificateAuthority[];
  certificates: CertificateRepository;
  health: CaHealthMonitor;
  /** How many CAs must validate a key. */
  required: number;
  clock: Clock;
  ocspCache: OcspCache;
  /** CRL fallback when a certificate's OCSP responder cannot be reached. */
  crl?: CrlChecker;
  /** Where signatures are checked: inline by default, or on signing threads. */
  crypto?: JwsCrypto;
}

/** A CA that vouched for a key: its certificate chain is valid and OCSP says good. */
export interface ValidatedCa {
  caId: string;
  certificate: IssuedCertificate;
  leafPem: string;
  /** base64url SHA-256 of the leaf DER: the JWS `x5t#S256`. */
  x5tS256: string;
  ocspUrl: string;
}

interface Failure {
  caId: string;
  reason: string;
}

/** Validates signing keys against the configured CAs, in order, failing over when one is down. */
export class CAValidator {
  readonly #status: RevocationStatus;
  /** A key's chain is validated once per validity window, not once per signature. */
  readonly #chains = new ValidatedChainCache();

  constructor(private readonly options: CAValidatorOptions) {
    this.#status = new RevocationStatus({
      clock: options.clock,
      ocspCache: options.ocspCache,
      ...(options.crl ? { crl: options.crl } : {}),
    });
  }

  async validateKey(kid: string): Promise<ValidatedCa[]> {
    const { cas, required } = this.options;
    const validated: ValidatedCa[] = [];
    const failures: Failure[] = [];
    for (const ca of cas) {
      if (validated.length >= required) break;
      const outcome = await this.#validateAt(ca, kid);
      if ('reason' in outcome) failures.push(outcome);
      else validated.push(outcome);
    }
    if (validated.length < required) {
      const reasons = failures.map((f) => `${f.caId}: ${f.reason}`).join('; ');
      throw new SignetError(
        'ERR_CA_UNAVAILABLE',
        `key ${kid} validated at ${validated.length} of ${required} required CAs (${reasons || 'no CA configured'})`,
        { retryable: true, detail: { kid, required, validated: validated.length, failures } },
      );
    }
    return validated;
  }

  /** The keys of the validated certificates, in order: what `verifySignature` checks with. */
  signatureKeys(validated: readonly ValidatedCa[]): KeyObject[] {
    return validated.map((ca) => {
      try {
        return leafPublicKey(ca.leafPem);
      } catch (err) {
        fail(`the key of the certificate from ${ca.caId} cannot be read`, err);
      }
    });
  }

  /**
   * Verifies the compact JWS with the key of every validated certificate.
   * `checks[i]`, when given, is whether the signature verified with
   * `signatureKeys(validated)[i]`, checked where it was made (one job on a
   * signing thread instead of two); without one (or null) it is verified
   * here. The header is read and matched here all the same.
   */
  async verifySignature(
    validated: ValidatedCa[],
    jws: string,
    checks?: readonly (boolean | null)[],
  ): Promise<void> {
    if (validated.length === 0) fail('no validated CA certificate to verify the signature with');
    const header = protectedHeaderOf(jws);
    const parts = splitCompact(jws);
    if (!header || !parts) fail('the JWS is malformed');
    if (!ALGORITHMS.includes(header.alg as Algorithm)) {
      fail(`unsupported JWS alg ${String(header.alg)}`);
    }
    const alg = header.alg as Algorithm;
    const { kid } = header;
    const { input, signature } = parts;
    const crypto = this.options.crypto ?? inlineJwsCrypto;
    // Certificates of the same key share a KeyObject (leafPublicKey): verified here once for all.
    let verifiedHere: Map<KeyObject, boolean> | undefined;
    for (const [index, ca] of validated.entries()) {
      if (kid !== ca.certificate.kid) {
        fail(`the JWS kid does not match the certificate from ${ca.caId}`);
      }
      let verified: boolean | null | undefined;
      try {
        const key = leafPublicKey(ca.leafPem);
        verified = checks?.[index] ?? verifiedHere?.get(key);
        if (verified == null) {
          verified = await crypto.verify(alg, input, signature, key);
          (verifiedHere ??= new Map()).set(key, verified);
        }
      } catch (err) {
        fail(`the signature does not verify with the certificate from ${ca.caId}`, err);
      }
      if (!verified) fail(`the signature does not verify with the certificate from ${ca.caId}`);
    }
  }

  async #validateAt(ca: CertificateAuthority, kid: string): Promise<ValidatedCa | Failure> {
    const breaker = this.options.health.breaker(ca.id);
    if (!breaker.canAttempt()) return { caId: ca.id, reason: 'circuit open' };
    // A half-open breaker lets this call through as its trial: it must reach the CA, not the cache.
    const trial = breaker.state === 'half-open';
    const certificate = await this.options.certificates.get(kid, ca.id);
    if (!certificate) return { caId: ca.id, reason: 'no certificate for this key' };

    let roots: string[];
    try {
      roots = await ca.rootsPem();
    } catch (err) {
      breaker.recordFailure(err);
      return { caId: ca.id, reason: `roots unavailable: ${message(err)}` };
    }
    let chain: { leafPem: string; issuerPem: string; x5tS256: string };
    let status: OcspResult;
    try {
      const at = this.options.clock.now();
      const { path } = await this.#chains.validate({
        chainPem: certificate.chainPem,
        rootsPem: roots,
        at,
        ...ca.trustWindow,
      });
      const [leaf, issuer] = path;
      if (!leaf || !issuer) throw new Error('the certificate path is incomplete');
      chain = { leafPem: pem(leaf), issuerPem: pem(issuer), x5tS256: thumbprint(leaf) };
      status = await this.#status.check({
        ca,
        certificate,
        leafPem: chain.leafPem,
        issuerPem: chain.issuerPem,
        breaker,
        fresh: trial,
      });
    } catch (err) {
      return { caId: ca.id, reason: message(err) };
    }
    if (status.status === 'revoked') {
      throw new SignetError('ERR_KEY_REVOKED', `CA ${ca.id} reports key ${kid} revoked`, {
        detail: { kid, caId: ca.id, reason: status.reason, revokedAt: status.revokedAt },
      });
    }
    if (status.status !== 'good') return { caId: ca.id, reason: 'OCSP status unknown' };
    return {
      caId: ca.id,
      certificate,
      leafPem: chain.leafPem,
      x5tS256: chain.x5tS256,
      ocspUrl: certificate.ocspUrl,
    };
  }
}

function pem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem')}\n`;
}

function thumbprint(cert: x509.X509Certificate): string {
  return createHash('sha256').update(Buffer.from(cert.rawData)).digest('base64url');
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function fail(reason: string, cause?: unknown): never {
  throw new SignetError('ERR_CA_VALIDATION_FAILED', reason, cause === undefined ? {} : { cause });
}
