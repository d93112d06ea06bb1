import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Bytes promoted by young-generation collections over bytes allocated, from V8's GC trace. */
function promotedShare(kind: 'set' | 'list'): number {
  const run = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--trace-gc-nvp',
      // A fixed young generation: while it grows from its initial size, a few startup objects get promoted.
      '--min-semi-space-size=16',
      '--max-semi-space-size=16',
      '--import',
      'tsx',
      'test/support/churn-promotion.ts',
      kind,
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toContain(`done ${kind} 16`);
  let allocated = 0;
  let promoted = 0;
  for (const line of run.stdout.split('\n')) {
    if (!line.includes('gc=s ')) continue;
    allocated += Number(/ allocated=(\d+)/.exec(line)?.[1] ?? 0);
    promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
  }
  expect(allocated).toBeGreaterThan(0);
  return promoted / allocated;
}

describe('RemovableList under churn', () => {
  it('lets removed entries die young, where a Set has them promoted', () => {
    // The control shows what the test detects: a Set's replaced tables keep entries alive.
    expect(promotedShare('set')).toBeGreaterThan(0.15);
    expect(promotedShare('list')).toBeLessThan(0.05);
  }, 60_000);
});
