import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startSignet, type SignetProcess } from '../support/signet-process.js';
import { tempDir } from '../support/temp.js';

interface KeyRow {
  kid: string;
  algorithm: string;
  status: string;
  revocationReason: string | null;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = /^sig_[A-Za-z0-9_-]{43}$/;

/** The `signet` command, spawned for real against a temporary data dir. */
describe('signet CLI', () => {
  const dir = tempDir();
  const env = {
    SIGNET_DATA_DIR: dir.path,
    SIGNET_MASTER_KEY: randomBytes(32).toString('base64'),
  };
  const cli = (...args: string[]) => runCli(args, env);
  let signet: SignetProcess | undefined;
  afterAll(async () => {
    await signet?.stop();
    dir.remove();
  });

  async function keys(): Promise<KeyRow[]> {
    const listed = await cli('keys', 'list', '--json');
    expect(listed.code).toBe(0);
    return JSON.parse(listed.stdout) as KeyRow[];
  }
  const active = (rows: KeyRow[]) => rows.filter((row) => row.status === 'active');

  let aliceToken = '';
  let kid1 = '';
  let kid2 = '';
  let kid3 = '';

  it('lists no key on a fresh data dir: the first key is made on first use', async () => {
    expect(await keys()).toEqual([]);
  });

  it('`clients add` prints the token alone on stdout; `--role admin`; bad input adds nothing', async () => {
    const [alice, admin, badRole, badId] = await Promise.all([
      cli('clients', 'add', 'alice'),
      cli('clients', 'add', 'ops', '--role', 'admin'),
      cli('clients', 'add', 'bob', '--role', 'superuser'),
      cli('clients', 'add', 'no spaces/allowed'),
    ]);
    expect(alice.code).toBe(0);
    expect(alice.stdout).toMatch(/^sig_[^\n]+\n$/);
    aliceToken = alice.stdout.trim();
    expect(aliceToken).toMatch(TOKEN);
    expect(alice.stderr).not.toContain(aliceToken);

    expect(admin.code).toBe(0);
    expect(admin.stdout.trim()).toMatch(TOKEN);
    expect(admin.stdout.trim()).not.toBe(aliceToken);

    expect(badRole.code).not.toBe(0);
    expect(badRole.stdout).toBe('');
    expect(badRole.stderr).toMatch(/--role/);
    expect(badRole.stderr).toMatch(/superuser/);

    expect(badId.code).not.toBe(0);
    expect(badId.stdout).toBe('');
    expect(badId.stderr).toMatch(/ERR_VALIDATION/);
  });

  it('`keys rotate` on a fresh store creates exactly one active key and prints its kid', async () => {
    // (clients list runs alongside: it only checks the previous test's outcome)
    const [rotated, listed] = await Promise.all([
      cli('keys', 'rotate'),
      cli('clients', 'list', '--json'),
    ]);
    expect(listed.code).toBe(0);
    const clients = JSON.parse(listed.stdout) as { id: string; role: string }[];
    expect(
      clients.map(({ id, role }) => ({ id, role })).sort((a, b) => a.id.localeCompare(b.id)),
    ).toEqual([
      { id: 'alice', role: 'client' },
      { id: 'ops', role: 'admin' },
    ]);

    expect(rotated.code).toBe(0);
    kid1 = rotated.stdout.trim();
    expect(rotated.stdout).toBe(`${kid1}\n`);
    expect(kid1).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await keys();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kid: kid1, status: 'active', algorithm: 'EdDSA' });
  });

  it('`keys rotate` again activates a new kid and retires the old one', async () => {
    const rotated = await cli('keys', 'rotate');
    expect(rotated.code).toBe(0);
    kid2 = rotated.stdout.trim();
    expect(kid2).not.toBe(kid1);
    const rows = await keys();
    expect(active(rows).map((row) => row.kid)).toEqual([kid2]);
    expect(rows.find((row) => row.kid === kid1)?.status).toBe('retired');
  });

  it('`keys revoke ACTIVE --reason keyCompromise` prints the new active kid', async () => {
    const revoked = await cli('keys', 'revoke', kid2, '--reason', 'keyCompromise');
    expect(revoked.code).toBe(0);
    kid3 = revoked.stdout.trim();
    expect(revoked.stdout).toBe(`${kid3}\n`);
    expect([kid1, kid2]).not.toContain(kid3);
    // (the list is checked after the next revocations)
  });

