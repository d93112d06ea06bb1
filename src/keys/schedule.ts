import { Cron } from 'croner';
import { SignetError } from '../domain/errors.js';

/** When the key activated at a given time is due to be replaced. */
export interface RotationSchedule {
  /** The first rotation time strictly after `activatedAt`. */
  nextAfter(activatedAt: Date): Date;
  describe(): string;
}

/** `keys.rotation.every`: a fixed interval after activation. */
export class IntervalSchedule implements RotationSchedule {
  constructor(private readonly everyMs: number) {}

  nextAfter(activatedAt: Date): Date {
    return new Date(activatedAt.getTime() + this.everyMs);
  }

  describe(): string {
    return `every ${this.everyMs} ms`;
  }
}

/**
 * `keys.rotation.cron`: the next cron occurrence in the given time zone. Croner
 * resolves DST gaps and overlaps so a wall-clock time fires once, not twice or never.
 */
export class CronSchedule implements RotationSchedule {
  readonly #cron: Cron;

  constructor(
    private readonly expression: string,
    private readonly timezone?: string,
  ) {
    const invalid = (reason: string) =>
      new SignetError('ERR_CONFIG_INVALID', `invalid config: keys.rotation.cron: ${reason}`);
    if (timezone !== undefined) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: timezone });
      } catch {
        throw invalid(`unknown time zone "${timezone}"`);
      }
    }
    try {
      this.#cron = new Cron(expression, { paused: true, ...(timezone ? { timezone } : {}) });
    } catch (err) {
      throw invalid((err as Error).message);
    }
    if (!this.#cron.nextRun(new Date())) throw invalid('never fires');
  }

  nextAfter(activatedAt: Date): Date {
    const next = this.#cron.nextRun(activatedAt);
    if (!next) throw new SignetError('ERR_INTERNAL', 'cron schedule has no next run');
    return next;
  }

  describe(): string {
    return `cron "${this.expression}"${this.timezone ? ` (${this.timezone})` : ''}`;
  }
}

export function scheduleFromConfig(
  rotation: { every: number } | { cron: string; timezone?: string | undefined },
): RotationSchedule {
  return 'every' in rotation
    ? new IntervalSchedule(rotation.every)
    : new CronSchedule(rotation.cron, rotation.timezone);
}
