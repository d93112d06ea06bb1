import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Algorithm } from '../../src/domain/types.js';

/** A fresh node:crypto key pair for each JWS algorithm Signet signs with. */
export const keyPairs: Record<Algorithm, () => { privateKey: KeyObject; publicKey: KeyObject }> = {
  EdDSA: () => generateKeyPairSync('ed25519'),
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ES384: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  PS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
};
