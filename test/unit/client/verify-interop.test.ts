import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponseCache, verifyJws, verifyResponseToken } from '../../../src/client/index.js';
import { openssl } from '../../support/openssl.js';
import { requireExternal } from '../../support/requirements.js';
import { tempDir } from '../../support/temp.js';
import { issue, validity } from '../ca/pki.js';
import { expectCode } from './expect-code.js';
import { MiniSignet } from './mini-signet.js';

const hasOpenssl = await requireExternal('openssl', () =>
  promisify(execFile)('openssl', ['version']),
);

/** RFC 7515 Appendix A payload: {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true} */
const RFC7515_PAYLOAD =
  'eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ';

/** RFC 7515 A.2 (RS256) with the RFC 7517 A.1 public key. */
const RFC7515_A2 = {
  jwk: {
    kty: 'RSA',
    n:
      'ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs' +
      'D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV' +
      'MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ',
    e: 'AQAB',
  },
  jws:
    `eyJhbGciOiJSUzI1NiJ9.${RFC7515_PAYLOAD}.` +
    'cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4' +
    'BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv' +
    'hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw',
};

/** RFC 7515 A.3 (ES256). */
const RFC7515_A3 = {
  jwk: {
    kty: 'EC',
    crv: 'P-256',
    x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
    y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
  },
  jws:
    `eyJhbGciOiJFUzI1NiJ9.${RFC7515_PAYLOAD}.` +
    'DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q',
};

/** RFC 8037 A.4 (Ed25519), over a payload that is not JSON. */
const RFC8037_A4 = {
  jwk: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
  jws:
    'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.' +
    'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg',
};

/** RFC 7515 A.1 (HS256) and A.5 (unsecured): never accepted, whatever the allow-list says. */
const RFC7515_A1 = `eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.${RFC7515_PAYLOAD}.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk`;
const RFC7515_A5 = `eyJhbGciOiJub25lIn0.${RFC7515_PAYLOAD}.`;

const tamper = (jws: string) => jws.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));

describe('interoperability: the signature layer against RFC examples', () => {
  it.each([
    ['RFC 7515 A.2 RS256', RFC7515_A2],
    ['RFC 7515 A.3 ES256', RFC7515_A3],
  ])('%s verifies, and fails once altered', async (_name, vector) => {
    const { header, payload } = await verifyJws(vector.jws, vector.jwk);
    expect(header.alg).toMatch(/^(RS|ES)256$/);
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({
      iss: 'joe',
      exp: 1300819380,
    });
    await expectCode(verifyJws(tamper(vector.jws), vector.jwk), 'ERR_SIGNATURE_INVALID');
  });

  it('RFC 8037 A.4 Ed25519 verifies, and fails once altered', async () => {
    const { payload } = await verifyJws(RFC8037_A4.jws, RFC8037_A4.jwk);
    expect(new TextDecoder().decode(payload)).toBe('Example of Ed25519 signing');
    await expectCode(verifyJws(tamper(RFC8037_A4.jws), RFC8037_A4.jwk), 'ERR_SIGNATURE_INVALID');
  });

  it('refuses the RFC examples that use HMAC or no signature, and keys that do not fit', async () => {
    await expectCode(
      verifyJws(RFC7515_A1, RFC7515_A2.jwk, { algorithms: ['HS256'] }),
      'ERR_ALG_NOT_ALLOWED',
    );
    await expectCode(
      verifyJws(RFC7515_A5, RFC7515_A2.jwk, { algorithms: ['none'] }),
      'ERR_ALG_NOT_ALLOWED',
    );
    await expectCode(verifyJws(RFC7515_A3.jws, RFC7515_A2.jwk), 'ERR_ALG_NOT_ALLOWED');
    await expectCode(verifyJws(RFC7515_A2.jws, RFC7515_A3.jwk), 'ERR_ALG_NOT_ALLOWED');
    await expectCode(
      verifyJws(RFC7515_A3.jws, RFC7515_A3.jwk, { algorithms: ['EdDSA'] }),
      'ERR_ALG_NOT_ALLOWED',
    );
  });
});

describe.skipIf(!hasOpenssl)(
  'interoperability: the chains the SDK accepts, openssl accepts',
  () => {
    let mini: MiniSignet;
    const dir = tempDir();

    beforeAll(async () => {
      mini = await MiniSignet.start();
    });
    afterAll(async () => {
      await mini.stop();
      dir.remove();
    });

    it('a chain through an intermediate: accepted by both, its root alone is all either needs', async () => {
      const root = mini.cas.get('ca-a');
      if (!root) throw new Error('no root');
      const inter = await issue(root, {
        name: 'Interop Intermediate',
        ...validity(new Date()),
        ca: true,
        pathLength: 0,
      });
      const id = await mini.identity('ES256', { issuer: inter });
      const result = await verifyResponseToken(mini.token(id), {
        trust: [root.pem],
        allowOrigins: [mini.url],
        offline: true,
        cache: new ResponseCache(),
      });
      const [leaf, intermediate, anchor] = result.cas[0]?.chain ?? [];
      writeFileSync(join(dir.path, 'leaf.pem'), leaf ?? '');
      writeFileSync(join(dir.path, 'inter.pem'), intermediate ?? '');
      writeFileSync(join(dir.path, 'root.pem'), anchor ?? '');
      const out = await openssl([
        'verify',
        '-CAfile',
        join(dir.path, 'root.pem'),
        '-untrusted',
        join(dir.path, 'inter.pem'),
        join(dir.path, 'leaf.pem'),
      ]);
      expect(out).toMatch(/leaf\.pem: OK/);
    });

    it('a chain to another root: refused by both', async () => {
      const id = await mini.identity('EdDSA', { caId: 'ca-b' });
      await expectCode(
        verifyResponseToken(mini.token(id), {
          trust: [mini.cas.get('ca-a')?.pem ?? ''],
          allowOrigins: [mini.url],
          offline: true,
        }),
        'ERR_CERT_UNTRUSTED',
      );
      writeFileSync(join(dir.path, 'b-chain.pem'), id.chainPem);
      writeFileSync(join(dir.path, 'a-root.pem'), mini.cas.get('ca-a')?.pem ?? '');
      const out = await openssl([
        'verify',
        '-CAfile',
        join(dir.path, 'a-root.pem'),
        join(dir.path, 'b-chain.pem'),
      ]);
      expect(out).not.toMatch(/: OK/);
    });
  },
);
