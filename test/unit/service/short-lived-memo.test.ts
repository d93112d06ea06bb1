import { describe, expect, it } from 'vitest';
import { ShortLivedMemo } from '../../../src/service/short-lived-memo.js';

describe('ShortLivedMemo', () => {
  function counting(fail = false) {
    let now = 0;
    let calls = 0;
    const memo = new ShortLivedMemo(
      100,
      async (key: string) => {
        calls++;
        if (fail) throw new Error('no');
        return `${key}-${calls}`;
      },
      () => now,
    );
    return { memo, calls: () => calls, advance: (ms: number) => (now += ms) };
  }

  it('shares a call in flight and reuses its result until it is ttl old', async () => {
    const { memo, calls, advance } = counting();
    const [a, b] = await Promise.all([memo.get('k'), memo.get('k')]);
    expect([a, b]).toEqual(['k-1', 'k-1']);
    advance(99);
    expect(await memo.get('k')).toBe('k-1');
    advance(2);
    expect(await memo.get('k')).toBe('k-2');
    expect(calls()).toBe(2);
  });

  it('keeps one result per key, and none after clear', async () => {
    const { memo } = counting();
    expect(await memo.get('a')).toBe('a-1');
    expect(await memo.get('b')).toBe('b-2');
    memo.clear();
    expect(await memo.get('a')).toBe('a-3');
  });

  it('does not keep a failure', async () => {
    const { memo, calls } = counting(true);
    await expect(memo.get('k')).rejects.toThrow('no');
    await expect(memo.get('k')).rejects.toThrow('no');
    expect(calls()).toBe(2);
  });

  it('a call cleared while in flight does not come back when it settles', async () => {
    const { memo, calls } = counting();
    const first = memo.get('k');
    memo.clear();
    await first;
    expect(await memo.get('k')).toBe('k-2');
    expect(calls()).toBe(2);
  });
});
