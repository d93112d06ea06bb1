import type { Clock } from '../../src/domain/ports.js';

/** A clock that only moves when the test says so. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}
