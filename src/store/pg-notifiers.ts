import type pg from 'pg';
import type { KeyChange, KeyChangeNotifier, WorkNotifier } from '../domain/ports.js';
import type { KeyStatus } from '../domain/types.js';
import { InProcessNotifier } from './in-process-notifier.js';
import type { PgListener } from './pg-listener.js';

export const WORK_CHANNEL = 'signet_work';
export const KEYS_CHANNEL = 'signet_keys';

/**
 * Wakes the workers of every instance: this instance's at once, the others
 * through NOTIFY. Sends are coalesced (at most one in flight and one queued),
 * so a burst of submissions costs a few notifications, not one each.
 */
export class PgWorkNotifier implements WorkNotifier {
  readonly #local = new InProcessNotifier();
  #sending = false;
  #again = false;

  constructor(
    private readonly listener: PgListener,
    private readonly pool: pg.Pool,
  ) {}

  notify(): void {
    this.#local.notify();
    if (this.#sending) {
      this.#again = true;
      return;
    }
    void this.#send();
  }

  subscribe(listener: () => void): () => void {
    const local = this.#local.subscribe(listener);
    const remote = this.listener.on(WORK_CHANNEL, () => listener());
    return () => {
      local();
      remote();
    };
  }

  async #send(): Promise<void> {
    this.#sending = true;
    do {
      this.#again = false;
      try {
        await this.pool.query('SELECT pg_notify($1, $2)', [WORK_CHANNEL, '']);
      } catch {
        // Idle workers of other instances look again within a second anyway.
      }
    } while (this.#again);
    this.#sending = false;
  }
}

function parseKeyChange(payload: string): KeyChange | undefined {
  try {
    const value = JSON.parse(payload) as { kid?: unknown; status?: unknown };
    if (typeof value.kid === 'string' && typeof value.status === 'string') {
      return { kid: value.kid, status: value.status as KeyStatus };
    }
  } catch {
    // Not ours: treated as "something changed".
  }
  return undefined;
}

/** Key changes committed by any instance (sent with pg_notify inside the changing transaction). */
export class PgKeyChangeNotifier implements KeyChangeNotifier {
  constructor(private readonly listener: PgListener) {}

  subscribe(listener: (change: KeyChange | undefined) => void): () => void {
    return this.listener.on(KEYS_CHANNEL, (payload) =>
      listener(payload === undefined ? undefined : parseKeyChange(payload)),
    );
  }
}
