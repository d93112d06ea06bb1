import { describe, expect, it } from 'vitest';
import { RemovableList } from '../../../src/shared/removable-list.js';

describe('RemovableList', () => {
  it('keeps values in the order they were added and counts them', () => {
    const list = new RemovableList<string>();
    list.add('a');
    list.add('b');
    list.add('c');
    expect(list.values()).toEqual(['a', 'b', 'c']);
    expect(list.size).toBe(3);
  });

  it('removes the first, a middle and the last entry', () => {
    const list = new RemovableList<number>();
    const removers = [1, 2, 3, 4, 5].map((n) => list.add(n));
    removers[2]?.();
    expect(list.values()).toEqual([1, 2, 4, 5]);
    removers[0]?.();
    expect(list.values()).toEqual([2, 4, 5]);
    removers[4]?.();
    expect(list.values()).toEqual([2, 4]);
    expect(list.size).toBe(2);
    list.add(6);
    expect(list.values()).toEqual([2, 4, 6]);
  });

  it('removes an entry once, however often its remover is called', () => {
    const list = new RemovableList<string>();
    const removeA = list.add('a');
    list.add('b');
    removeA();
    removeA();
    expect(list.values()).toEqual(['b']);
    expect(list.size).toBe(1);
  });

  it('empties and fills again', () => {
    const list = new RemovableList<string>();
    const removeA = list.add('a');
    const removeB = list.add('b');
    removeB();
    removeA();
    expect(list.values()).toEqual([]);
    expect(list.size).toBe(0);
    const removeC = list.add('c');
    expect(list.values()).toEqual(['c']);
    removeC();
    expect(list.size).toBe(0);
  });

  it('gives a snapshot that removals during iteration do not change', () => {
    const list = new RemovableList<string>();
    const removers = new Map<string, () => void>();
    for (const value of ['a', 'b', 'c']) removers.set(value, list.add(value));
    const seen: string[] = [];
    for (const value of list.values()) {
      seen.push(value);
      for (const remove of removers.values()) remove();
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(list.size).toBe(0);
  });
});
