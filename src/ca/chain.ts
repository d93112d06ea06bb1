import { SignetError } from '../domain/errors.js';
import { x509 } from './x509.js';

export interface ChainInput {
  /** PEM certificates, leaf first; intermediates and the root may follow. */
  chainPem: string;
  /** Trust anchors: a path must end at one of these, matched by exact DER. */
  rootsPem: string[];
  /** The instant at which the chain must be valid. */
  at: Date;
  /** Window in which the trust anchors are trusted at all (from the CA's configuration). */
  validFrom?: Date;
  validTo?: Date;
}

export interface ValidChain {
  leaf: x509.X509Certificate;
  /** Leaf first, trust anchor last. */
  path: x509.X509Certificate[];
}

const MAX_DEPTH = 8;
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
/** Critical extensions understood here; any other critical extension fails validation (RFC 5280 §4.2). */
const UNDERSTOOD = new Set([
  OID_BASIC_CONSTRAINTS,
  OID_KEY_USAGE,
  OID_EXT_KEY_USAGE,
  '2.5.29.14',
  '2.5.29.35',
  '2.5.29.17',
  '2.5.29.32',
]);

/**
 * Path validation for signing-key certificates. Written here rather than with
 * X509ChainBuilder because the builder neither checks key usage, basic
 * constraints nor path length, and cannot pin anchors by exact DER.
 */
export async function validateChain(input: ChainInput): Promise<ValidChain> {
  const chain = parseAll(input.chainPem, 'chain');
  const roots = input.rootsPem.flatMap((pem) => parseAll(pem, 'trusted root'));
  const leaf = chain[0];
  if (!leaf) fail('the chain holds no certificate');
  if (roots.length === 0) fail('no trusted root is configured');
  checkTrustWindow(input);

  const path = await buildPath(leaf, chain.slice(1), roots);
  for (const cert of path) checkCertificate(cert, input.at);
  checkLeaf(leaf);
  path.slice(1).forEach((ca, index) => checkCa(ca, index));
  return { leaf, path };
}

async function buildPath(
  leaf: x509.X509Certificate,
  intermediates: x509.X509Certificate[],
  roots: x509.X509Certificate[],
): Promise<x509.X509Certificate[]> {
  const path = [leaf];
  for (let current = leaf; path.length <= MAX_DEPTH;) {
    if (roots.some((root) => sameDer(root, current))) return path;
    const candidates = [...roots, ...intermediates].filter(
      (c) => sameName(c.subjectName, current.issuerName) && !path.some((p) => sameDer(p, c)),
    );
    let issuer: x509.X509Certificate | undefined;
    for (const candidate of candidates) {
      if (await signedBy(current, candidate)) {
        issuer = candidate;
        break;
      }
    }
    if (!issuer) {
      const why =
        candidates.length > 0
          ? `the signature of "${current.subject}" does not verify with its issuer's key`
          : `"${current.subject}" is not issued by a trusted root (issuer "${current.issuer}")`;
      fail(why);
    }
    path.push(issuer);
    current = issuer;
  }
  fail(`the chain is longer than ${MAX_DEPTH} certificates`);
}

function checkTrustWindow({ at, validFrom, validTo }: ChainInput): void {
  if (validFrom && at < validFrom) fail(`the CA is trusted only from ${validFrom.toISOString()}`);
  if (validTo && at > validTo) fail(`the CA was trusted only until ${validTo.toISOString()}`);
}

function checkCertificate(cert: x509.X509Certificate, at: Date): void {
  if (at < cert.notBefore) fail(`"${cert.subject}" is not valid before ${iso(cert.notBefore)}`);
  if (at > cert.notAfter) fail(`"${cert.subject}" expired at ${iso(cert.notAfter)}`);
  const unknown = cert.extensions.find((e) => e.critical && !UNDERSTOOD.has(e.type));
  if (unknown) fail(`"${cert.subject}" has an unsupported critical extension ${unknown.type}`);
}

function checkLeaf(leaf: x509.X509Certificate): void {
  if (leaf.getExtension(x509.BasicConstraintsExtension)?.ca) {
    fail(`the leaf "${leaf.subject}" is a CA certificate`);
  }
  const usage = leaf.getExtension(x509.KeyUsagesExtension);
  if (!usage || !(usage.usages & x509.KeyUsageFlags.digitalSignature)) {
    fail(`the leaf "${leaf.subject}" does not allow digitalSignature`);
  }
  const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages;
  if (eku && eku.length > 0 && eku.every((u) => u === x509.ExtendedKeyUsage.ocspSigning)) {
    fail(`the leaf "${leaf.subject}" is only an OCSP responder certificate`);
  }
}

/** `below` is the number of CA certificates between this one and the leaf. */
function checkCa(ca: x509.X509Certificate, below: number): void {
  const constraints = ca.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) fail(`"${ca.subject}" is used as a CA but is not a CA certificate`);
  const usage = ca.getExtension(x509.KeyUsagesExtension);
  if (usage && !(usage.usages & x509.KeyUsageFlags.keyCertSign)) {
    fail(`"${ca.subject}" is not allowed to sign certificates (keyCertSign)`);
  }
  if (constraints.pathLength !== undefined && below > constraints.pathLength) {
    fail(
      `"${ca.subject}" allows a path length of ${constraints.pathLength}, the path has ${below}`,
    );
  }
}

async function signedBy(
  cert: x509.X509Certificate,
  issuer: x509.X509Certificate,
): Promise<boolean> {
  try {
    return await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

function parseAll(pem: string, what: string): x509.X509Certificate[] {
  try {
    return x509.PemConverter.decode(pem).map((der) => new x509.X509Certificate(der));
  } catch (cause) {
    throw new SignetError('ERR_CA_VALIDATION_FAILED', `the ${what} is not valid PEM`, { cause });
  }
}

function sameDer(a: x509.X509Certificate, b: x509.X509Certificate): boolean {
  return Buffer.from(a.rawData).equals(Buffer.from(b.rawData));
}

function sameName(a: x509.Name, b: x509.Name): boolean {
  return Buffer.from(a.toArrayBuffer()).equals(Buffer.from(b.toArrayBuffer()));
}

function iso(date: Date): string {
  return date.toISOString();
}

function fail(reason: string): never {
  throw new SignetError('ERR_CA_VALIDATION_FAILED', `certificate chain rejected: ${reason}`);
}
