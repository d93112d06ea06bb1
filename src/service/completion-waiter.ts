import { EventEmitter } from 'node:events';
import { RemovableList } from '../shared/removable-list.js';
import type { StatusView } from './api.js';

/** A settled request as its owner would read it from the store. */
export interface SettledView {
  clientId: string;
  view: StatusView;
}

/** Settled views no waiter took, kept in memory for status reads that come just after. */
const RECENT_MAX = 4096;
/** Bounds the memory they take whatever the size of the data (a view holds it twice). */
const RECENT_MAX_BYTES = 32 * 1024 * 1024;
const RECENT_TTL_MS = 30_000;

/** About what a view takes in memory: the token carries the data, the SignedResponse again. */
function approximateBytes({ view }: SettledView): number {
  return 512 + 2 * (view.token?.length ?? 0) + (view.error?.length ?? 0);
}

/** Lets `/status?wait=N` return the moment a request settles. */
export class CompletionWaiter {
  readonly #events = new EventEmitter().setMaxListeners(0);
  /**
   * The waits under way, each ended by `close`: a list, not a listener each on
   * one 'close' event, whose removal scans every listener (a batch of
   * hundreds of waits made that quadratic), nor a Set (see RemovableList).
   */
  readonly #waits = new RemovableList<() => void>();
  /** Insertion order is settlement order: the oldest entries are at the front. */
  readonly #recent = new Map<string, { view: SettledView; at: number; bytes: number }>();
  #recentBytes = 0;
  #closed = false;

  /** True once the service is shutting down: long-polls answer with what they have. */
  get closed(): boolean {
    return this.#closed;
  }

  /** `view`, when given, is handed to the waiters, so that they need not read the store again. */
  settled(requestId: string, view?: SettledView): void {
    const delivered = this.#events.emit(requestId, view);
    // A waiter answered its client with the view; later reads are rare and the store answers them.
    // Kept, each view would outlive several young-generation collections and be promoted.
    if (view && !delivered) this.#remember(requestId, view);
  }

  /**
   * How this process settled `requestId`, if it did within the last 30 s and
   * no waiter took the view. A settled request never changes, so this is what
   * the store holds for it.
   */
  recent(requestId: string): SettledView | undefined {
    const entry = this.#recent.get(requestId);
    return entry && Date.now() - entry.at <= RECENT_TTL_MS ? entry.view : undefined;
  }

  #remember(requestId: string, view: SettledView): void {
    const now = Date.now();
    const bytes = approximateBytes(view);
    if (bytes > RECENT_MAX_BYTES) return;
    this.#forget(requestId);
    this.#recent.set(requestId, { view, at: now, bytes });
    this.#recentBytes += bytes;
    for (const [id, entry] of this.#recent) {
      const full = this.#recent.size > RECENT_MAX || this.#recentBytes > RECENT_MAX_BYTES;
      if (!full && now - entry.at <= RECENT_TTL_MS) break;
      this.#forget(id);
    }
  }

  #forget(requestId: string): void {
    const entry = this.#recent.get(requestId);
    if (!entry) return;
    this.#recent.delete(requestId);
    this.#recentBytes -= entry.bytes;
  }

  /**
   * Resolves when `requestId` settles in this process, when `pollMs` passes (the
   * caller re-reads the store: another process may have completed it), or at the deadline.
   * Resolves with the settled view when this process settled it and said how.
   */
  wait(requestId: string, ms: number): Promise<SettledView | undefined> {
    if (this.#closed || ms <= 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const done = (view?: SettledView): void => {
        clearTimeout(timer);
        this.#events.off(requestId, done);
        stopTracking();
        resolve(view);
      };
      const timer = setTimeout(done, ms);
      this.#events.once(requestId, done);
      const stopTracking = this.#waits.add(done);
    });
  }

  /** Ends every wait (shutdown). */
  close(): void {
    this.#closed = true;
    for (const done of this.#waits.values()) done();
  }
}
