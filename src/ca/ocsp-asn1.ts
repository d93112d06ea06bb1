import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { x509 } from './x509.js';
import { hashNameOf } from './signature.js';

export const OID_SHA1 = '1.3.14.3.2.26';
export const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
export const OID_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
export const OID_KP_OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
const OID_EXT_KEY_USAGE = '2.5.29.37';

export const OCSP_RESPONSE_STATUS = [
  'successful',
  'malformedRequest',
  'internalError',
  'tryLater',
  'unused',
  'sigRequired',
  'unauthorized',
] as const;
export type OcspResponseStatus = (typeof OCSP_RESPONSE_STATUS)[number];

/** RFC 5280 CRLReason names, indexed by their code (7 is unused). */
export const CRL_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  undefined,
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
] as const;

export function crlReasonCode(reason: string | undefined): number | undefined {
  if (reason === undefined) return undefined;
  const code = CRL_REASONS.indexOf(reason as (typeof CRL_REASONS)[number]);
  return code >= 0 ? code : 0;
}

export function parseCertificate(pemOrDer: string | Uint8Array): pkijs.Certificate {
  const der =
    typeof pemOrDer === 'string'
      ? new Uint8Array(x509.PemConverter.decodeFirst(pemOrDer))
      : pemOrDer;
  return pkijs.Certificate.fromBER(der);
}

export function certificateDer(cert: pkijs.Certificate): Uint8Array {
  return new Uint8Array(cert.toSchema().toBER());
}

export function spkiDer(cert: pkijs.Certificate): Uint8Array {
  return new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER());
}

export function digest(hash: string, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(hash).update(data).digest());
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** SHA-1 of the subject public key bits: the byKey ResponderID and CertID key hash input. */
export function keyHash(cert: pkijs.Certificate, hash = 'sha1'): Uint8Array {
  return digest(hash, cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
}

export function nameHash(cert: pkijs.Certificate, hash: string): Uint8Array {
  return digest(hash, new Uint8Array(cert.subject.toSchema().toBER()));
}

export function serialHex(serial: asn1js.Integer): string {
  const hex = Buffer.from(serial.valueBlock.valueHexView).toString('hex');
  return hex.replace(/^(00)+(?=..)/, '').toLowerCase();
}

/** Whether a CertID names `issuer` (and `serial`, when given), with any supported hash. */
export function certIdMatches(
  certId: pkijs.CertID,
  issuer: pkijs.Certificate,
  serial?: asn1js.Integer,
): boolean {
  const hash = hashNameOf(certId.hashAlgorithm.algorithmId);
  if (!hash) return false;
  if (!equalBytes(certId.issuerNameHash.valueBlock.valueHexView, nameHash(issuer, hash))) {
    return false;
  }
  if (!equalBytes(certId.issuerKeyHash.valueBlock.valueHexView, keyHash(issuer, hash))) {
    return false;
  }
  return serial === undefined || serialHex(certId.serialNumber) === serialHex(serial);
}

export function hasExtendedKeyUsage(cert: pkijs.Certificate, purpose: string): boolean {
  const ext = cert.extensions?.find((e) => e.extnID === OID_EXT_KEY_USAGE);
  const parsed = ext?.parsedValue as pkijs.ExtKeyUsage | undefined;
  return parsed?.keyPurposes.includes(purpose) ?? false;
}

/** The inner value of a nonce extension (an OCTET STRING wrapped in extnValue). */
export function nonceValue(extensions: pkijs.Extension[] | undefined): Uint8Array | undefined {
  const ext = extensions?.find((e) => e.extnID === OID_OCSP_NONCE);
  if (!ext) return undefined;
  const raw = ext.extnValue.valueBlock.valueHexView;
  const inner = asn1js.fromBER(raw);
  return inner.offset !== -1 && inner.result instanceof asn1js.OctetString
    ? inner.result.valueBlock.valueHexView
    : raw;
}

export function nonceExtension(nonce: Uint8Array): pkijs.Extension {
  return new pkijs.Extension({
    extnID: OID_OCSP_NONCE,
    extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER(),
  });
}

/** GeneralizedTime in OCSP must not carry fractional seconds. */
export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
