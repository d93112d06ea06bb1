import { webcrypto } from 'node:crypto';
import { SignetError } from '../domain/errors.js';
import { x509 } from './x509.js';

const EC_HASH: Record<string, string> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384' };
const PSS_SALT: Record<string, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };
const MIN_RSA_BITS = 2048;

/**
 * A PKCS#10 request for a signing key, signed by that key (proof of possession).
 * `sign` signs where the key lives (a token); `privateKey` then only describes it.
 */
export async function createCsr({
  kid,
  privateKey,
  publicKey,
  sign,
}: {
  kid: string;
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
  sign?: (data: Uint8Array) => Promise<Uint8Array>;
}): Promise<string> {
  const params = {
    name: [{ CN: [kid] }],
    keys: { privateKey, publicKey },
    signingAlgorithm: signingAlgorithmFor(privateKey),
  };
  const csr = sign
    ? await x509.Pkcs10CertificateRequestGenerator.create(params, providerSigningWith(sign))
    : await x509.Pkcs10CertificateRequestGenerator.create(params);
  return csr.toString('pem');
}

/**
 * Node's WebCrypto with `subtle.sign` handed to `sign`. For every algorithm Signet
 * uses, the CSR signature is the same primitive as the JWS one (ECDSA as raw r||s,
 * which @peculiar/x509 turns into DER), so a token signer serves both.
 */
function providerSigningWith(sign: (data: Uint8Array) => Promise<Uint8Array>): webcrypto.Crypto {
  const subtle = new Proxy(webcrypto.subtle, {
    get(target, property) {
      if (property === 'sign') {
        return async (_algorithm: unknown, _key: unknown, data: ArrayBuffer | ArrayBufferView) =>
          (await sign(bytesOf(data))).slice().buffer;
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return new Proxy(webcrypto, {
    get: (target, property) => {
      if (property === 'subtle') return subtle;
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}

function signingAlgorithmFor(key: webcrypto.CryptoKey): Record<string, unknown> {
  const algorithm = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
  switch (algorithm.name) {
    case 'Ed25519':
      return { name: 'Ed25519' };
    case 'ECDSA': {
      const hash = EC_HASH[algorithm.namedCurve ?? ''];
      if (hash) return { name: 'ECDSA', hash };
      break;
    }
    case 'RSASSA-PKCS1-v1_5':
      return { name: algorithm.name, hash: algorithm.hash?.name ?? 'SHA-256' };
    case 'RSA-PSS': {
      const hash = algorithm.hash?.name ?? 'SHA-256';
      return { name: 'RSA-PSS', hash, saltLength: PSS_SALT[hash] ?? 32 };
    }
  }
  throw new SignetError('ERR_VALIDATION', `cannot build a CSR for a ${describe(algorithm)} key`);
}

/** Parses a CSR and refuses it unless its self-signature verifies and its key is one Signet signs with. */
export async function parseVerifiedCsr(csrPem: string): Promise<x509.Pkcs10CertificateRequest> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new SignetError('ERR_VALIDATION', 'the CSR is not a valid PKCS#10 request');
  }
  assertSupportedKey(csr.publicKey);
  let verified = false;
  try {
    verified = await csr.verify();
  } catch {
    verified = false;
  }
  if (!verified) {
    throw new SignetError(
      'ERR_VALIDATION',
      'the CSR signature does not verify with its public key',
    );
  }
  return csr;
}

function assertSupportedKey(publicKey: x509.PublicKey): void {
  const algorithm = publicKey.algorithm as {
    name: string;
    namedCurve?: string;
    modulusLength?: number;
  };
  const ok =
    algorithm.name === 'Ed25519' ||
    (algorithm.name === 'ECDSA' && EC_HASH[algorithm.namedCurve ?? ''] !== undefined) ||
    (algorithm.name.startsWith('RSA') && (algorithm.modulusLength ?? 0) >= MIN_RSA_BITS);
  if (!ok) {
    throw new SignetError(
      'ERR_VALIDATION',
      `the CSR key (${describe(algorithm)}) is not supported`,
    );
  }
}

function describe(algorithm: {
  name: string;
  namedCurve?: string;
  modulusLength?: number;
}): string {
  const size =
    algorithm.namedCurve ?? (algorithm.modulusLength ? `${algorithm.modulusLength}-bit` : '');
  return size ? `${algorithm.name} ${size}` : algorithm.name;
}
