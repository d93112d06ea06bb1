import { CompactSign, type JWSHeaderParameters } from 'jose';
import type { LoadedKey } from '../domain/ports.js';

export interface Signature {
  /** The compact JWS: protected header, payload and signature. */
  jws: string;
  /** The base64url signature (third segment). */
  signature: string;
}

const encoder = new TextEncoder();

/** Signs the response claims with the key that the KeyManager chose. */
export class SignatureGenerator {
  async sign(
    key: LoadedKey,
    header: JWSHeaderParameters,
    claims: Record<string, unknown>,
  ): Promise<Signature> {
    const jws = await new CompactSign(encoder.encode(JSON.stringify(claims)))
      .setProtectedHeader({ ...header, alg: key.record.algorithm, kid: key.record.kid })
      .sign(key.privateKey);
    return { jws, signature: jws.slice(jws.lastIndexOf('.') + 1) };
  }
}
