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
  type VerifyKeyObjectInput,
} from 'node:crypto';
import { base64url } from 'jose';
import type { Algorithm } from '../domain/types.js';

interface Params {
  digest: string | null;
  options: Omit<SignKeyObjectInput, 'key'>;
  inline: boolean;
}

const PARAMS: Record<Algorithm, Params> = {
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

const encoder = new TextEncoder();

/** The compact serialization of `payload` under `header`, signed with `key` (RFC 7515 §7.1). */
export async function signCompact(
  alg: Algorithm,
  header: Record<string, unknown>,
  payload: Uint8Array,
  key: KeyObject,
): Promise<string> {
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(payload)}`;
  const { digest, options, inline } = PARAMS[alg];
  const data = encoder.encode(input);
  const signature = inline
    ? cryptoSign(digest, data, { key, ...options })
    : await new Promise<Buffer>((resolve, reject) =>
        cryptoSign(digest, data, { key, ...options }, (err, out) =>
          err ? reject(err) : resolve(out),
        ),
      );
  return `${input}.${base64url.encode(signature)}`;
}

/** Whether the signature of a compact JWS verifies with `key` under `alg` (the header is not read). */
export function verifyCompact(alg: Algorithm, jws: string, key: KeyObject): boolean {
  const end = jws.lastIndexOf('.');
  if (end < 0) return false;
  const { digest, options } = PARAMS[alg];
  const input: VerifyKeyObjectInput = { key, ...options };
  return cryptoVerify(
    digest,
    encoder.encode(jws.slice(0, end)),
    input,
    base64url.decode(jws.slice(end + 1)),
  );
}
