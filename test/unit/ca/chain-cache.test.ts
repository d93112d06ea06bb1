import { beforeAll, describe, expect, it } from 'vitest';
import { ValidatedChainCache } from '../../../src/ca/chain-cache.js';
import { SignetError } from '../../../src/domain/errors.js';
import { issue, makeRoot, type TestCert, validity } from './pki.js';

const AT = new Date(Date.UTC(2026, 5, 1));
const DAY = 24 * 3600_000;

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (err: unknown) => (err instanceof SignetError ? err.code : String(err)),
  );
}

describe('ValidatedChainCache', () => {
  let root: TestCert;
  let other: TestCert;
  let leaf: TestCert;

  beforeAll(async () => {
    root = await makeRoot({ name: 'Cache Root', ...validity(AT, 3650) });
    other = await makeRoot({ name: 'Other Root', ...validity(AT, 3650) });
    leaf = await issue(root, { name: 'kid-cache', ...validity(AT, 30) });
  });

  it('validates a chain once and answers again from the cache within its validity', async () => {
    const cache = new ValidatedChainCache();
    const input = { chainPem: leaf.pem, rootsPem: [root.pem], at: AT };
    const first = await cache.validate(input);
    const second = await cache.validate({ ...input, at: new Date(AT.getTime() + DAY) });
    // The very same object: validateChain builds a new one on every call.
    expect(second).toBe(first);
    expect(first.path.map((c) => c.subject)).toEqual(['CN=kid-cache', 'CN=Cache Root']);
  });

  it('re-validates outside the validity window, and refuses as validateChain does', async () => {
    const cache = new ValidatedChainCache();
    await cache.validate({ chainPem: leaf.pem, rootsPem: [root.pem], at: AT });
    const later = new Date(AT.getTime() + 40 * DAY);
    expect(
      await code(cache.validate({ chainPem: leaf.pem, rootsPem: [root.pem], at: later })),
    ).toBe('ERR_CA_VALIDATION_FAILED');
  });

  it('keys entries by the trust anchors and the trust window', async () => {
    const cache = new ValidatedChainCache();
    await cache.validate({ chainPem: leaf.pem, rootsPem: [root.pem], at: AT });
    expect(await code(cache.validate({ chainPem: leaf.pem, rootsPem: [other.pem], at: AT }))).toBe(
      'ERR_CA_VALIDATION_FAILED',
    );
    const windowed = {
      chainPem: leaf.pem,
      rootsPem: [root.pem],
      validTo: new Date(AT.getTime() + DAY),
    };
    await cache.validate({ ...windowed, at: AT });
    expect(await code(cache.validate({ ...windowed, at: new Date(AT.getTime() + 2 * DAY) }))).toBe(
      'ERR_CA_VALIDATION_FAILED',
    );
  });

  it('does not keep failures', async () => {
    const cache = new ValidatedChainCache();
    const input = { chainPem: leaf.pem, rootsPem: [other.pem], at: AT };
    expect(await code(cache.validate(input))).toBe('ERR_CA_VALIDATION_FAILED');
    expect(await code(cache.validate({ ...input, rootsPem: [root.pem] }))).toBeUndefined();
  });
});
