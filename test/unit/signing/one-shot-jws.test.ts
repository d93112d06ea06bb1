import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import type { Algorithm } from '../../../src/domain/types.js';
import {
  protectedHeaderOf,
  signCompact,
  verifyCompact,
} from '../../../src/signing/one-shot-jws.js';
import { keyPairs } from '../../support/key-pairs.js';

const pairs = keyPairs;
const payload = new TextEncoder().encode(JSON.stringify({ jti: 'x', data: 'naïve 🍣' }));

describe.each(Object.keys(pairs) as Algorithm[])('one-shot JWS with %s', (alg) => {
  const { privateKey, publicKey } = pairs[alg]();
  const header = { alg, kid: 'k', typ: 'signet-response+jwt' };

  it('signs what jose verifies, with the header as given', async () => {
    const jws = await signCompact(alg, header, payload, privateKey);
    const verified = await compactVerify(jws, publicKey, { algorithms: [alg] });
    expect(verified.protectedHeader).toEqual(header);
    expect(verified.payload).toEqual(payload);
  });

  it('verifies what jose signs, and refuses a changed payload or signature', async () => {
    const jws = await new CompactSign(payload).setProtectedHeader(header).sign(privateKey);
    expect(verifyCompact(alg, jws, publicKey)).toBe(true);
    const [h, p, s] = jws.split('.') as [string, string, string];
    expect(verifyCompact(alg, `${h}.${p}x.${s}`, publicKey)).toBe(false);
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    expect(verifyCompact(alg, `${h}.${p}.${flipped}`, publicKey)).toBe(false);
    expect(verifyCompact(alg, jws, pairs[alg]().publicKey)).toBe(false);
  });
});

describe('protectedHeaderOf', () => {
  const encode = (value: string): string => Buffer.from(value).toString('base64url');

  it('reads the header jose reads from a signed JWS', async () => {
    const { privateKey } = pairs.EdDSA();
    const header = { alg: 'EdDSA', kid: 'k-ü', typ: 'signet-response+jwt', x5u: 'https://a/b' };
    const jws = await new CompactSign(payload).setProtectedHeader(header).sign(privateKey);
    expect(protectedHeaderOf(jws)).toEqual(decodeProtectedHeader(jws));
    expect(protectedHeaderOf(jws)).toEqual(header);
  });

  it('answers undefined for a header that is not a JSON object', () => {
    for (const first of ['', 'not', encode('[1]'), encode('"alg"'), encode('null'), encode('{')]) {
      expect(protectedHeaderOf(`${first}.e30.c2ln`)).toBeUndefined();
    }
    expect(protectedHeaderOf('no-dot-at-all')).toBeUndefined();
  });
});
