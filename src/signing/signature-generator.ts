import { KeyObject, type webcrypto } from 'node:crypto';
import { base64url, type JWSHeaderParameters } from 'jose';
import type { LoadedKey } from '../domain/ports.js';
import { inlineJwsCrypto, type JwsCrypto } from './jws-crypto.js';
import { signingInputOf } from './one-shot-jws.js';

export interface Signature {
  /** The compact JWS: protected header, payload and signature. */
  jws: string;
  /** The base64url signature (third segment). */
  signature: string;
}

const encoder = new TextEncoder();

/** The KeyObject behind a software key's CryptoKey (still not extractable), made once per key. */
const keyObjects = new WeakMap<webcrypto.CryptoKey, KeyObject>();
function keyObject(key: webcrypto.CryptoKey): KeyObject {
  let object = keyObjects.get(key);
  if (!object) {
    object = KeyObject.from(key);
    keyObjects.set(key, object);
  }
  return object;
}

/** Signs the response claims with the key that the KeyManager chose. */
export class SignatureGenerator {
  /** `crypto` computes software keys' signatures: inline, or on signing threads. */
  constructor(private readonly crypto: JwsCrypto = inlineJwsCrypto) {}

  async sign(
    key: LoadedKey,
    header: JWSHeaderParameters,
    claims: Record<string, unknown>,
  ): Promise<Signature> {
    const protectedHeader = { ...header, alg: key.record.algorithm, kid: key.record.kid };
    const payload = encoder.encode(JSON.stringify(claims));
    if (key.sign) {
      const jws = await signInPlace(key.sign.bind(key), protectedHeader, payload);
      return { jws, signature: jws.slice(jws.lastIndexOf('.') + 1) };
    }
    const input = signingInputOf(protectedHeader, payload);
    const signature = await this.crypto.sign(
      key.record.algorithm,
      input,
      keyObject(key.privateKey),
    );
    return { jws: `${input}.${signature}`, signature };
  }
}

/**
 * RFC 7515 compact serialization around a signer that jose cannot drive (a key
 * in a PKCS#11 token: jose only signs with keys of the global WebCrypto).
 */
async function signInPlace(
  sign: (signingInput: Uint8Array) => Promise<Uint8Array>,
  header: JWSHeaderParameters,
  payload: Uint8Array,
): Promise<string> {
  const signingInput = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(payload)}`;
  const signature = await sign(encoder.encode(signingInput));
  return `${signingInput}.${base64url.encode(signature)}`;
}
