import { webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, importJWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Algorithm, KeyRotationRecord } from '../../src/domain/types.js';
import { Pkcs11KeyBackend } from '../../src/keys/pkcs11/pkcs11-backend.js';
import type { TokenOptions } from '../../src/keys/pkcs11/token.js';
import { SignatureGenerator } from '../../src/signing/signature-generator.js';
import {
  createSoftHsmTokens,
  inspectPrivateKey,
  type SoftHsmTokens,
  softHsmAvailable,
} from '../support/softhsm.js';

const available = await softHsmAvailable();
const LABEL = 'signet-test';

describe.skipIf(!available)('PKCS#11 key backend on a real SoftHSM2 token', () => {
  let tokens: SoftHsmTokens;
  const open: Pkcs11KeyBackend[] = [];
  const backend = (options: Partial<TokenOptions> = {}) => {
    const created = new Pkcs11KeyBackend({
      module: tokens.module,
      tokenLabel: LABEL,
      pin: tokens.pin,
      ...options,
    });
    open.push(created);
    return created;
  };
  const generateRecord = async (b: Pkcs11KeyBackend, algorithm: Algorithm) => {
    const { publicJwk, privateKeyRef } = await b.generate(algorithm);
    const record: KeyRotationRecord = {
      kid: publicJwk.kid ?? '',
      algorithm,
      status: 'active',
      publicJwk,
      privateKeyRef,
      createdAt: new Date(),
    };
    return record;
  };
  const signAndVerify = async (b: Pkcs11KeyBackend, record: KeyRotationRecord) => {
    const key = await b.load(record);
    const claims = { sub: 'request-1', at: Date.now() };
    const { jws } = await new SignatureGenerator().sign(key, { typ: 'JWT' }, claims);
    const verifier = await importJWK({ ...record.publicJwk }, record.algorithm);
    const verified = await compactVerify(jws, verifier);
    expect(verified.protectedHeader).toMatchObject({ alg: record.algorithm, kid: record.kid });
    expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(claims);
    return key;
  };

  beforeAll(async () => {
    tokens = createSoftHsmTokens();
    await tokens.initToken(LABEL);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  afterAll(() => tokens?.remove());

  it.each(['ES256', 'EdDSA', 'PS256', 'RS256', 'ES384'] as const)(
    '%s: generates in the token, signs there, and the JWS verifies with the stored public key',
    async (algorithm) => {
      const record = await generateRecord(backend(), algorithm);
      expect(record.privateKeyRef).toMatch(
        new RegExp(`^pkcs11:token=${LABEL};id=(%[0-9a-f]{2}){16};type=private$`),
      );
      const { kid: _kid, alg, use, ...members } = record.publicJwk;
      expect({ alg, use }).toEqual({ alg: algorithm, use: 'sig' });
      expect(members).not.toHaveProperty('d');
      expect(record.kid).toBe(
        await calculateJwkThumbprint(members as Parameters<typeof calculateJwkThumbprint>[0]),
      );
      await signAndVerify(backend(), record);
    },
  );

  it('keeps the private key sensitive and never extractable: it cannot be read, wrapped or exported', async () => {
    const record = await generateRecord(backend(), 'ES256');
    const seen = inspectPrivateKey(tokens, record.privateKeyRef);
    expect(seen).toMatchObject({
      extractable: false,
      sensitive: true,
      neverExtractable: true,
      alwaysSensitive: true,
      readValue: 'CKR_ATTRIBUTE_SENSITIVE',
      wrap: 'CKR_KEY_UNEXTRACTABLE',
    });
    expect(seen.makeExtractable).not.toBe('CKR_OK');
    const key = await backend().load(record);
    expect(key.privateKey.extractable).toBe(false);
    await expect(webcrypto.subtle.exportKey('pkcs8', key.privateKey)).rejects.toThrow();
    await expect(webcrypto.subtle.exportKey('jwk', key.privateKey)).rejects.toThrow();
  });

  it('signs with a key made by an earlier session (the key lives in the token, not in memory)', async () => {
    const first = backend();
    const record = await generateRecord(first, 'ES256');
    await first.close();
    await signAndVerify(backend(), record);
  });

  it('fails signing with a retryable ERR_HSM_UNAVAILABLE while the token is gone, and recovers', async () => {
    const b = backend();
    const record = await generateRecord(b, 'ES256');
    const key = await signAndVerify(b, record);
    const input = new TextEncoder().encode('x.y');
    tokens.unplug();
    try {
      const messages: string[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        const err = await key.sign?.(input).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'ERR_HSM_UNAVAILABLE', retryable: true });
        messages.push((err as Error).message);
      }
      expect(messages[0]).toMatch(/token 'signet-test' is unavailable: signing failed \(CKR_/);
      expect(messages[2]).toMatch(/token 'signet-test' is unreachable: module .*libsofthsm2\.so/);
    } finally {
      tokens.plugBack();
    }
    await signAndVerify(b, record);
  });

  it('names a missing token and lists the tokens that are there', async () => {
    const err = await backend({ tokenLabel: 'no-such-token' })
      .generate('ES256')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_HSM_UNAVAILABLE', retryable: true });
    expect((err as Error).message).toMatch(
      new RegExp(`token 'no-such-token' not found in module .*tokens present: '${LABEL}'`),
    );
  });

  it('names SIGNET_PKCS11_PIN when the token refuses the PIN, without showing the PIN', async () => {
    const wrongPin = '13579864';
    const b = backend({ pin: wrongPin });
    for (let attempt = 0; attempt < 2; attempt++) {
      const err = await b.generate('ES256').catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
      const message = (err as Error).message;
      expect(message).toMatch(/SIGNET_PKCS11_PIN: PKCS#11 token 'signet-test' refused the PIN/);
      expect(message).toContain('CKR_PIN_INCORRECT');
      expect(message).not.toContain(wrongPin);
      expect(JSON.stringify(err)).not.toContain(wrongPin);
    }
  });

  it('names keys.pkcs11.module when the module file is missing or not a PKCS#11 library', async () => {
    await expect(backend({ module: '/nonexistent/libp11.so' }).generate('ES256')).rejects.toThrow(
      /invalid config: keys\.pkcs11\.module: cannot read \/nonexistent\/libp11\.so \(ENOENT\)/,
    );
    await expect(backend({ module: '/etc/hostname' }).generate('ES256')).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringMatching(/keys\.pkcs11\.module: \/etc\/hostname is not a loadable/),
    });
  });

  it('destroys the key pair in the token; loading it afterwards says the token lacks it', async () => {
    const b = backend();
    const record = await generateRecord(b, 'ES256');
    await b.destroy(record);
    await expect(backend().load(record)).rejects.toMatchObject({
      code: 'ERR_HSM_UNAVAILABLE',
      message: expect.stringMatching(/does not hold the private key of/),
    });
    expect(() => inspectPrivateKey(tokens, record.privateKeyRef)).toThrow(/no private key/);
  });

  it('refuses records of software keys, of another token, or naming another key pair', async () => {
    const b = backend();
    const record = await generateRecord(b, 'ES256');
    const software = { ...record, privateKeyRef: 'v1.aGVsbG8.d29ybGQ' };
    await expect(b.load(software)).rejects.toThrow(/not a pkcs11: URI/);
    const elsewhere = { ...record, privateKeyRef: record.privateKeyRef.replace(LABEL, 'other') };
    await expect(b.load(elsewhere)).rejects.toThrow(
      /held in PKCS#11 token 'other', but keys\.pkcs11\.tokenLabel is 'signet-test'/,
    );
    const other = await generateRecord(b, 'ES256');
    await expect(b.load({ ...other, privateKeyRef: record.privateKeyRef })).rejects.toMatchObject({
      code: 'ERR_KEY_NOT_FOUND',
      message: expect.stringContaining(`is not ${other.kid}`),
    });
  });
});
