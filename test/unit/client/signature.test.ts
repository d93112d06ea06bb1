import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { CompactSign } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyJws } from '../../../src/client/index.js';
import { expectCode } from './expect-code.js';
import { b64 } from './mini-signet.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pairs: Record<string, { privateKey: KeyObject; publicKey: KeyObject }> = {
  EdDSA: generateKeyPairSync('ed25519'),
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ES384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  ES512: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
  RS256: rsa,
  RS384: rsa,
  RS512: rsa,
  PS256: rsa,
  PS384: rsa,
  PS512: rsa,
};
const payload = new TextEncoder().encode('{"answer":42}');
/** Alters the signature's first character: all six of its bits are signature bits. */
const tamper = (jws: string) =>
  jws.replace(/\.(.)([^.]*)$/, (_m, c: string, rest: string) => `.${c === 'A' ? 'B' : 'A'}${rest}`);

/** An Ed25519 compact JWS of `payload`, signed by jose, and the key that verifies it. */
async function joseEdDSA(): Promise<{ jws: string; publicKey: KeyObject }> {
  const { privateKey, publicKey } = pairs.EdDSA as { privateKey: KeyObject; publicKey: KeyObject };
  const jws = await new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey);
  return { jws, publicKey };
}

/** The signature layer agrees with jose on every algorithm a caller may allow. */
describe('signatures', () => {
  it.each(Object.keys(pairs))('%s: accepts what jose signs, and nothing altered', async (alg) => {
    const { privateKey, publicKey } = pairs[alg] as { privateKey: KeyObject; publicKey: KeyObject };
    const jws = await new CompactSign(payload).setProtectedHeader({ alg }).sign(privateKey);
    const verified = await verifyJws(jws, publicKey, { algorithms: [alg] });
    expect(verified.header.alg).toBe(alg);
    expect(new TextDecoder().decode(verified.payload)).toBe('{"answer":42}');

    await expectCode(
      verifyJws(tamper(jws), publicKey, { algorithms: [alg] }),
      'ERR_SIGNATURE_INVALID',
    );
    const [header, , signature] = jws.split('.');
    const other = `${header}.${b64('{"answer":43}')}.${signature}`;
    await expectCode(verifyJws(other, publicKey, { algorithms: [alg] }), 'ERR_SIGNATURE_INVALID');
    await expectCode(
      verifyJws(`${header}.${jws.split('.')[1]}.`, publicKey, { algorithms: [alg] }),
      'ERR_SIGNATURE_INVALID',
    );
  });

  it('refuses a header with critical extensions, even when signed', async () => {
    const { privateKey, publicKey } = pairs.EdDSA as {
      privateKey: KeyObject;
      publicKey: KeyObject;
    };
    const input = `${b64(JSON.stringify({ alg: 'EdDSA', crit: ['exp'], exp: 1 }))}.${b64('{}')}`;
    const jws = `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
    await expectCode(verifyJws(jws, publicKey, { algorithms: ['EdDSA'] }), 'ERR_TOKEN_MALFORMED');
  });

  it("refuses another spelling of a valid token: bits set past a segment's last byte, white space around it", async () => {
    const { jws, publicKey } = await joseEdDSA();
    const signature = jws.slice(jws.lastIndexOf('.') + 1);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 64 bytes in 86 characters: the last one carries 2 bits of the signature and 4 spare bits.
    const last = alphabet.indexOf(signature.slice(-1));
    const respelled = `${jws.slice(0, -1)}${alphabet.charAt(last | 0b0101)}`;
    expect(respelled).not.toBe(jws);
    const respelledSignature = respelled.slice(respelled.lastIndexOf('.') + 1);
    expect(Buffer.from(respelledSignature, 'base64url')).toEqual(
      Buffer.from(signature, 'base64url'),
    );
    await expectCode(
      verifyJws(respelled, publicKey, { algorithms: ['EdDSA'] }),
      'ERR_TOKEN_MALFORMED',
    );
    await expect(verifyJws(jws, publicKey, { algorithms: ['EdDSA'] })).resolves.toBeDefined();
    for (const padded of [`${jws}\n`, ` ${jws}`]) {
      await expectCode(
        verifyJws(padded, publicKey, { algorithms: ['EdDSA'] }),
        'ERR_TOKEN_MALFORMED',
      );
    }
  });

  it('refuses segments that are not base64url', async () => {
    const { jws, publicKey } = await joseEdDSA();
    const [header, body, signature] = jws.split('.') as [string, string, string];
    const lone = body.padEnd(body.length + ((5 - (body.length % 4)) % 4), 'A');
    for (const bad of [
      `${header}.${lone}.${signature}`,
      `${header}.${body}=.${signature}`,
      `${header}.${body.replace(/^./, '+')}.${signature}`,
      `${header}.${body}.${signature}.`,
      `${header}.${body}`,
    ]) {
      await expectCode(verifyJws(bad, publicKey, { algorithms: ['EdDSA'] }), 'ERR_TOKEN_MALFORMED');
    }
  });
});
