import type { Logger } from 'pino';
import type { KeyChangeNotifier, KeyRepository } from '../domain/ports.js';
import type { KeyManager } from '../keys/key-manager.js';

/** Without a notification, a cached handle of a key that stopped signing is dropped after this long. */
export const KEY_CACHE_TTL_MS = 60_000;

/**
 * Keeps this instance's cached key handles in step with key changes made by
 * any instance. The signing pipeline looks the active key up again on every
 * key change (and at least every KEY_REUSE_MS), and a completion by a revoked
 * key is refused by the database; what this bounds is how long another
 * instance keeps the private handle of a key that no longer signs: until the
 * NOTIFY arrives, or `ttlMs` at most if it was lost.
 */
export class KeyCacheSync {
  #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: {
      changes: KeyChangeNotifier;
      keys: KeyRepository;
      keyManager: KeyManager;
      logger: Logger;
      ttlMs?: number;
    },
  ) {}

  start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.options.changes.subscribe((change) => {
      if (!change) {
        void this.sweep();
      } else if (change.status !== 'active' && change.status !== 'pending') {
        this.options.keyManager.forget(change.kid);
      }
    });
    this.#timer = setInterval(() => void this.sweep(), this.options.ttlMs ?? KEY_CACHE_TTL_MS);
    this.#timer.unref();
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Drops the handles of keys that no longer sign (retired, revoked, destroyed or gone). */
  async sweep(): Promise<void> {
    const { keys, keyManager, logger } = this.options;
    try {
      for (const kid of keyManager.loadedKids()) {
        const record = await keys.get(kid);
        if (!record || (record.status !== 'active' && record.status !== 'pending')) {
          keyManager.forget(kid);
        }
      }
    } catch (err) {
      logger.warn({ err }, 'could not re-read the keys; cached handles are kept until next time');
    }
  }
}
