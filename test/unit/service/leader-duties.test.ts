import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { LeaderLock } from '../../../src/domain/ports.js';
import { LeaderDuties } from '../../../src/service/leader-duties.js';

/** A leadership the test hands out and takes back (the real lock is in the PostgreSQL tests). */
class FakeLeadership implements LeaderLock {
  leader = false;
  stopped = false;
  readonly #listeners = new Set<(leader: boolean) => void>();
  isLeader = () => this.leader;
  onChange(listener: (leader: boolean) => void) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  async start() {}
  async stop() {
    this.stopped = true;
    this.set(false);
  }
  set(leader: boolean) {
    this.leader = leader;
    for (const listener of this.#listeners) listener(leader);
  }
}

describe('LeaderDuties', () => {
  it('runs the duties only while this instance leads', async () => {
    const lock = new FakeLeadership();
    const log: string[] = [];
    const duty = (name: string) => ({
      name,
      start: () => void log.push(`start ${name}`),
      stop: () => void log.push(`stop ${name}`),
    });
    const duties = new LeaderDuties(
      lock,
      [duty('probes'), duty('rotation')],
      pino({ level: 'silent' }),
    );
    await duties.start();
    expect(log).toEqual([]);
    lock.set(true);
    lock.set(true);
    expect(log).toEqual(['start probes', 'start rotation']);
    lock.set(false);
    expect(log.slice(2)).toEqual(['stop probes', 'stop rotation']);
    lock.set(true);
    await duties.stop();
    expect(log.slice(4)).toEqual([
      'start probes',
      'start rotation',
      'stop probes',
      'stop rotation',
    ]);
    expect(lock.stopped).toBe(true);
  });
});
