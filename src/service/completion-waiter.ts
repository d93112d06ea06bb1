import { EventEmitter } from 'node:events';

/** Lets `/status?wait=N` return the moment a request settles. */
export class CompletionWaiter {
  readonly #events = new EventEmitter().setMaxListeners(0);
  #closed = false;

  /** True once the service is shutting down: long-polls answer with what they have. */
  get closed(): boolean {
    return this.#closed;
  }

  settled(requestId: string): void {
    this.#events.emit(requestId);
  }

  /**
   * Resolves when `requestId` settles in this process, when `pollMs` passes (the
   * caller re-reads the store: another process may have completed it), or at the deadline.
   */
  wait(requestId: string, ms: number): Promise<void> {
    if (this.#closed || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#events.off(requestId, done);
        this.#events.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#events.once(requestId, done);
      this.#events.once('close', done);
    });
  }

  /** Ends every wait (shutdown). */
  close(): void {
    this.#closed = true;
    this.#events.emit('close');
  }
}
