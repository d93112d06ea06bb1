import { createPublicKey, type KeyObject, webcrypto } from 'node:crypto';
import { compactVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import type { LoadedKey } from '../../../src/domain/ports.js';
import { WEBCRYPTO_PARAMS } from '../../../src/keys/algorithms.js';
import { inlineJwsCrypto, type JwsCrypto } from '../../../src/signing/jws-crypto.js';
import { SignatureGenerator } from '../../../src/signing/signature-generator.js';

async function softwareKey(): Promise<LoadedKey> {
  const pair = (await webcrypto.subtle.generateKey(WEBCRYPTO_PARAMS.EdDSA, false, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  return {
    record: { kid: 'kid-1', algorithm: 'EdDSA' } as LoadedKey['record'],
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
  };
}

async function keyObjectOf(key: webcrypto.CryptoKey): Promise<KeyObject> {
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', key));
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

/** The inline crypto, recording how many keys each signature was asked to be checked with. */
function countingCrypto(): JwsCrypto & { checkedWith: number[] } {
  const checkedWith: number[] = [];
  return {
    ...inlineJwsCrypto,
    checkedWith,
    signAndCheck: (alg, input, key, checkKeys) => {
      checkedWith.push(checkKeys.length);
      return inlineJwsCrypto.signAndCheck(alg, input, key, checkKeys);
    },
  };
}

describe('SignatureGenerator with certificate keys to check with', () => {
  it('checks once with a key that several certificates share, and answers for each', async () => {
    const key = await softwareKey();
    const certified = await keyObjectOf(key.publicKey);
    const crypto = countingCrypto();
    const signed = await new SignatureGenerator(crypto).sign(key, {}, { sub: 'a' }, [
      certified,
      certified,
    ]);
    expect(crypto.checkedWith).toEqual([1]);
    expect(signed.checks).toEqual([true, true]);
    await expect(compactVerify(signed.jws, key.publicKey)).resolves.toBeDefined();
  });

  it('checks with each distinct key, in the order asked', async () => {
    const key = await softwareKey();
    const certified = await keyObjectOf(key.publicKey);
    const stranger = await keyObjectOf((await softwareKey()).publicKey);
    const crypto = countingCrypto();
    const signed = await new SignatureGenerator(crypto).sign(key, {}, { sub: 'a' }, [
      certified,
      stranger,
      certified,
    ]);
    expect(crypto.checkedWith).toEqual([2]);
    expect(signed.checks).toEqual([true, false, true]);
  });
});
