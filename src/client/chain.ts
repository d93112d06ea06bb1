import { x509 } from '../ca/x509.js';
import { refuse } from './errors.js';
import { sameCertificate, type Certificate } from './pem.js';
import type { TrustAnchor, TrustStore } from './trust.js';

export interface ChainInput {
  /** Leaf first; intermediates and the root may follow. */
  chain: Certificate[];
  trust: TrustStore;
  /** The signing time: every certificate and the anchor's window must hold it. */
  at: Date;
  /** Purposes accepted in an extended key usage extension, when the leaf has one. */
  extendedKeyUsages: readonly string[];
}

export interface ValidChain {
  leaf: Certificate;
  /** Leaf first, trust anchor last. */
  path: Certificate[];
  anchor: TrustAnchor;
}

/** anyExtendedKeyUsage, codeSigning, documentSigning (RFC 9336). */
export const DEFAULT_EXTENDED_KEY_USAGES = [
  '2.5.29.37.0',
  '1.3.6.1.5.5.7.3.3',
  '1.3.6.1.5.5.7.3.36',
] as const;

const MAX_DEPTH = 8;
/** Extensions understood here; any other critical one fails validation (RFC 5280 §4.2). */
const UNDERSTOOD = new Set([
  '2.5.29.19', // basicConstraints
  '2.5.29.15', // keyUsage
  '2.5.29.37', // extKeyUsage
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.17', // subjectAltName
  '2.5.29.32', // certificatePolicies
]);

/**
 * Path validation for the certificate of a token's signing key. The CA side
 * (src/ca/chain.ts) reports every failure under one server code; a verifier
 * must tell an untrusted root from an expired certificate or a wrong key
 * usage, and applies the trust windows of its anchors, so it has its own.
 */
export function validateChain(input: ChainInput): ValidChain {
  const [leaf, ...rest] = input.chain;
  if (!leaf) return refuse('ERR_CERT_UNTRUSTED', 'the certificate chain is empty');
  const { path, anchor } = findPath(leaf, rest, input.trust, input.at);
  for (const cert of path) checkValidity(cert, input.at);
  checkLeaf(leaf, input.extendedKeyUsages);
  path.slice(1).forEach((ca, below) => checkCa(ca, below));
  return { leaf, path, anchor };
}

function findPath(
  leaf: Certificate,
  supplied: Certificate[],
  trust: TrustStore,
  at: Date,
): { path: Certificate[]; anchor: TrustAnchor } {
  const found = buildPath(leaf, supplied, trust.at(at));
  if ('path' in found) return found;
  const outside = buildPath(leaf, supplied, [...trust.anchors]);
  if ('path' in outside) {
    const { validFrom, validTo } = outside.anchor;
    refuse(
      'ERR_CERT_UNTRUSTED',
      `the root "${outside.anchor.certificate.parsed.subject}" is trusted only from ` +
        `${validFrom?.toISOString() ?? 'any time'} until ${validTo?.toISOString() ?? 'now'}, ` +
        `and the token was signed at ${at.toISOString()}`,
    );
  }
  return refuse('ERR_CERT_UNTRUSTED', `certificate chain rejected: ${found.why}`);
}

function buildPath(
  leaf: Certificate,
  supplied: Certificate[],
  anchors: TrustAnchor[],
): { path: Certificate[]; anchor: TrustAnchor } | { why: string } {
  if (anchors.length === 0) return { why: 'no trusted root applies at the signing time' };
  const intermediates = [...supplied, ...anchors.flatMap((a) => a.intermediates)];
  const path = [leaf];
  for (let current = leaf; path.length <= MAX_DEPTH;) {
    const anchor = anchors.find((a) => sameCertificate(a.certificate, current));
    if (anchor) return { path, anchor };
    const candidates = [...anchors.map((a) => a.certificate), ...intermediates].filter(
      (c) =>
        sameName(c.parsed.subjectName, current.parsed.issuerName) &&
        !path.some((p) => sameCertificate(p, c)),
    );
    const issuer = candidates.find((candidate) => signedBy(current, candidate));
    if (!issuer) {
      return {
        why:
          candidates.length > 0
            ? `the signature of "${current.parsed.subject}" does not verify with its issuer's key`
            : `"${current.parsed.subject}" is not issued by a trusted root (issuer "${current.parsed.issuer}")`,
      };
    }
    path.push(issuer);
    current = issuer;
  }
  return { why: `the chain is longer than ${MAX_DEPTH} certificates` };
}

function checkValidity(cert: Certificate, at: Date): void {
  const { notBefore, notAfter, subject } = cert.parsed;
  if (at < notBefore) {
    refuse(
      'ERR_CERT_NOT_YET_VALID',
      `"${subject}" is valid only from ${notBefore.toISOString()}, the token was signed at ${at.toISOString()}`,
    );
  }
  if (at > notAfter) {
    refuse(
      'ERR_CERT_EXPIRED',
      `"${subject}" expired at ${notAfter.toISOString()}, the token was signed at ${at.toISOString()}`,
    );
  }
  const unknown = cert.parsed.extensions.find((e) => e.critical && !UNDERSTOOD.has(e.type));
  if (unknown)
    refuse(
      'ERR_CERT_UNTRUSTED',
      `"${subject}" has an unsupported critical extension ${unknown.type}`,
    );
}

function checkLeaf(leaf: Certificate, allowedEku: readonly string[]): void {
  const { subject } = leaf.parsed;
  if (leaf.parsed.getExtension(x509.BasicConstraintsExtension)?.ca) {
    refuse('ERR_CERT_USAGE', `the leaf "${subject}" is a CA certificate`);
  }
  const usage = leaf.parsed.getExtension(x509.KeyUsagesExtension);
  if (!usage || !(usage.usages & x509.KeyUsageFlags.digitalSignature)) {
    refuse('ERR_CERT_USAGE', `the leaf "${subject}" does not allow digitalSignature`);
  }
  const eku = leaf.parsed.getExtension(x509.ExtendedKeyUsageExtension)?.usages.map(String);
  if (eku && !eku.some((purpose) => allowedEku.includes(purpose))) {
    refuse(
      'ERR_CERT_USAGE',
      `the leaf "${subject}" is restricted to other purposes (${eku.join(', ')})`,
    );
  }
}

/** `below`: how many CA certificates sit between this one and the leaf. */
function checkCa(ca: Certificate, below: number): void {
  const { subject } = ca.parsed;
  const constraints = ca.parsed.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca)
    refuse('ERR_CERT_USAGE', `"${subject}" issues certificates but is not a CA certificate`);
  const usage = ca.parsed.getExtension(x509.KeyUsagesExtension);
  if (usage && !(usage.usages & x509.KeyUsageFlags.keyCertSign)) {
    refuse('ERR_CERT_USAGE', `"${subject}" is not allowed to sign certificates (keyCertSign)`);
  }
  if (constraints.pathLength !== undefined && below > constraints.pathLength) {
    refuse(
      'ERR_CERT_USAGE',
      `"${subject}" allows a path length of ${constraints.pathLength}, the path has ${below}`,
    );
  }
}

function signedBy(cert: Certificate, issuer: Certificate): boolean {
  try {
    return cert.node.verify(issuer.node.publicKey);
  } catch {
    return false;
  }
}

function sameName(a: x509.Name, b: x509.Name): boolean {
  return Buffer.from(a.toArrayBuffer()).equals(Buffer.from(b.toArrayBuffer()));
}