  it('revoking a retired key keeps the active one; unknown kids and reasons are refused', async () => {
    const retired = await cli('keys', 'revoke', kid1, '--reason', 'superseded');
    const unknown = await cli('keys', 'revoke', 'no-such-kid');
    // Kids are base64url: one in 64 begins with "-", which is still a kid, not an option.
    const dashed = await cli('keys', 'revoke', '-no-such-kid', '--reason', 'superseded');
    const bogus = await cli('keys', 'revoke', kid3, '--reason', 'bogus');
    expect(retired.code, retired.stderr).toBe(0);
    expect(retired.stdout).toBe(`${kid3}\n`);

    expect(unknown.code).not.toBe(0);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/ERR_KEY_NOT_FOUND/);
    expect(dashed.code).not.toBe(0);
    expect(dashed.stderr).toMatch(/ERR_KEY_NOT_FOUND.*-no-such-kid/);

    // The same reasons as POST /revoke: anything else never reaches the store.
    expect(bogus.code).not.toBe(0);
    expect(bogus.stdout).toBe('');
    expect(bogus.stderr).toMatch(/bogus/);

    const rows = await keys();
    expect(active(rows).map((row) => row.kid)).toEqual([kid3]);
    expect(rows.find((row) => row.kid === kid2)).toMatchObject({
      status: 'revoked',
      revocationReason: 'keyCompromise',
    });
    expect(rows.find((row) => row.kid === kid1)).toMatchObject({
      status: 'revoked',
      revocationReason: 'superseded',
    });
    expect(rows).toHaveLength(3);
  });

  it('a token from `clients add` works against a server on the same data dir, as a client only', async () => {
    signet = await startSignet({ dataDir: dir.path, env });
    const health = (await (await fetch(`${signet.url}/health`)).json()) as { activeKid: string };
    expect(health.activeKid).toBe(kid3); // the server signs with the key the CLI made

    const submit = async (token: string, data: unknown): Promise<string> => {
      const response = await fetch(`${signet?.url}/request`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ data }),
      });
      expect(response.status).toBe(202);
      return ((await response.json()) as { requestId: string }).requestId;
    };
    const alice = { authorization: `Bearer ${aliceToken}` };

    const own = await submit(aliceToken, { from: 'alice' });
    const polled = await fetch(`${signet.url}/status/${own}?wait=20`, { headers: alice });
    expect(polled.status).toBe(200);
    const view = (await polled.json()) as { status: string; token: string };
    expect(view.status).toBe('completed');
    const claims = JSON.parse(
      Buffer.from(view.token.split('.')[1] ?? '', 'base64url').toString(),
    ) as { sub: string; data: { request: unknown } };
    expect(claims.sub).toBe('alice');
    expect(claims.data.request).toEqual({ from: 'alice' });

    const admins = await submit(signet.adminToken, { from: 'admin' });
    const foreign = await fetch(`${signet.url}/status/${admins}`, { headers: alice });
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as { code: string }).code).toBe('ERR_NOT_FOUND');

    const revoke = await fetch(`${signet.url}/revoke/${kid3}`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'keyCompromise' }),
    });
    expect(revoke.status).toBe(403);
    expect(((await revoke.json()) as { code: string }).code).toBe('ERR_FORBIDDEN');
    const after = (await (await fetch(`${signet.url}/health`)).json()) as { activeKid: string };
    expect(after.activeKid).toBe(kid3);

    expect(await signet.stop()).toBe(0);
    signet = undefined;
  });

  it('`audit verify` reports every entry of an intact log', async () => {
    const db = new BetterSqlite3(join(dir.path, 'signet.db'), { readonly: true });
    const { n } = db.prepare('select count(*) as n from audit_events').get() as { n: number };
    db.close();
    expect(n).toBeGreaterThan(5);

    const [verified, json] = await Promise.all([
      cli('audit', 'verify'),
      cli('audit', 'verify', '--json'),
    ]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toBe(`audit log intact: ${n} entries\n`);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, entries: n });
  });

  it('`audit verify` exits 1 naming the entry that was edited in the database', async () => {
    const db = new BetterSqlite3(join(dir.path, 'signet.db'));
    db.prepare("update audit_events set actor = 'mallory' where seq = 2").run();
    db.close();

    const [broken, json] = await Promise.all([
      cli('audit', 'verify'),
      cli('audit', 'verify', '--json'),
    ]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toMatch(/\bentry 2\b/);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      entries: 1,
      firstBroken: { seq: 2 },
    });
  });

  it('`audit verify` names an entry whose details were replaced by something that is not JSON', async () => {
    const db = new BetterSqlite3(join(dir.path, 'signet.db'));
    db.prepare("update audit_events set details = '{not json' where seq = 1").run();
    db.close();

    const [broken, json] = await Promise.all([
      cli('audit', 'verify'),
      cli('audit', 'verify', '--json'),
    ]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/\bentry 1\b/);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      entries: 0,
      firstBroken: { seq: 1 },
    });
  });

  it.concurrent(
    '`signet serve` with a bad config exits non-zero naming the key, before touching the data dir',
    async () => {
      const bad = tempDir();
      try {
        const configPath = join(bad.path, 'signet.yaml');
        writeFileSync(configPath, 'keys: { algorithm: HS256 }\n');
        const started = await runCli(['serve'], {
          SIGNET_DATA_DIR: join(bad.path, 'data'),
          SIGNET_CONFIG: configPath,
          SIGNET_PORT: String(await freePort()),
        });
        expect(started.code).not.toBe(0);
        expect(started.stdout).toBe('');
        expect(started.stderr).toMatch(/ERR_CONFIG_INVALID/);
        expect(started.stderr).toMatch(/keys\.algorithm/);
        expect(existsSync(join(bad.path, 'data'))).toBe(false);
        expect(readdirSync(bad.path)).toEqual(['signet.yaml']);
      } finally {
        bad.remove();
      }
    },
  );

  it.concurrent(
    '`signet serve` on a port that is taken exits non-zero instead of hanging',
    async () => {
      const blocker = createServer();
      const port = await new Promise<number>((resolve) =>
        blocker.listen(0, '127.0.0.1', () => {
          const address = blocker.address();
          resolve(typeof address === 'object' && address ? address.port : 0);
        }),
      );
      const other = tempDir();
      // Spawned here rather than through runCli, so that a hanging server can be killed.
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
        cwd: ROOT,
        env: {
          ...process.env,
          SIGNET_DATA_DIR: other.path,
          SIGNET_PORT: String(port),
          SIGNET_LOG_LEVEL: 'error',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      try {
        const code = await new Promise<number | null | 'hung'>((resolve) => {
          const timer = setTimeout(() => resolve('hung'), 20_000);
          child.once('exit', (exitCode) => {
            clearTimeout(timer);
            resolve(exitCode);
          });
        });
        expect(code, 'signet serve did not exit').not.toBe('hung');
        expect(code).not.toBe(0);
        expect(stderr).toMatch(/EADDRINUSE/);
      } finally {
        child.kill('SIGKILL');
        blocker.close();
        other.remove();
      }
    },
  );
});
