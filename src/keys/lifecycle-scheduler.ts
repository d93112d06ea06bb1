import type { Logger } from 'pino';
import type { Clock, KeyRepository } from '../domain/ports.js';
import type { KeyManager } from './key-manager.js';

const MIN_DELAY_MS = 50;
/** Re-evaluate at least this often: the schedule may change under us (another process, the CLI). */
const MAX_DELAY_MS = 60_000;

export interface LifecycleSchedulerOptions {
  keyManager: KeyManager;
  keys: KeyRepository;
  clock: Clock;
  prepublishMs: number;
  retainMs: number;
  logger: Logger;
}

/**
 * Drives the key lifecycle in time: publishes the next key `prepublish`
 * before the rotation, rotates when due (also catching up once after
 * downtime), and destroys retired keys after retention.
 */
export class KeyLifecycleScheduler {
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(private readonly options: LifecycleSchedulerOptions) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#loop();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** One pass: rotate if due, pre-publish if due, destroy expired keys. Returns the next wake-up delay. */
  async tick(): Promise<number> {
    const { keyManager } = this.options;
    await keyManager.getKeyForSigning();
    await keyManager.prepublishIfDue();
    await keyManager.destroyExpired();
    return this.nextDelay();
  }

  private async nextDelay(): Promise<number> {
    const { keys, clock, prepublishMs, retainMs } = this.options;
    const now = clock.now().getTime();
    const candidates: number[] = [];
    const active = await keys.getActive();
    const rotationAt = active?.nextRotationAt?.getTime();
    if (rotationAt !== undefined) {
      candidates.push(rotationAt);
      if (rotationAt - prepublishMs > now) candidates.push(rotationAt - prepublishMs);
    }
    for (const retired of await keys.list(['retired'])) {
      if (retired.retiredAt) candidates.push(retired.retiredAt.getTime() + retainMs);
    }
    const next = Math.min(...candidates, now + MAX_DELAY_MS);
    return Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, next - now));
  }

  async #loop(): Promise<void> {
    let delay = MIN_DELAY_MS;
    try {
      delay = await this.tick();
    } catch (err) {
      this.options.logger.error({ err }, 'key lifecycle step failed; will retry');
      delay = 1000;
    }
    if (!this.#running) return;
    this.#timer = setTimeout(() => void this.#loop(), delay);
    this.#timer.unref();
  }
}
