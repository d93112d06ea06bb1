import type { Clock } from '../domain/ports.js';
import type { OcspResult } from './ocsp-client.js';

const MAX_ENTRIES = 10_000;

/**
 * Verified OCSP answers per CA and serial, kept until their nextUpdate. Only
 * definite answers (good, revoked) with a nextUpdate are kept.
 */
export class OcspCache {
  readonly #entries = new Map<string, OcspResult & { nextUpdate: Date }>();

  constructor(private readonly clock: Clock) {}

  get(caId: string, serial: string): OcspResult | undefined {
    const key = `${caId}\u0000${serial}`;
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.nextUpdate.getTime() <= this.clock.now().getTime()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(caId: string, serial: string, result: OcspResult): void {
    const { nextUpdate } = result;
    if (result.status === 'unknown' || !nextUpdate) return;
    if (nextUpdate.getTime() <= this.clock.now().getTime()) return;
    if (this.#entries.size >= MAX_ENTRIES) this.#prune();
    this.#entries.set(`${caId}\u0000${serial}`, { ...result, nextUpdate });
  }

  delete(caId: string, serial: string): void {
    this.#entries.delete(`${caId}\u0000${serial}`);
  }

  get size(): number {
    return this.#entries.size;
  }

  #prune(): void {
    const now = this.clock.now().getTime();
    for (const [key, entry] of this.#entries) {
      if (entry.nextUpdate.getTime() <= now) this.#entries.delete(key);
    }
    const oldest = this.#entries.keys().next();
    if (this.#entries.size >= MAX_ENTRIES && !oldest.done) this.#entries.delete(oldest.value);
  }
}
