import { SignetError } from '../domain/errors.js';
import type {
  CertificateAuthority,
  CertificateRepository,
  CertificationRequest,
  Clock,
} from '../domain/ports.js';
import type { IssuedCertificate } from '../domain/types.js';
import { cfsslCall, isNotFound } from './cfssl-api.js';
import { validateChain } from './chain.js';
import { caHttp } from './http-client.js';
import { CRL_REASONS } from './ocsp-asn1.js';
import { x509 } from './x509.js';

export interface CfsslCaOptions {
  id: string;
  /** Base URL of `cfssl serve` (or multirootca), e.g. http://127.0.0.1:8888. */
  url: string;
  /** Trust anchors (PEM), from the configured root files. */
  rootsPem: string[];
  /** OCSP responder to ask; when unset, the one named in each certificate (AIA). */
  ocspUrl?: string;
  validFrom?: Date;
  validTo?: Date;
  certificates: CertificateRepository;
  clock: Clock;
  /** Time limit of each call to the CA. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_OCSP_BYTES = 64 * 1024;

/**
 * An external CA run with CloudFlare's cfssl: certificates through its
 * signing API (the CA only ever sees the CSR), revocation through its
 * revoke API (which needs a certdb), health through its info API, and
 * OCSP over HTTP POST to its responder.
 */
export class CfsslCertificateAuthority implements CertificateAuthority {
  readonly type = 'cfssl' as const;
  readonly id: string;
  readonly url: string;
  readonly trustWindow: { validFrom?: Date; validTo?: Date };
  readonly #options: CfsslCaOptions;
  readonly #timeoutMs: number;

  constructor(options: CfsslCaOptions) {
    if (options.rootsPem.length === 0) {
      throw new SignetError('ERR_CONFIG_INVALID', `CA ${options.id} has no trusted root`);
    }
    this.#options = options;
    this.id = options.id;
    this.url = options.url.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.trustWindow = {
      ...(options.validFrom ? { validFrom: options.validFrom } : {}),
      ...(options.validTo ? { validTo: options.validTo } : {}),
    };
  }

  async rootsPem(): Promise<string[]> {
    return [...this.#options.rootsPem];
  }

  async certify(request: CertificationRequest): Promise<IssuedCertificate> {
    const csr = new x509.Pkcs10CertificateRequest(request.csrPem);
    const result = await cfsslCall(
      this.url,
      'sign',
      { certificate_request: request.csrPem },
      this.#timeoutMs,
    ).catch((err: unknown) => {
      throw explainSignFailure(err);
    });
    const certificatePem = (result as { certificate?: unknown } | null)?.certificate;
    if (typeof certificatePem !== 'string') {
      throw new SignetError('ERR_CA_UNAVAILABLE', `cfssl CA ${this.id} returned no certificate`, {
        retryable: true,
      });
    }
    const issued = await this.#describe(request.kid, certificatePem, csr);
    try {
      await this.#options.certificates.insert(issued);
      return issued;
    } catch (err) {
      // Another worker or instance certified the same key meanwhile: keep theirs, withdraw ours.
      const existing = await this.#options.certificates.get(request.kid, this.id);
      if (!existing) throw err;
      await this.#revokeAtCa(issued, 'superseded').catch(() => undefined);
      return existing;
    }
  }

  async revoke(cert: IssuedCertificate, reason: string): Promise<void> {
    if (cert.caId !== this.id) {
      throw new SignetError(
        'ERR_VALIDATION',
        `certificate ${cert.serial} was not issued by ${this.id}`,
      );
    }
    await this.#revokeAtCa(cert, reason);
    await this.#options.certificates.markRevoked(
      this.id,
      cert.serial,
      reason,
      this.#options.clock.now(),
    );
  }

