import { describe, expect, it } from 'vitest';
import { atLeast } from '../../../bench/targets.js';

describe('bench targets', () => {
  it('judges a lower bound on the unrounded ratio and never shows a miss as the bound', () => {
    expect(atLeast('single', 0.59975, 0.6)).toEqual({
      name: 'single',
      value: 0.59,
      target: '>= 0.60',
      met: false,
    });
    expect(atLeast('single', 0.6046, 0.6)).toMatchObject({ value: 0.6, met: true });
    expect(atLeast('batch', 1.9999, 2)).toMatchObject({ value: 1.99, target: '>= 2', met: false });
    expect(atLeast('batch', 2, 2)).toMatchObject({ value: 2, met: true });
    expect(atLeast('exact', 0.29, 0.29)).toMatchObject({ value: 0.29, met: true });
  });
});
