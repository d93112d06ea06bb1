import { webcrypto } from 'node:crypto';
import { x509 } from '../../../src/ca/x509.js';

/** A test CA factory: certificates with chosen extensions and validity, signed with ECDSA P-256. */
export interface TestCert {
  cert: x509.X509Certificate;
  pem: string;
  keys: webcrypto.CryptoKeyPair;
}

export interface CertSpec {
  name: string;
  notBefore: Date;
  notAfter: Date;
  ca?: boolean;
  pathLength?: number;
  /** KeyUsageFlags, or null to leave the extension out. */
  keyUsage?: number | null;
  eku?: string[];
  basicConstraints?: boolean;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
let serial = 0x10;

export async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
}

async function extensions(
  spec: CertSpec,
  keys: webcrypto.CryptoKeyPair,
): Promise<x509.Extension[]> {
  const defaultUsage = spec.ca
    ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
    : x509.KeyUsageFlags.digitalSignature;
  const usage = spec.keyUsage === undefined ? defaultUsage : spec.keyUsage;
  const list: x509.Extension[] = [await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)];
  if (spec.basicConstraints !== false) {
    list.push(new x509.BasicConstraintsExtension(spec.ca ?? false, spec.pathLength, true));
  }
  if (usage !== null) list.push(new x509.KeyUsagesExtension(usage, true));
  if (spec.eku) list.push(new x509.ExtendedKeyUsageExtension(spec.eku));
  return list;
}

export async function makeRoot(spec: CertSpec): Promise<TestCert> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: (serial++).toString(16).padStart(4, '0'),
    name: [{ CN: [spec.name] }],
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    keys,
    signingAlgorithm: SIGN,
    extensions: await extensions({ ca: true, ...spec }, keys),
  });
  return { cert, keys, pem: cert.toString('pem') };
}

export async function issue(
  issuer: TestCert,
  spec: CertSpec,
  keys?: webcrypto.CryptoKeyPair,
): Promise<TestCert> {
  const subjectKeys = keys ?? (await newKeys());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(4, '0'),
    subject: [{ CN: [spec.name] }],
    issuer: issuer.cert.subjectName,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    publicKey: subjectKeys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: SIGN,
    extensions: await extensions(spec, subjectKeys),
  });
  return { cert, keys: subjectKeys, pem: cert.toString('pem') };
}

export function validity(at: Date, days = 365): { notBefore: Date; notAfter: Date } {
  return {
    notBefore: new Date(at.getTime() - 24 * 3600_000),
    notAfter: new Date(at.getTime() + days * 24 * 3600_000),
  };
}
