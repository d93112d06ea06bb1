import type { Logger } from 'pino';
import type { LeaderLock } from '../domain/ports.js';

/** Work that exactly one instance does at a time (probes, reconciliation, scheduled rotation). */
export interface Duty {
  name: string;
  start(): void;
  stop(): void | Promise<unknown>;
}

/**
 * Runs the duties while this instance leads, and stops them when it no
 * longer does. With SQLite the instance always leads. A duty interrupted by
 * a change of leader is safe to overlap briefly: rotation is a
 * compare-and-set in the database, and probes only read.
 */
export class LeaderDuties {
  #running = false;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly leader: LeaderLock,
    private readonly duties: Duty[],
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.#unsubscribe ??= this.leader.onChange((leading) => this.#apply(leading));
    await this.leader.start();
    this.#apply(this.leader.isLeader());
  }

  /** Stops the duties and steps down, so that another instance takes over without waiting. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#stopDuties();
    await this.leader.stop();
  }

  #apply(leading: boolean): void {
    if (leading === this.#running) return;
    if (leading) {
      this.#running = true;
      this.logger.info(
        { duties: this.duties.map((duty) => duty.name) },
        'this instance leads: it runs the singleton duties',
      );
      for (const duty of this.duties) duty.start();
    } else {
      this.logger.warn('this instance no longer leads: another one runs the singleton duties');
      void this.#stopDuties();
    }
  }

  async #stopDuties(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    await Promise.all(
      this.duties.map(async (duty) => {
        try {
          await duty.stop();
        } catch (err) {
          this.logger.error({ err, duty: duty.name }, 'stopping a duty failed');
        }
      }),
    );
  }
}
