import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ResponseCache,
  SignetClient,
  SignetClientError,
  TrustStore,
  verifyResponseToken,
  verifyWithJwks,
  type VerifiedToken,
} from '../../src/client/index.js';
import { openssl } from '../support/openssl.js';
import { runCli, startSignet, type SignetProcess } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';

/**
 * The client side against the real server process: the SDK and the CLI
 * verify its tokens online (OCSP, revocation list, JWKS) and offline, and
 * refuse them once the key is revoked.
 */
describe(
  'end to end: the client SDK and CLI against a running service',
  { timeout: 90_000 },
  () => {
    const dir = tempDir();
    let signet: SignetProcess;
    let client: SignetClient;
    let roots: { id: string; pem: string }[];
    let trust: TrustStore;
    let first: VerifiedToken;
    let token = '';
    const path = (name: string) => join(dir.path, name);
    const trustArgs = () => ['--trust', path('local-a.pem'), path('local-b.pem')];
    const cli = (args: string[], input?: string) =>
      runCli(args, { SIGNET_DATA_DIR: dir.path, SIGNET_TOKEN: signet.adminToken }, input);

    beforeAll(async () => {
      // Both built-in CAs validate every key, so tokens name two CAs.
      writeFileSync(path('signet.yaml'), 'validation: { required: 2 }\n');
      signet = await startSignet({
        dataDir: dir.path,
        env: { SIGNET_CONFIG: path('signet.yaml') },
      });
      client = new SignetClient({ url: signet.url, token: signet.adminToken });
      roots = await client.caRoots();
      trust = TrustStore.fromPem(roots.map((r) => r.pem));
      for (const root of roots) writeFileSync(path(`${root.id}.pem`), root.pem);
    });
    afterAll(async () => {
      await signet?.stop();
      dir.remove();
    });

    it('request(): submits, long-polls, verifies online at OCSP, and returns the data', async () => {
      const data = { order: 42, amount: '10.00' };
      const seen: string[] = [];
      first = await client.requestVerified(data, {
        trust,
        onProgress: (view) => seen.push(view.status),
      });
      token = first.token;
      expect((first.data as { request: unknown }).request).toEqual(data);
      expect(first.claims.iss).toBe(signet.url);
      expect(first.cas.map((c) => c.id)).toEqual(['local-a']);
      expect(first.revocation).toMatchObject({ source: 'ocsp', caIds: ['local-a'] });
      expect(seen.at(-1)).toBe('completed');
      await expect(client.request({ again: true }, { trust })).resolves.toMatchObject({
        request: { again: true },
      });
    });

    it('verifies the same token against both CAs, by list, offline, and by JWKS', async () => {
      const both = await verifyResponseToken(token, {
        trust,
        allowOrigins: [signet.url],
        requireCAs: 2,
      });
      expect(both.cas.map((c) => c.id)).toEqual(['local-a', 'local-b']);
      expect(both.revocation.caIds).toEqual(['local-a', 'local-b']);

      const byList = await verifyResponseToken(token, {
        trust,
        allowOrigins: [signet.url],
        revocation: 'list',
      });
      expect(byList.revocation).toMatchObject({ source: 'list', url: `${signet.url}/revocations` });

      const onlyB = TrustStore.fromPem([roots.find((r) => r.id === 'local-b')?.pem ?? '']);
      const viaB = await verifyResponseToken(token, { trust: onlyB, allowOrigins: [signet.url] });
      expect(viaB.cas.map((c) => c.id)).toEqual(['local-b']);

      const chain = await (await fetch(first.header.x5u)).text();
      const offline = await verifyResponseToken(token, {
        trust,
        certificates: { [first.header.x5u]: chain },
        offline: true,
        cache: new ResponseCache(),
      });
      expect(offline.revocation.source).toBe('none');
      expect(offline.data).toEqual(first.data);

      const jwks = await verifyWithJwks(token, {
        jwksUrl: `${signet.url}/.well-known/jwks.json`,
        allowOrigins: [signet.url],
        issuer: signet.url,
      });
      expect(jwks.data).toEqual(first.data);
    });

    it('the chain the SDK validated is accepted by openssl verify', async () => {
      const [leaf, root] = first.cas[0]?.chain ?? [];
      writeFileSync(path('leaf.pem'), leaf ?? '');
      writeFileSync(path('anchor.pem'), root ?? '');
      expect(root).toBe(roots.find((r) => r.id === 'local-a')?.pem);
      const out = await openssl(['verify', '-CAfile', path('anchor.pem'), path('leaf.pem')]);
      expect(out).toMatch(/leaf\.pem: OK/);
    });

    it('signet verify: exit 0 with the data on stdout, or the result with --json', async () => {
      const ok = await cli(['verify', token, ...trustArgs(), '--allow-origin', signet.url]);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toEqual(first.data);

      const json = await cli(
        [
          'verify',
          '-',
          ...trustArgs(),
          '--allow-origin',
          signet.url,
          '--json',
          '--revocation',
          'list',
        ],
        token,
      );
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        valid: true,
        kid: first.header.kid,
        revocation: { source: 'list' },
      });
    });

    it('signet verify: a refusal is exit 1 and one line CODE: reason on stderr', async () => {
      const [h, p, s] = token.split('.');
      const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<
        string,
        unknown
      >;
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, data: 'forged' })).toString('base64url')}.${s}`;
      const refused = await cli(['verify', tampered, ...trustArgs(), '--allow-origin', signet.url]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/^ERR_SIGNATURE_INVALID: [^\n]+\n$/);

      const notAllowed = await cli(['verify', token, ...trustArgs()]);
      expect(notAllowed.code).toBe(1);
      expect(notAllowed.stderr).toMatch(/^ERR_X5U_NOT_ALLOWED: /);
    });

    it('signet verify: offline with the chain at hand; usage errors are exit 2', async () => {
      writeFileSync(path('chain.pem'), await (await fetch(first.header.x5u)).text());
      const offline = await cli([
        'verify',
        token,
        ...trustArgs(),
        '--offline',
        '--chain',
        path('chain.pem'),
        '--json',
      ]);
      expect(offline.code).toBe(0);
      expect(JSON.parse(offline.stdout).revocation.source).toBe('none');

      const usage = await cli(['verify', token]);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toMatch(/--trust/);
    });

    it('signet request: submits, verifies and prints the data; trusts the served roots only with a warning', async () => {
      const tofu = await cli(['request', '--data', '{"a":1}', '--url', signet.url]);
      expect(tofu.code).toBe(0);
      expect(JSON.parse(tofu.stdout)).toMatchObject({ request: { a: 1 } });
      expect(tofu.stderr).toMatch(/trust on first use/);

      const pinned = await cli([
        'request',
        '--data',
        '[1,2]',
        '--url',
        signet.url,
        '--trust',
        path('local-a.pem'),
        '--json',
      ]);
      expect(pinned.code).toBe(0);
      expect(pinned.stderr).toBe('');
      expect(JSON.parse(pinned.stdout)).toMatchObject({
        valid: true,
        data: { request: [1, 2] },
        subject: 'admin',
      });

      const badToken = await runCli(
        [
          'request',
          '--data',
          '{}',
          '--url',
          signet.url,
          '--token',
          'sig_wrong',
          '--trust',
          path('local-a.pem'),
        ],
        {},
      );
      expect(badToken.code).toBe(1);
      expect(badToken.stderr).toMatch(/^ERR_HTTP: POST \/request answered 401 ERR_UNAUTHENTICATED/);
    });

    it('after revocation the token is refused everywhere: OCSP, list, JWKS, CLI', async () => {
      const revoked = await fetch(`${signet.url}/revoke/${first.header.kid}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${signet.adminToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ reason: 'keyCompromise' }),
      });
      expect(revoked.status).toBe(200);
      const options = { trust, allowOrigins: [signet.url] };
      for (const revocation of ['ocsp', 'list', 'auto'] as const) {
        const err = await verifyResponseToken(token, { ...options, revocation }).catch(
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(SignetClientError);
        expect((err as SignetClientError).code).toBe('ERR_KEY_REVOKED');
      }
      const jwks = await verifyWithJwks(token, {
        jwksUrl: `${signet.url}/.well-known/jwks.json`,
        allowOrigins: [signet.url],
        cooldownDuration: 0,
        cacheMaxAge: 0,
      }).catch((e: unknown) => e);
      expect((jwks as SignetClientError).code).toBe('ERR_KEY_UNKNOWN');
      const cliRefusal = await cli([
        'verify',
        token,
        '--trust',
        path('local-a.pem'),
        '--allow-origin',
        signet.url,
      ]);
      expect(cliRefusal.code).toBe(1);
      expect(cliRefusal.stderr).toMatch(
        /^ERR_KEY_REVOKED: CA local-a reports the key .* revoked .*keyCompromise/,
      );
      // A new token, from the new key, verifies.
      await expect(client.request({ after: 'revocation' }, { trust })).resolves.toMatchObject({
        request: { after: 'revocation' },
      });
    });
  },
);
