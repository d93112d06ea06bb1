/**
 * Calls that start while an identical one is in flight share its result, and
 * the result is reused for `ttlMs` after it settles (a failure is not kept).
 * `clear` drops everything at once, e.g. when a key changes.
 */
export class ShortLivedMemo<K, T> {
  readonly #entries = new Map<K, { value: Promise<T>; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly run: (key: K) => Promise<T>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(key: K): Promise<T> {
    const cached = this.#entries.get(key);
    if (cached && cached.until > this.now()) return cached.value;
    const entry = { value: this.run(key), until: Number.POSITIVE_INFINITY };
    this.#entries.set(key, entry);
    entry.value.then(
      () => {
        if (this.#entries.get(key) === entry) entry.until = this.now() + this.ttlMs;
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return entry.value;
  }

  clear(): void {
    this.#entries.clear();
  }
}
