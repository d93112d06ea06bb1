import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SignetError } from '../domain/errors.js';
import {
  certificateDer,
  certIdMatches,
  CRL_REASONS,
  equalBytes,
  hasExtendedKeyUsage,
  keyHash,
  nameHash,
  nonceExtension,
  nonceValue,
  OCSP_RESPONSE_STATUS,
  OID_KP_OCSP_SIGNING,
  OID_OCSP_BASIC,
  OID_SHA1,
  parseCertificate,
  spkiDer,
} from './ocsp-asn1.js';
import { verifyX509Signature } from './signature.js';

export type OcspCertStatus = 'good' | 'revoked' | 'unknown';

export interface OcspResult {
  status: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate?: Date;
  revokedAt?: Date;
  reason?: string;
}

export interface ParseOcspOptions {
  leafPem: string;
  issuerPem: string;
  /** The nonce sent in the request, if any. */
  nonce?: Uint8Array;
  now: Date;
  clockSkewMs?: number;
}

const DEFAULT_SKEW_MS = 5 * 60_000;

/** An OCSP request for one certificate, with a SHA-1 CertID as most responders expect. */
export function buildOcspRequest(
  leafPem: string,
  issuerPem: string,
  options: { nonce?: boolean } = {},
): { der: Uint8Array; nonce?: Uint8Array } {
  const leaf = parseCertificate(leafPem);
  const issuer = parseCertificate(issuerPem);
  const certId = new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: OID_SHA1,
      algorithmParams: new asn1js.Null(),
    }),
    issuerNameHash: new asn1js.OctetString({ valueHex: nameHash(issuer, 'sha1') }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: keyHash(issuer, 'sha1') }),
    serialNumber: leaf.serialNumber,
  });
  const nonce = options.nonce ? new Uint8Array(randomBytes(16)) : undefined;
  const request = new pkijs.OCSPRequest({
    tbsRequest: new pkijs.TBSRequest({
      requestList: [new pkijs.Request({ reqCert: certId })],
      ...(nonce ? { requestExtensions: [nonceExtension(nonce)] } : {}),
    }),
  });
  const der = new Uint8Array(request.toSchema(true).toBER());
  return nonce ? { der, nonce } : { der };
}

/** Parses and fully checks an OCSP response for `leafPem` issued by `issuerPem`. */
export function parseOcspResponse(der: Uint8Array, options: ParseOcspOptions): OcspResult {
  const leaf = parseCertificate(options.leafPem);
  const issuer = parseCertificate(options.issuerPem);
  const { basic, tbs, certs } = decodeBasicResponse(der);
  const data = basic.tbsResponseData;

  const single = data.responses.find((r) => certIdMatches(r.certID, issuer, leaf.serialNumber));
  if (!single) throw ocspError('the OCSP response has no status for this certificate');

  const signer = authorizedSigner(data.responderID, issuer, certs, options.now);
  const signatureOk = verifyX509Signature({
    algorithm: basic.signatureAlgorithm,
    spkiDer: spkiDer(signer),
    data: tbs,
    signature: basic.signature.valueBlock.valueHexView,
  });
  if (!signatureOk) throw ocspError('the OCSP response signature does not verify');

  const skew = options.clockSkewMs ?? DEFAULT_SKEW_MS;
  const now = options.now.getTime();
  if (single.thisUpdate.getTime() > now + skew) {
    throw ocspError('the OCSP response thisUpdate is in the future');
  }
  if (single.nextUpdate && single.nextUpdate.getTime() < now - skew) {
    throw ocspError('the OCSP response is stale (nextUpdate has passed)');
  }
  if (options.nonce) {
    const echoed = nonceValue(data.responseExtensions);
    if (echoed && !equalBytes(echoed, options.nonce)) {
      throw ocspError('the OCSP response nonce does not match the request');
    }
  }
  return { ...readStatus(single.certStatus), thisUpdate: single.thisUpdate, ...next(single) };
}

function next(single: pkijs.SingleResponse): { nextUpdate?: Date } {
  return single.nextUpdate ? { nextUpdate: single.nextUpdate } : {};
}

