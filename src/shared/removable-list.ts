interface Entry<T> {
  value: T | undefined;
  previous: Entry<T> | undefined;
  next: Entry<T> | undefined;
  removed: boolean;
}

/**
 * A collection for things that come and go once per request (in-flight work,
 * waits): each `add` returns the function that removes its entry, in O(1).
 *
 * Not a Set or a Map: a long-lived one whose entries keep being added and
 * deleted rebuilds its hash table every few additions, and V8 leaves each
 * replaced table pointing at its successor and at the entries it held. Those
 * dead tables sit in the old generation until a full collection, and the
 * young-generation collector treats what they point at as live, so the
 * objects of nearly every request were copied and promoted (measured with
 * `--trace-gc-nvp` under `Prefer: wait` load). A removed entry here lets go of
 * its value and neighbours at once.
 */
export class RemovableList<T> {
  #first: Entry<T> | undefined;
  #last: Entry<T> | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Appends `value`; the returned function removes it (calling it again does nothing). */
  add(value: T): () => void {
    const entry: Entry<T> = { value, previous: this.#last, next: undefined, removed: false };
    if (this.#last) this.#last.next = entry;
    else this.#first = entry;
    this.#last = entry;
    this.#size++;
    return () => this.#remove(entry);
  }

  /** The values, oldest first, as an array: safe to iterate while entries are removed. */
  values(): T[] {
    const values: T[] = [];
    for (let entry = this.#first; entry; entry = entry.next) values.push(entry.value as T);
    return values;
  }

  #remove(entry: Entry<T>): void {
    if (entry.removed) return;
    entry.removed = true;
    const { previous, next } = entry;
    if (previous) previous.next = next;
    else this.#first = next;
    if (next) next.previous = previous;
    else this.#last = previous;
    entry.value = undefined;
    entry.previous = undefined;
    entry.next = undefined;
    this.#size--;
  }
}
