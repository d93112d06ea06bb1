import { EventEmitter } from 'node:events';
import type { KeyChange, KeyChangeNotifier } from '../domain/ports.js';

/** Key changes made by this process (SQLite: one process serves one database file). */
export class InProcessKeyChanges implements KeyChangeNotifier {
  readonly #events = new EventEmitter().setMaxListeners(0);

  publish(change: KeyChange): void {
    this.#events.emit('change', change);
  }

  subscribe(listener: (change: KeyChange | undefined) => void): () => void {
    this.#events.on('change', listener);
    return () => this.#events.off('change', listener);
  }
}