function decodeBasicResponse(der: Uint8Array): {
  basic: pkijs.BasicOCSPResponse;
  tbs: Uint8Array;
  certs: pkijs.Certificate[];
} {
  let response: pkijs.OCSPResponse;
  try {
    response = pkijs.OCSPResponse.fromBER(der);
  } catch (cause) {
    throw ocspError('the OCSP response is not valid DER', cause);
  }
  const status = response.responseStatus.valueBlock.valueDec;
  if (status !== 0) {
    const name = OCSP_RESPONSE_STATUS[status] ?? `status ${status}`;
    throw ocspError(`the OCSP responder answered ${name}`);
  }
  if (response.responseBytes?.responseType !== OID_OCSP_BASIC) {
    throw ocspError('the OCSP response is not a basic OCSP response');
  }
  const raw = response.responseBytes.response.valueBlock.valueHexView;
  try {
    const basic = pkijs.BasicOCSPResponse.fromBER(raw);
    // The signature covers ResponseData exactly as received, so take those bytes, not a re-encoding.
    const asn1 = asn1js.fromBER(raw).result as asn1js.Sequence;
    const tbs = asn1.valueBlock.value[0]?.valueBeforeDecodeView;
    if (!tbs) throw new Error('missing tbsResponseData');
    return { basic, tbs, certs: basic.certs ?? [] };
  } catch (cause) {
    throw ocspError('the basic OCSP response cannot be parsed', cause);
  }
}

/**
 * RFC 6960 §4.2.2.2, written here because pkijs' BasicOCSPResponse.verify
 * insists on embedded certificates and checks validity against the wall
 * clock: the signer must be the issuing CA itself, or a certificate from the
 * response that the issuing CA signed directly and that carries
 * id-kp-OCSPSigning. A certificate that merely chains to a trusted root is
 * not authorized.
 */
function authorizedSigner(
  responderId: unknown,
  issuer: pkijs.Certificate,
  certs: pkijs.Certificate[],
  now: Date,
): pkijs.Certificate {
  const named = (cert: pkijs.Certificate): boolean =>
    responderId instanceof pkijs.RelativeDistinguishedNames
      ? cert.subject.isEqual(responderId)
      : responderId instanceof asn1js.OctetString &&
        equalBytes(responderId.valueBlock.valueHexView, keyHash(cert));

  if (named(issuer)) return issuer;
  const issuerDer = certificateDer(issuer);
  for (const candidate of certs.filter(named)) {
    if (equalBytes(certificateDer(candidate), issuerDer)) return issuer;
    if (isDelegatedResponder(candidate, issuer, now)) return candidate;
  }
  throw ocspError('unauthorized OCSP responder: not the issuing CA nor a responder it delegated');
}

function isDelegatedResponder(
  candidate: pkijs.Certificate,
  issuer: pkijs.Certificate,
  now: Date,
): boolean {
  if (!candidate.issuer.isEqual(issuer.subject)) return false;
  const signedByIssuer = verifyX509Signature({
    algorithm: candidate.signatureAlgorithm,
    spkiDer: spkiDer(issuer),
    data: candidate.tbsView,
    signature: candidate.signatureValue.valueBlock.valueHexView,
  });
  const t = now.getTime();
  const valid = candidate.notBefore.value.getTime() <= t && t <= candidate.notAfter.value.getTime();
  return signedByIssuer && valid && hasExtendedKeyUsage(candidate, OID_KP_OCSP_SIGNING);
}

function readStatus(certStatus: unknown): Pick<OcspResult, 'status' | 'revokedAt' | 'reason'> {
  const block = certStatus as asn1js.BaseBlock;
  if (block.idBlock.tagClass !== 3) throw ocspError('the OCSP certificate status is malformed');
  switch (block.idBlock.tagNumber) {
    case 0:
      return { status: 'good' };
    case 1: {
      const fields = (block as asn1js.Constructed).valueBlock.value;
      const time = fields[0];
      if (!(time instanceof asn1js.GeneralizedTime)) {
        throw ocspError('the OCSP revocation time is malformed');
      }
      const reasonField = fields[1] as asn1js.Constructed | undefined;
      const code = (reasonField?.valueBlock.value[0] as asn1js.Enumerated | undefined)?.valueBlock
        .valueDec;
      const reason = code === undefined ? undefined : CRL_REASONS[code];
      return { status: 'revoked', revokedAt: time.toDate(), ...(reason ? { reason } : {}) };
    }
    case 2:
      return { status: 'unknown' };
    default:
      throw ocspError('the OCSP certificate status is malformed');
  }
}

/** Seconds a successful, nonce-free response may be cached by HTTP caches (RFC 5019), if any. */
export function ocspResponseMaxAge(der: Uint8Array, now: Date): number | undefined {
  try {
    const { basic } = decodeBasicResponse(der);
    if (nonceValue(basic.tbsResponseData.responseExtensions)) return undefined;
    const ends = basic.tbsResponseData.responses.map((r) => r.nextUpdate?.getTime());
    if (ends.length === 0 || ends.some((e) => e === undefined)) return undefined;
    const seconds = Math.floor((Math.min(...(ends as number[])) - now.getTime()) / 1000);
    return seconds > 0 ? seconds : undefined;
  } catch {
    return undefined;
  }
}

export function ocspError(message: string, cause?: unknown): SignetError {
  return new SignetError('ERR_OCSP', message, cause === undefined ? {} : { cause });
}
