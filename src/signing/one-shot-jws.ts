/**
 * Compact JWS signing and verification with Node's one-shot crypto.sign and
 * crypto.verify. jose signs through WebCrypto, whose asynchronous job costs
 * several times an Ed25519 or ECDSA signature itself (measured: `npm run
 * bench`); jose has no synchronous path, so the worker's hot path uses this.
 * Ed25519 and ECDSA run inline (tens of microseconds); RSA, a millisecond or
 * more, runs on the thread pool so that it does not hold the event loop.
 */
import {
  constants,
  type KeyObject,
  sign as cryptoSign,
  verify as cryptoVerify,
  type SignKeyObjectInput,
} from 'node:crypto';
import type { Algorithm } from '../domain/types.js';

export interface JwsParams {
  digest: string | null;
  options: Omit<SignKeyObjectInput, 'key'>;
  inline: boolean;
}

/** How each JWS alg maps onto crypto.sign (plain data: the signing threads receive a copy). */
export const JWS_PARAMS: Readonly<Record<Algorithm, JwsParams>> = {
  EdDSA: { digest: null, options: {}, inline: true },
  ES256: { digest: 'sha256', options: { dsaEncoding: 'ieee-p1363' }, inline: true },
  ES384: { digest: 'sha384', options: { dsaEncoding: 'ieee-p1363' }, inline: true },
  PS256: {
    digest: 'sha256',
    options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    inline: false,
  },
  RS256: { digest: 'sha256', options: {}, inline: false },
};

/** The JWS signing input: base64url header, ".", base64url payload (RFC 7515 §7.1). */
export function signingInputOf(header: Record<string, unknown>, payload: Uint8Array): string {
  // Buffer's base64url is RFC 7515's (RFC 4648 §5, no padding), in native code.
  const encodedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  return `${encodedHeader}.${Buffer.from(payload).toString('base64url')}`;
}

/** The base64url signature of a signing input. */
export async function signInput(alg: Algorithm, input: string, key: KeyObject): Promise<string> {
  const { digest, options, inline } = JWS_PARAMS[alg];
  const data = Buffer.from(input);
  const signature = inline
    ? cryptoSign(digest, data, { key, ...options })
    : await new Promise<Buffer>((resolve, reject) =>
        cryptoSign(digest, data, { key, ...options }, (err, out) =>
          err ? reject(err) : resolve(out),
        ),
      );
  return signature.toString('base64url');
}

/** Whether a base64url signature of a signing input verifies with `key` under `alg`. */
export function verifyInput(
  alg: Algorithm,
  input: string,
  signature: string,
  key: KeyObject,
): boolean {
  const { digest, options } = JWS_PARAMS[alg];
  return cryptoVerify(
    digest,
    Buffer.from(input),
    { key, ...options },
    Buffer.from(signature, 'base64url'),
  );
}

/** The compact serialization of `payload` under `header`, signed with `key`. */
export async function signCompact(
  alg: Algorithm,
  header: Record<string, unknown>,
  payload: Uint8Array,
  key: KeyObject,
): Promise<string> {
  const input = signingInputOf(header, payload);
  return `${input}.${await signInput(alg, input, key)}`;
}

/** A compact JWS as its signing input and its base64url signature; undefined without a signature part. */
export function splitCompact(jws: string): { input: string; signature: string } | undefined {
  const end = jws.lastIndexOf('.');
  return end < 0 ? undefined : { input: jws.slice(0, end), signature: jws.slice(end + 1) };
}

/**
 * The protected header of a compact JWS, or undefined when it is not a JSON
 * object. Unlike jose's decodeProtectedHeader, it decodes base64url in native
 * code: the worker reads back the header of every JWS it signs.
 */
export function protectedHeaderOf(jws: string): Record<string, unknown> | undefined {
  const end = jws.indexOf('.');
  if (end <= 0) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(jws.slice(0, end), 'base64url').toString());
    return typeof header === 'object' && header !== null && !Array.isArray(header)
      ? (header as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the signature of a compact JWS verifies with `key` under `alg` (the header is not read). */
export function verifyCompact(alg: Algorithm, jws: string, key: KeyObject): boolean {
  const parts = splitCompact(jws);
  return parts ? verifyInput(alg, parts.input, parts.signature, key) : false;
}
