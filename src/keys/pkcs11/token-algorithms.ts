import { createHash } from 'node:crypto';
import pkcs11js, { type Attribute, type Mechanism, type RsaPSS } from 'pkcs11js';
import type { Algorithm, PublicJwk } from '../../domain/types.js';

// PKCS#11 3.0 values that pkcs11js (a 2.40 binding) does not name.
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;

/** DER OIDs for CKA_EC_PARAMS. */
const P256 = Buffer.from('06082a8648ce3d030107', 'hex');
const P384 = Buffer.from('06052b81040022', 'hex');
const ED25519 = Buffer.from('06032b6570', 'hex');

/** How one JWS algorithm is done inside a token. */
export interface TokenAlgorithm {
  keyType: number;
  generation: number;
  /** Attributes of the public key template that fix the key's size or curve. */
  publicParameters: Attribute[];
  signing: Mechanism;
  /** What the mechanism takes: the digest for CKM_ECDSA, the message otherwise. */
  prepare(input: Uint8Array): Buffer;
  /** Upper bound of the signature length, for the output buffer. */
  maxSignatureLength: number;
  /** Public attributes to read back after generation. */
  publicAttributes: number[];
  /** The public JWK members (kty, crv, x, y or n, e) from those attributes. */
  toJwk(values: Map<number, Buffer>): PublicJwk;
}

const digest = (algorithm: string) => (input: Uint8Array) =>
  createHash(algorithm).update(input).digest();

function ec(crv: 'P-256' | 'P-384', params: Buffer, size: number, hash: string): TokenAlgorithm {
  return {
    keyType: pkcs11js.CKK_EC,
    generation: pkcs11js.CKM_EC_KEY_PAIR_GEN,
    publicParameters: [{ type: pkcs11js.CKA_EC_PARAMS, value: params }],
    signing: { mechanism: pkcs11js.CKM_ECDSA },
    prepare: digest(hash),
    maxSignatureLength: 2 * size,
    publicAttributes: [pkcs11js.CKA_EC_POINT],
    toJwk: (values) => {
      const point = ecPoint(values.get(pkcs11js.CKA_EC_POINT), 1 + 2 * size);
      if (point[0] !== 0x04) throw new Error('the token returned a compressed EC point');
      return {
        kty: 'EC',
        crv,
        x: b64u(point.subarray(1, 1 + size)),
        y: b64u(point.subarray(1 + size)),
      };
    },
  };
}

function rsa(signing: Mechanism): TokenAlgorithm {
  return {
    keyType: pkcs11js.CKK_RSA,
    generation: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN,
    publicParameters: [
      { type: pkcs11js.CKA_MODULUS_BITS, value: 2048 },
      { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
    ],
    signing,
    prepare: (input) => Buffer.from(input),
    maxSignatureLength: 2048 / 8,
    publicAttributes: [pkcs11js.CKA_MODULUS, pkcs11js.CKA_PUBLIC_EXPONENT],
    toJwk: (values) => ({
      kty: 'RSA',
      n: b64u(unsigned(required(values.get(pkcs11js.CKA_MODULUS)))),
      e: b64u(unsigned(required(values.get(pkcs11js.CKA_PUBLIC_EXPONENT)))),
    }),
  };
}

/** RFC 7518 PS256: MGF1 with SHA-256 and a salt as long as the hash. */
const PSS_SHA256: RsaPSS = {
  type: pkcs11js.CK_PARAMS_RSA_PSS,
  hashAlg: pkcs11js.CKM_SHA256,
  mgf: pkcs11js.CKG_MGF1_SHA256,
  saltLen: 32,
};

export const TOKEN_ALGORITHMS: Record<Algorithm, TokenAlgorithm> = {
  ES256: ec('P-256', P256, 32, 'sha256'),
  ES384: ec('P-384', P384, 48, 'sha384'),
  EdDSA: {
    keyType: CKK_EC_EDWARDS,
    generation: CKM_EC_EDWARDS_KEY_PAIR_GEN,
    publicParameters: [{ type: pkcs11js.CKA_EC_PARAMS, value: ED25519 }],
    signing: { mechanism: CKM_EDDSA },
    prepare: (input) => Buffer.from(input),
    maxSignatureLength: 64,
    publicAttributes: [pkcs11js.CKA_EC_POINT],
    toJwk: (values) => ({
      kty: 'OKP',
      crv: 'Ed25519',
      x: b64u(ecPoint(values.get(pkcs11js.CKA_EC_POINT), 32)),
    }),
  },
  RS256: rsa({ mechanism: pkcs11js.CKM_SHA256_RSA_PKCS }),
  PS256: rsa({ mechanism: pkcs11js.CKM_SHA256_RSA_PKCS_PSS, parameter: PSS_SHA256 }),
};

/** Names of the mechanisms, for messages. */
export function mechanismName(mechanism: number): string {
  if (mechanism === CKM_EC_EDWARDS_KEY_PAIR_GEN) return 'CKM_EC_EDWARDS_KEY_PAIR_GEN';
  if (mechanism === CKM_EDDSA) return 'CKM_EDDSA';
  const entry = Object.entries(pkcs11js).find(
    ([name, value]) => name.startsWith('CKM_') && value === mechanism,
  );
  return entry?.[0] ?? `mechanism 0x${mechanism.toString(16)}`;
}

/**
 * CKA_EC_POINT is a DER OCTET STRING holding the point, though some tokens
 * return the bare point: tell them apart by the expected length.
 */
function ecPoint(value: Buffer | undefined, length: number): Buffer {
  const data = required(value);
  if (data.length === length) return data;
  const header = length < 128 ? 2 : 3;
  if (data[0] === 0x04 && data.length === header + length) return data.subarray(header);
  throw new Error(`unexpected CKA_EC_POINT of ${data.length} bytes`);
}

function unsigned(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  return value.subarray(start);
}

function required(value: Buffer | undefined): Buffer {
  if (!value || value.length === 0) throw new Error('the token did not return a public key value');
  return value;
}

const b64u = (value: Uint8Array) => Buffer.from(value).toString('base64url');
