import { EventEmitter } from 'node:events';
import type { WorkNotifier } from '../domain/ports.js';

/** Wakes this process's workers the moment work is enqueued. */
export class InProcessNotifier implements WorkNotifier {
  readonly #events = new EventEmitter().setMaxListeners(0);

  notify(): void {
    this.#events.emit('work');
  }

  subscribe(listener: () => void): () => void {
    this.#events.on('work', listener);
    return () => this.#events.off('work', listener);
  }
}
