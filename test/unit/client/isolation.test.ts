import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DENY = fileURLToPath(new URL('./fixtures/deny-server-modules.mjs', import.meta.url));
const exec = promisify(execFile);

/** Imports `module` in a fresh Node with the server's packages and directories unresolvable. */
async function importIsolated(module: string): Promise<{ ok: boolean; output: string }> {
  const script = `const m = await import(${JSON.stringify(module)}); console.log(JSON.stringify(Object.keys(m).sort()));`;
  try {
    const { stdout } = await exec(
      process.execPath,
      ['--import', 'tsx', '--import', DENY, '--input-type=module', '-e', script],
      { cwd: ROOT, timeout: 30_000 },
    );
    return { ok: true, output: stdout };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('the client SDK stands alone', () => {
  it('imports with Fastify, Kysely, better-sqlite3, pino and every server directory unresolvable', async () => {
    const client = await importIsolated('./src/client/index.ts');
    expect(client.output).not.toMatch(/DENIED/);
    expect(client.ok).toBe(true);
    expect(JSON.parse(client.output)).toEqual(
      expect.arrayContaining([
        'SignetClient',
        'SignetClientError',
        'TrustStore',
        'verifyResponseToken',
        'verifyWithJwks',
      ]),
    );
  });

  it('the same guard does stop a module that needs the server', async () => {
    const store = await importIsolated('./src/store/index.ts');
    expect(store.ok).toBe(false);
    expect(store.output).toMatch(/DENIED server module/);
    const cli = await importIsolated('./src/cli/index.ts');
    expect(cli.ok).toBe(false);
    expect(cli.output).toMatch(/DENIED/);
  });

  it('is published as the ./client subpath of the package, with its types', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as {
      exports: Record<string, unknown>;
    };
    expect(pkg.exports['./client']).toEqual({
      types: './dist/client/index.d.ts',
      default: './dist/client/index.js',
    });
  });
});