  async ocsp(url: string, requestDer: Uint8Array): Promise<Uint8Array> {
    if (!url) {
      throw new SignetError('ERR_CA_UNAVAILABLE', `CA ${this.id} names no OCSP responder`, {
        retryable: true,
      });
    }
    const response = await caHttp(url, {
      method: 'POST',
      body: requestDer,
      contentType: 'application/ocsp-request',
      accept: 'application/ocsp-response',
      timeoutMs: this.#timeoutMs,
      maxBytes: MAX_OCSP_BYTES,
    });
    if (response.status !== 200) {
      throw new SignetError(
        'ERR_CA_UNAVAILABLE',
        `the OCSP responder of CA ${this.id} answered HTTP ${response.status}`,
        { retryable: true },
      );
    }
    return response.body;
  }

  async probe(): Promise<void> {
    await cfsslCall(this.url, 'info', {}, this.#timeoutMs);
  }

  /** Checks what the CA returned (our key, a valid chain to a configured root) and records it. */
  async #describe(
    kid: string,
    certificatePem: string,
    csr: x509.Pkcs10CertificateRequest,
  ): Promise<IssuedCertificate> {
    let leaf: x509.X509Certificate;
    try {
      leaf = new x509.X509Certificate(certificatePem);
    } catch (cause) {
      throw new SignetError('ERR_CA_VALIDATION_FAILED', `CA ${this.id} returned no valid X.509`, {
        cause,
      });
    }
    if (!sameBytes(leaf.publicKey.rawData, csr.publicKey.rawData)) {
      throw new SignetError(
        'ERR_CA_VALIDATION_FAILED',
        `CA ${this.id} certified a key other than the one in the CSR`,
      );
    }
    const roots = this.#options.rootsPem;
    const { path } = await validateChain({
      chainPem: [pem(leaf), ...roots].join(''),
      rootsPem: roots,
      at: this.#options.clock.now(),
    });
    return {
      kid,
      caId: this.id,
      serial: leaf.serialNumber.toLowerCase(),
      chainPem: path.map(pem).join(''),
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      ocspUrl: this.#options.ocspUrl ?? aiaOcspUrl(leaf) ?? '',
      status: 'good',
    };
  }

  /**
   * cfssl keys its certdb by serial (decimal) and authority key id (hex). Older
   * cfssl releases stored an empty authority key id, so a miss is retried with that.
   */
  async #revokeAtCa(cert: IssuedCertificate, reason: string): Promise<void> {
    const leaf = new x509.X509Certificate(x509.PemConverter.decodeFirst(cert.chainPem));
    const aki = leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId?.toLowerCase() ?? '';
    const body = {
      serial: BigInt(`0x${cert.serial}`).toString(10),
      authority_key_id: aki,
      reason: cfsslReason(reason),
    };
    try {
      await cfsslCall(this.url, 'revoke', body, this.#timeoutMs);
    } catch (err) {
      if (!aki || !isNotFound(err)) throw err;
      await cfsslCall(this.url, 'revoke', { ...body, authority_key_id: '' }, this.#timeoutMs);
    }
  }
}

/** cfssl takes RFC 5280 reason names case-insensitively and refuses others. */
function cfsslReason(reason: string): string {
  const known = CRL_REASONS.find((name) => name?.toLowerCase() === reason.toLowerCase());
  return (known ?? 'unspecified').toLowerCase();
}

function explainSignFailure(err: unknown): unknown {
  if (err instanceof SignetError && /algorithm unimplemented/i.test(err.message)) {
    return new SignetError(
      'ERR_CA_UNAVAILABLE',
      `${err.message} (this cfssl cannot verify the CSR's key type; EdDSA needs a newer cfssl, or use keys.algorithm ES256)`,
      { cause: err },
    );
  }
  return err;
}

function aiaOcspUrl(leaf: x509.X509Certificate): string | undefined {
  const aia = leaf.getExtension(x509.AuthorityInfoAccessExtension);
  const name = aia?.ocsp.find((n) => n.type === 'url' && /^https?:\/\//i.test(n.value));
  return name?.value;
}

function sameBytes(a: ArrayBuffer, b: ArrayBuffer): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

function pem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem').replace(/\r\n/g, '\n').trim()}\n`;
}
