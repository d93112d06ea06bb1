import type { Logger } from 'pino';
import type { Clock, RequestQueue } from '../domain/ports.js';

export interface RequestRetentionOptions {
  queue: RequestQueue;
  clock: Clock;
  logger: Logger;
  /** Settled requests older than this are deleted. */
  retainMs: number;
  /** How often the cleanup runs. */
  everyMs?: number;
  /** Rows per delete statement: short statements, so requests are not held up behind one. */
  chunk?: number;
}

const DEFAULT_EVERY_MS = 60_000;
const DEFAULT_CHUNK = 500;

/**
 * Deletes completed and failed requests once they are older than
 * `queue.retainCompleted`, so that the store (and the time to scan it) stays
 * bounded while requests keep passing through. A singleton duty: on several
 * instances only the leader runs it.
 */
export class RequestRetention {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(private readonly options: RequestRetentionOptions) {}

  start(): void {
    if (this.#timer) return;
    const every = this.options.everyMs ?? Math.min(DEFAULT_EVERY_MS, this.options.retainMs);
    this.#timer = setInterval(() => void this.runOnce(), every);
    this.#timer.unref();
    void this.runOnce();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One cleanup pass, chunk by chunk until nothing is left to delete; how many it deleted. */
  runOnce(): Promise<number> {
    this.#running ??= this.#sweep().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #sweep(): Promise<number> {
    const { queue, clock, logger, retainMs } = this.options;
    if (!queue.deleteSettledBefore) return 0;
    const chunk = this.options.chunk ?? DEFAULT_CHUNK;
    const cutoff = new Date(clock.now().getTime() - retainMs);
    let total = 0;
    try {
      for (;;) {
        const deleted = await queue.deleteSettledBefore(cutoff, chunk);
        total += deleted;
        if (deleted < chunk) break;
        // Let waiting requests run between chunks.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (err) {
      logger.warn({ err, deleted: total }, 'request retention: cleanup failed; retrying later');
    }
    if (total > 0)
      logger.info(
        { deleted: total, before: cutoff.toISOString() },
        'request retention: deleted settled requests',
      );
    return total;
  }
}
