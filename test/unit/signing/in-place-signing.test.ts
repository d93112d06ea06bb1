import { createPublicKey, webcrypto } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { createCsr, parseVerifiedCsr } from '../../../src/ca/csr.js';
import type { LoadedKey } from '../../../src/domain/ports.js';
import type { Algorithm } from '../../../src/domain/types.js';
import { WEBCRYPTO_PARAMS } from '../../../src/keys/algorithms.js';
import { SignatureGenerator } from '../../../src/signing/signature-generator.js';

const SIGN_PARAMS: Record<string, webcrypto.AlgorithmIdentifier | webcrypto.EcdsaParams> = {
  ES256: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
  EdDSA: { name: 'Ed25519' },
  PS256: { name: 'RSA-PSS', saltLength: 32 } as webcrypto.RsaPssParams,
};

/**
 * A key whose private half is reachable only through `sign`, as with a token:
 * `privateKey` is a bare description that no WebCrypto implementation accepts.
 */
async function signerOnlyKey(algorithm: Algorithm): Promise<LoadedKey & { calls: number[] }> {
  const pair = (await webcrypto.subtle.generateKey(WEBCRYPTO_PARAMS[algorithm], false, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const calls: number[] = [];
  const description: webcrypto.CryptoKey = {
    type: 'private',
    extractable: false,
    algorithm: pair.publicKey.algorithm,
    usages: ['sign'],
  };
  return {
    record: { kid: `kid-${algorithm}`, algorithm } as LoadedKey['record'],
    privateKey: description,
    publicKey: pair.publicKey,
    calls,
    sign: async (input) => {
      calls.push(input.length);
      const params = SIGN_PARAMS[algorithm] ?? algorithm;
      return new Uint8Array(await webcrypto.subtle.sign(params, pair.privateKey, input));
    },
  };
}

describe('signing through LoadedKey.sign', () => {
  it.each(['ES256', 'EdDSA', 'PS256'] as const)(
    '%s: the compact JWS verifies and carries alg and kid',
    async (algorithm) => {
      const key = await signerOnlyKey(algorithm);
      const { jws, signature } = await new SignatureGenerator().sign(
        key,
        { typ: 'signet+jwt' },
        { sub: 'r1', n: 1 },
      );
      expect(key.calls).toHaveLength(1);
      expect(jws.endsWith(`.${signature}`)).toBe(true);
      const verified = await compactVerify(jws, key.publicKey);
      expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual({ sub: 'r1', n: 1 });
      expect(decodeProtectedHeader(jws)).toEqual({
        typ: 'signet+jwt',
        alg: algorithm,
        kid: `kid-${algorithm}`,
      });
    },
  );

  it('is not checked where it is made: the caller verifies it', async () => {
    const key = await signerOnlyKey('EdDSA');
    const signed = await new SignatureGenerator().sign(key, {}, { sub: 'a' }, [
      await webcrypto.subtle
        .exportKey('spki', key.publicKey)
        .then((spki) => createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' })),
    ]);
    expect(signed.checks).toBeUndefined();
    await expect(compactVerify(signed.jws, key.publicKey)).resolves.toBeDefined();
  });

  it('a tampered payload does not verify', async () => {
    const key = await signerOnlyKey('ES256');
    const { jws } = await new SignatureGenerator().sign(key, {}, { sub: 'a' });
    const [h, , s] = jws.split('.');
    const forged = `${h}.${Buffer.from('{"sub":"b"}').toString('base64url')}.${s}`;
    await expect(compactVerify(forged, key.publicKey)).rejects.toThrow();
  });

  it.each(['ES256', 'EdDSA', 'PS256'] as const)(
    '%s: a CSR signed through sign passes parseVerifiedCsr',
    async (algorithm) => {
      const key = await signerOnlyKey(algorithm);
      const csrPem = await createCsr({
        kid: key.record.kid,
        privateKey: key.privateKey,
        publicKey: key.publicKey,
        sign: key.sign!.bind(key),
      });
      expect(key.calls).toHaveLength(1);
      const csr = await parseVerifiedCsr(csrPem);
      expect(csr.subject).toBe(`CN=${key.record.kid}`);
    },
  );
});
