import * as pkijs from 'pkijs';
import { SignetError } from '../domain/errors.js';
import type { Clock } from '../domain/ports.js';
import { caHttp } from './http-client.js';
import { CRL_REASONS, parseCertificate, serialHex, spkiDer } from './ocsp-asn1.js';
import type { OcspResult } from './ocsp-client.js';
import { verifyX509Signature } from './signature.js';
import { x509 } from './x509.js';

export interface CrlCheckerOptions {
  clock: Clock;
  timeoutMs?: number;
  maxBytes?: number;
  clockSkewMs?: number;
  /** Fetches a CRL's bytes; by default an HTTP GET with the time and size limits. */
  fetch?: (url: string) => Promise<Uint8Array>;
}

interface VerifiedCrl {
  thisUpdate: Date;
  nextUpdate?: Date;
  revoked: Map<string, { revokedAt: Date; reason?: string }>;
}

const OID_REASON_CODE = '2.5.29.21';
/** CRL extensions understood here; a CRL with any other critical one (e.g. a delta CRL) is refused. */
const UNDERSTOOD_CRITICAL = new Set(['2.5.29.28']);
const DEFAULT_SKEW_MS = 5 * 60_000;

/**
 * Revocation status from a certificate's CRL distribution points, the
 * fallback when its OCSP responder cannot be reached. A CRL counts only when
 * the issuing CA signed it and it is current (thisUpdate/nextUpdate); it is
 * kept until its nextUpdate. Written on pkijs' CRL parser; the signature
 * check uses node:crypto as the OCSP client does.
 */
export class CrlChecker {
  readonly #options: CrlCheckerOptions;
  readonly #cache = new Map<string, VerifiedCrl>();
  readonly #loading = new Map<string, Promise<VerifiedCrl>>();

  constructor(options: CrlCheckerOptions) {
    this.#options = options;
  }

