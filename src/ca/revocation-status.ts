import type { CertificateAuthority, Clock } from '../domain/ports.js';
import type { IssuedCertificate } from '../domain/types.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { CrlChecker } from './crl-client.js';
import type { OcspCache } from './ocsp-cache.js';
import { buildOcspRequest, type OcspResult, parseOcspResponse } from './ocsp-client.js';

export interface RevocationStatusOptions {
  clock: Clock;
  ocspCache: OcspCache;
  /** CRL fallback for certificates that name a distribution point. */
  crl?: CrlChecker;
}

export interface StatusQuery {
  ca: CertificateAuthority;
  certificate: IssuedCertificate;
  leafPem: string;
  issuerPem: string;
  breaker: CircuitBreaker;
  /** Skip the cache: the answer must come from the CA now (a half-open trial). */
  fresh?: boolean;
}

/**
 * The revocation status of a certificate at its CA: a cached OCSP answer, a
 * fresh OCSP round trip, or, when the responder cannot be reached, the CRL.
 * The CA's circuit breaker hears of OCSP transport outcomes, except when the
 * CRL could still vouch for the certificate.
 */
export class RevocationStatus {
  constructor(private readonly options: RevocationStatusOptions) {}

  async check(query: StatusQuery): Promise<OcspResult> {
    const { ca, certificate, leafPem, issuerPem, breaker } = query;
    const { ocspCache, clock } = this.options;
    if (!query.fresh) {
      const cached = ocspCache.get(ca.id, certificate.serial);
      if (cached) return cached;
    }
    let unreachable: unknown = new Error(`CA ${ca.id} names no OCSP responder`);
    if (certificate.ocspUrl) {
      const request = buildOcspRequest(leafPem, issuerPem, { nonce: true });
      let response: Uint8Array | undefined;
      try {
        response = await ca.ocsp(certificate.ocspUrl, request.der);
      } catch (err) {
        unreachable = err;
      }
      if (response) {
        breaker.recordSuccess();
        const result = parseOcspResponse(response, {
          leafPem,
          issuerPem,
          now: clock.now(),
          ...(request.nonce ? { nonce: request.nonce } : {}),
        });
        ocspCache.set(ca.id, certificate.serial, result);
        return result;
      }
    }
    return this.#fallBackToCrl(query, unreachable);
  }

  async #fallBackToCrl(query: StatusQuery, unreachable: unknown): Promise<OcspResult> {
    let crlFailure: unknown;
    try {
      const result = await this.options.crl?.status(query.leafPem, query.issuerPem);
      if (result) return result;
    } catch (err) {
      crlFailure = err;
    }
    if (query.certificate.ocspUrl) query.breaker.recordFailure(unreachable);
    if (crlFailure === undefined) throw unreachable;
    throw new Error(`${message(unreachable)}; CRL fallback: ${message(crlFailure)}`, {
      cause: crlFailure,
    });
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
