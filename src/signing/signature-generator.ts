import { KeyObject, type webcrypto } from 'node:crypto';
import type { JWSHeaderParameters } from 'jose';
import type { LoadedKey } from '../domain/ports.js';
import { inlineJwsCrypto, type JwsCrypto } from './jws-crypto.js';
import { signingInputOf } from './one-shot-jws.js';

export interface Signature {
  /** The compact JWS: protected header, payload and signature. */
  jws: string;
  /** The base64url signature (third segment). */
  signature: string;
  /** Whether the signature verifies with each key it was asked to be checked with, in order (see SignedAndChecked). */
  checks?: (boolean | null)[];
}

const encoder = new TextEncoder();

/** The KeyObject behind a software key's CryptoKey, made once per key (what node:crypto and the signing threads sign with). */
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

  /**
   * Signs; with `checkWith`, a software key's signature is also checked with
   * those keys in the same job (see SigningThreads.signAndCheck). A PKCS#11
   * key's is not: its `checks` are absent and the caller verifies.
   */
  async sign(
    key: LoadedKey,
    header: JWSHeaderParameters,
    claims: Record<string, unknown>,
    checkWith?: readonly KeyObject[],
  ): Promise<Signature> {
    const alg = key.record.algorithm;
    const protectedHeader = { ...header, alg, kid: key.record.kid };
    const payload = encoder.encode(JSON.stringify(claims));
    const input = signingInputOf(protectedHeader, payload);
    // A key in a PKCS#11 token signs in place: jose and node:crypto cannot drive it.
    if (key.sign) {
      const signature = Buffer.from(await key.sign(encoder.encode(input))).toString('base64url');
      return { jws: `${input}.${signature}`, signature };
    }
    const privateKey = keyObject(key.privateKey);
    if (!checkWith) {
      const signature = await this.crypto.sign(alg, input, privateKey);
      return { jws: `${input}.${signature}`, signature };
    }
    // The certificates of one key at several CAs share a KeyObject (leafPublicKey): one check answers for all.
    const distinct = [...new Set(checkWith)];
    const made = await this.crypto.signAndCheck(alg, input, privateKey, distinct);
    const checks = checkWith.map((checkKey) => made.checks[distinct.indexOf(checkKey)] ?? null);
    return { jws: `${input}.${made.signature}`, signature: made.signature, checks };
  }
}