  /** The http(s) CRL distribution points a certificate names. */
  static distributionPoints(leafPem: string): string[] {
    const leaf = new x509.X509Certificate(leafPem);
    const ext = leaf.getExtension(x509.CRLDistributionPointsExtension);
    const names = (ext?.distributionPoints ?? []).flatMap(
      (point) => point.distributionPoint?.fullName ?? [],
    );
    return names
      .map((name) => name.uniformResourceIdentifier)
      .filter((uri): uri is string => typeof uri === 'string' && /^https?:\/\//i.test(uri));
  }

  /** Undefined when the certificate names no CRL; otherwise the status from the first usable CRL. */
  async status(leafPem: string, issuerPem: string): Promise<OcspResult | undefined> {
    const urls = CrlChecker.distributionPoints(leafPem);
    if (urls.length === 0) return undefined;
    const leaf = parseCertificate(leafPem);
    const issuer = parseCertificate(issuerPem);
    let lastError: unknown;
    for (const url of urls) {
      try {
        const crl = await this.#crl(url, issuer);
        const entry = crl.revoked.get(serialHex(leaf.serialNumber));
        const window = {
          thisUpdate: crl.thisUpdate,
          ...(crl.nextUpdate ? { nextUpdate: crl.nextUpdate } : {}),
        };
        return entry ? { status: 'revoked', ...window, ...entry } : { status: 'good', ...window };
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  async #crl(url: string, issuer: pkijs.Certificate): Promise<VerifiedCrl> {
    const key = `${url}\u0000${Buffer.from(spkiDer(issuer)).toString('base64')}`;
    const cached = this.#cache.get(key);
    const now = this.#options.clock.now().getTime();
    if (cached?.nextUpdate && cached.nextUpdate.getTime() > now) return cached;
    this.#cache.delete(key);
    let loading = this.#loading.get(key);
    if (!loading) {
      loading = this.#load(url, issuer).finally(() => this.#loading.delete(key));
      this.#loading.set(key, loading);
    }
    const crl = await loading;
    if (crl.nextUpdate) this.#cache.set(key, crl);
    return crl;
  }

  async #load(url: string, issuer: pkijs.Certificate): Promise<VerifiedCrl> {
    const bytes = this.#options.fetch ? await this.#options.fetch(url) : await this.#download(url);
    return verifyCrl(toDer(bytes), issuer, this.#options.clock.now(), this.#options.clockSkewMs);
  }

  async #download(url: string): Promise<Uint8Array> {
    const response = await caHttp(url, {
      method: 'GET',
      accept: 'application/pkix-crl',
      timeoutMs: this.#options.timeoutMs ?? 10_000,
      maxBytes: this.#options.maxBytes ?? 8 * 1024 * 1024,
    });
    if (response.status !== 200) {
      throw new SignetError('ERR_CA_UNAVAILABLE', `CRL ${url} answered HTTP ${response.status}`, {
        retryable: true,
      });
    }
    return response.body;
  }
}

/** Parses a DER CRL and checks issuer, signature and currency; returns its revoked serials. */
export function verifyCrl(
  der: Uint8Array,
  issuer: pkijs.Certificate,
  now: Date,
  clockSkewMs = DEFAULT_SKEW_MS,
): VerifiedCrl {
  let crl: pkijs.CertificateRevocationList;
  try {
    crl = pkijs.CertificateRevocationList.fromBER(der);
  } catch (cause) {
    throw crlError('the CRL is not valid DER', cause);
  }
  if (!crl.issuer.isEqual(issuer.subject)) throw crlError('the CRL is not from the issuing CA');
  const signed = verifyX509Signature({
    algorithm: crl.signatureAlgorithm,
    spkiDer: spkiDer(issuer),
    data: crl.tbsView,
    signature: crl.signatureValue.valueBlock.valueHexView,
  });
  if (!signed) throw crlError('the CRL signature does not verify with the issuing CA key');
  const critical = crl.crlExtensions?.extensions.find(
    (e) => e.critical && !UNDERSTOOD_CRITICAL.has(e.extnID),
  );
  if (critical) throw crlError(`the CRL has an unsupported critical extension ${critical.extnID}`);

  const thisUpdate = crl.thisUpdate.value;
  const nextUpdate = crl.nextUpdate?.value;
  const t = now.getTime();
  if (thisUpdate.getTime() > t + clockSkewMs) throw crlError('the CRL thisUpdate is in the future');
  if (nextUpdate && nextUpdate.getTime() < t - clockSkewMs) {
    throw crlError('the CRL is stale (nextUpdate has passed)');
  }
  const revoked = new Map<string, { revokedAt: Date; reason?: string }>();
  for (const entry of crl.revokedCertificates ?? []) {
    const reason = reasonOf(entry);
    revoked.set(serialHex(entry.userCertificate), {
      revokedAt: entry.revocationDate.value,
      ...(reason ? { reason } : {}),
    });
  }
  return { thisUpdate, ...(nextUpdate ? { nextUpdate } : {}), revoked };
}

function reasonOf(entry: pkijs.RevokedCertificate): string | undefined {
  const ext = entry.crlEntryExtensions?.extensions.find((e) => e.extnID === OID_REASON_CODE);
  const code = (ext?.parsedValue as { valueBlock?: { valueDec?: number } } | undefined)?.valueBlock
    ?.valueDec;
  return code === undefined ? undefined : CRL_REASONS[code];
}

function toDer(bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  if (!/-----BEGIN (X509 )?CRL-----/.test(text)) return bytes;
  const base64 = Buffer.from(bytes)
    .toString('latin1')
    .replace(/-----(BEGIN|END) (X509 )?CRL-----/g, '')
    .replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

function crlError(message: string, cause?: unknown): SignetError {
  return new SignetError(
    'ERR_CA_VALIDATION_FAILED',
    `CRL rejected: ${message}`,
    cause === undefined ? {} : { cause },
  );
}
