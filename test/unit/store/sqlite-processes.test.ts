import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../../src/store/audit-verify.js';
import { openStore } from '../../../src/store/index.js';
import { tempDir } from '../../support/temp.js';

const run = promisify(execFile);
const APPENDER = new URL('../../support/sqlite-audit-appender.ts', import.meta.url).pathname;

describe('SQLite with two processes on one file (the server and the CLI)', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('serializes their transactions instead of failing with "database is locked"', async () => {
    const path = join(dir.path, 'signet.db');
    // Migrate first, so that the children race on appends only.
    await (await openStore({ kind: 'sqlite', path })).close();
    const children = await Promise.all(
      [1, 2, 3].map(() => run(process.execPath, ['--import', 'tsx', APPENDER, path, '300'])),
    );
    for (const { stdout } of children) expect(JSON.parse(stdout)).toEqual({ failed: 0 });
    const store = await openStore({ kind: 'sqlite', path });
    expect(await verifyAuditChain(store.db)).toEqual({ ok: true, entries: 900 });
    await store.close();
  }, 30_000);
});
