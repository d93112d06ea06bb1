import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ResponseAssembler } from '../../../src/service/response-assembler.js';
import { signCompact } from '../../../src/signing/one-shot-jws.js';
import { signedResponseOf, TOKEN_TYPE } from '../../../src/signing/token-generator.js';

describe('signedResponseOf', () => {
  it('reads back from a token the SignedResponse it was packaged with', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const caLocations = [
      { id: 'local-a', x5u: 'https://signet.test/certs/k1/local-a.pem', ocsp: 'https://o.test/a' },
      { id: 'corp', x5u: 'https://signet.test/certs/k1/corp.pem', ocsp: 'https://o.test/c' },
    ];
    const data = { order: 42, amount: '10.00', nested: [1, 'two', { three: null }] };
    const header = { alg: 'EdDSA', kid: 'k1', typ: TOKEN_TYPE };
    const claims = { iss: 'https://signet.test', jti: 'r1', data, ca: caLocations };
    const jws = await signCompact('EdDSA', header, Buffer.from(JSON.stringify(claims)), privateKey);
    const signature = jws.slice(jws.lastIndexOf('.') + 1);
    const assembled = new ResponseAssembler().assemble({ data, signature, kid: 'k1', caLocations });
    expect(signedResponseOf(jws)).toEqual(assembled);
  });
});
