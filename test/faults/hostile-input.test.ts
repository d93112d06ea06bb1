import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOcspRequest } from '../../src/ca/ocsp-client.js';
import { type Answer, RawHttp } from '../support/raw-http.js';
import { runCli, startSignet, type SignetProcess } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';
import { checkStoredKeys, keyMaterialIn } from './key-material.js';
import { malformedRequests } from './malformed-requests.js';

const COUNT = Number(process.env.BAD_INPUT_COUNT ?? 10_000);
const SEED = Number(process.env.BAD_INPUT_SEED ?? 20_261_125);

type Principal = 'none' | 'wrong' | 'client' | 'other' | 'admin';
const PRINCIPALS: Principal[] = ['none', 'wrong', 'client', 'other', 'admin'];

/**
 * Hostile input against a real server process: a seeded barrage of malformed
 * requests, every endpoint of the OpenAPI document by every kind of caller,
 * and a scan of everything the server said or stored for private key material.
 */
describe('hostile input', () => {
  const dir = tempDir();
  const masterKey = randomBytes(32);
  const seen: string[] = [];
  let signet: SignetProcess;
  let http: RawHttp;
  const tokens = {
    client: '',
    other: '',
    admin: '',
    wrong: `sig_${randomBytes(32).toString('base64url')}`,
  };

  const record = (answer: Answer): Answer => {
    seen.push(JSON.stringify(answer.headers), answer.text);
    return answer;
  };

  beforeAll(async () => {
    const configPath = join(dir.path, 'signet.yaml');
    writeFileSync(configPath, 'server: { rateLimit: { max: 100000000 } }\n');
    const env = {
      SIGNET_CONFIG: configPath,
      SIGNET_DATA_DIR: dir.path,
      SIGNET_MASTER_KEY: masterKey.toString('base64'),
    };
    signet = await startSignet({ dataDir: dir.path, env: { ...env, SIGNET_LOG_LEVEL: 'info' } });
    tokens.admin = signet.adminToken;
    for (const [name, id] of [
      ['client', 'alice'],
      ['other', 'bob'],
    ] as const) {
      const added = await runCli(['clients', 'add', id], env);
      expect(added.code).toBe(0);
      seen.push(added.stderr);
      tokens[name] = added.stdout.trim();
    }
    http = new RawHttp(signet.url, 16);
  });
  afterAll(async () => {
    http?.close();
    await signet?.stop();
    dir.remove();
  });

  it(
    `answers ${COUNT} generated malformed requests without a 5xx or a crash (seed ${SEED})`,
    { timeout: 180_000 },
    async () => {
      const cases = malformedRequests(SEED, COUNT, { client: tokens.client, admin: tokens.admin });
      const failures: string[] = [];
      const byStatus = new Map<number, number>();
      let next = 0;
      const worker = async () => {
        while (next < cases.length) {
          const index = next++;
          const item = cases[index];
          if (!item) break;
          const where = `#${index} ${item.category}`;
          if (item.kind === 'raw') {
            const text = await http.sendBytes(item.bytes);
            seen.push(text);
            const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
            byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
            if (status >= 500) failures.push(`${where}: ${text.slice(0, 160)}`);
            continue;
          }
          let answer: Answer;
          try {
            answer = record(await http.send(item.method, item.path, item.headers, item.body));
          } catch (err) {
            failures.push(
              `${where} ${item.method} ${item.path.slice(0, 80)}: no answer (${(err as Error).message})`,
            );
            continue;
          }
          byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
          const problem = /^application\/problem\+json/.test(
            String(answer.headers['content-type']),
          );
          const bad =
            answer.status >= 500 ||
            (answer.status >= 400 &&
              item.method !== 'HEAD' &&
              (!problem || !/"code":"ERR_[A-Z_]+"/.test(answer.text))) ||
            /root:x:0:0|at \S+ \(\/|"dependencies"/.test(answer.text);
          if (bad)
            failures.push(
              `${where} ${item.method} ${item.path.slice(0, 80)} → ${answer.status} ${answer.text.slice(0, 160)}`,
            );
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));

      expect(failures.slice(0, 20), `seed ${SEED}: ${failures.length} failures`).toEqual([]);
      expect([...byStatus.values()].reduce((a, b) => a + b, 0)).toBe(COUNT);
      // The barrage reached the validators, not only the router.
      expect(byStatus.get(400) ?? 0).toBeGreaterThan(COUNT / 4);
      expect(signet.child.exitCode).toBeNull();
      expect((await http.send('GET', '/health')).status).toBe(200);

      const headers = {
        authorization: `Bearer ${tokens.client}`,
        'content-type': 'application/json',
        prefer: 'wait=30',
      };
      const answer = record(
        await http.send(
          'POST',
          '/request',
          headers,
          JSON.stringify({ data: { after: 'barrage' } }),
        ),
      );
      expect(answer.status).toBe(200);
      const { token, requestId } = JSON.parse(answer.text) as { token: string; requestId: string };
      const jwks = createRemoteJWKSet(new URL(`${signet.url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(token, jwks, { issuer: signet.url });
      expect(payload).toMatchObject({
        jti: requestId,
        sub: 'alice',
        data: { request: { after: 'barrage' } },
      });
    },
  );

  it(
    'authorizes every endpoint of /openapi.json by caller: none, wrong token, client, other client, admin',
    { timeout: 60_000 },
    async () => {
      const openapi = JSON.parse(record(await http.send('GET', '/openapi.json')).text) as {
        paths: Record<string, Record<string, unknown>>;
      };
      const health = JSON.parse(record(await http.send('GET', '/health')).text) as {
        activeKid: string;
      };
      const kid = health.activeKid;
      const chain = record(await http.send('GET', `/certs/${kid}/local-a.pem`)).text;
      const root = record(await http.send('GET', '/cas/local-a/root.pem')).text;
      const ocspDer = Buffer.from(buildOcspRequest(chain, root).der);
      const own = JSON.parse(
        record(
          await http.send(
            'POST',
            '/request',
            { authorization: `Bearer ${tokens.client}`, 'content-type': 'application/json' },
            '{"data":"mine"}',
          ),
        ).text,
      ) as { requestId: string };

      const json = { 'content-type': 'application/json' };
      const publicRoute = [200, 200, 200, 200, 200];
      // [method, path as in the document, concrete path, extra headers, body, status per principal]
      const matrix: [
        string,
        string,
        string,
        Record<string, string>,
        string | Buffer | undefined,
        number[],
      ][] = [
        ['POST', '/request', '/request', json, '{"data":1}', [401, 401, 202, 202, 202]],
        [
          'POST',
          '/requests',
          '/requests',
          json,
          '{"items":[{"data":1}]}',
          [401, 401, 202, 202, 202],
        ],
        [
          'GET',
          '/status/{requestId}',
          `/status/${own.requestId}`,
          {},
          undefined,
          [401, 401, 200, 404, 200],
        ],
        ['GET', '/.well-known/jwks.json', '/.well-known/jwks.json', {}, undefined, publicRoute],
        ['GET', '/certs/{kid}/{caId}.pem', `/certs/${kid}/local-a.pem`, {}, undefined, publicRoute],
        ['GET', '/revocations', '/revocations', {}, undefined, publicRoute],
        ['GET', '/keys', '/keys', {}, undefined, [401, 401, 403, 403, 200]],
        ['GET', '/audit', '/audit', {}, undefined, [401, 401, 403, 403, 200]],
        ['GET', '/cas', '/cas', {}, undefined, publicRoute],
        ['GET', '/cas/{caId}/root.pem', '/cas/local-a/root.pem', {}, undefined, publicRoute],
        ['GET', '/health', '/health', {}, undefined, publicRoute],
        ['GET', '/metrics', '/metrics', {}, undefined, publicRoute],
        [
          'POST',
          '/ocsp/{caId}',
          '/ocsp/local-a',
          { 'content-type': 'application/ocsp-request' },
          ocspDer,
          publicRoute,
        ],
        [
          'GET',
          '/ocsp/{caId}/{*}',
          `/ocsp/local-a/${encodeURIComponent(ocspDer.toString('base64'))}`,
          {},
          undefined,
          publicRoute,
        ],
        // State-changing admin routes last: the admin's call rotates the key.
        ['POST', '/keys/rotate', '/keys/rotate', {}, undefined, [401, 401, 403, 403, 200]],
        [
          'POST',
          '/revoke/{keyId}',
          `/revoke/${kid}`,
          json,
          '{"reason":"superseded"}',
          [401, 401, 403, 403, 200],
        ],
      ];

      const documented = Object.entries(openapi.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      );
      // Every documented endpoint has its row, and every row is a documented endpoint.
      expect(matrix.map(([m, p]) => `${m} ${p}`).sort()).toEqual([...documented].sort());

      const bearer: Record<Principal, string | undefined> = {
        none: undefined,
        wrong: tokens.wrong,
        client: tokens.client,
        other: tokens.other,
        admin: tokens.admin,
      };
      const got: string[] = [];
      const want: string[] = [];
      for (const [method, documentedPath, path, headers, body, statuses] of matrix) {
        for (const [i, who] of PRINCIPALS.entries()) {
          const token = bearer[who];
          const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
          const answer = record(await http.send(method, path, { ...headers, ...auth }, body));
          got.push(`${method} ${documentedPath} as ${who}: ${answer.status}`);
          want.push(`${method} ${documentedPath} as ${who}: ${statuses[i]}`);
          if (answer.status === 401) expect(answer.headers['www-authenticate']).toMatch(/^Bearer /);
        }
      }
      expect(got).toEqual(want);
    },
  );

  it('shows no private key material in any answer, log line or error, and stores keys only encrypted', async () => {
    const jwks = JSON.parse(record(await http.send('GET', '/.well-known/jwks.json')).text) as {
      keys: object[];
    };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) expect(Object.keys(key)).not.toContain('d');

    const output = signet.output();
    // The log is at level info: every request left a line to scan.
    expect(output.split('\n').length).toBeGreaterThan(COUNT);
    const findings = [...seen, output].flatMap((text, i) =>
      keyMaterialIn(text, masterKey).map((what) => `#${i}: ${what}`),
    );
    expect(findings).toEqual([]);
    // API tokens are secrets too: never in a log line.
    for (const token of [tokens.admin, tokens.client, tokens.other])
      expect(output).not.toContain(token);

    const stored = checkStoredKeys(join(dir.path, 'signet.db'), masterKey);
    expect(stored.problems).toEqual([]);
    // Two built-in CA roots and the signing keys (the first, plus those the matrix rotated in).
    expect(stored.keys).toBeGreaterThanOrEqual(4);
  });
});
