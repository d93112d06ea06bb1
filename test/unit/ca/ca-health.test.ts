import { describe, expect, it } from 'vitest';
import { CaHealthMonitor } from '../../../src/ca/ca-health.js';
import type { CertificateAuthority } from '../../../src/domain/ports.js';
import type { CAHealth } from '../../../src/domain/types.js';
import { ManualClock } from '../../support/clock.js';

function fakeCa(id: string): CertificateAuthority & { up: boolean; probes: number } {
  return {
    id,
    type: 'local',
    url: `http://ca/${id}`,
    up: true,
    probes: 0,
    rootsPem: async () => [],
    certify: async () => {
      throw new Error('not used');
    },
    revoke: async () => undefined,
    ocsp: async () => new Uint8Array(),
    async probe() {
      this.probes += 1;
      if (!this.up) throw new Error(`${id} unreachable`);
    },
  };
}

describe('CaHealthMonitor', () => {
  it('probes every CA, opens on a failed probe, and reports only flips of healthy', async () => {
    const clock = new ManualClock();
    const a = fakeCa('a');
    const b = fakeCa('b');
    const monitor = new CaHealthMonitor({ cas: [a, b], clock, failureThreshold: 2, openMs: 5_000 });
    const changes: Array<[string, CAHealth, CAHealth]> = [];
    monitor.onChange((caId, before, after) => changes.push([caId, before, after]));

    await monitor.probeAll();
    expect([a.probes, b.probes]).toEqual([1, 1]);
    expect(monitor.health('a')).toMatchObject({
      healthy: true,
      state: 'closed',
      lastCheck: clock.now(),
    });

    // One failed probe is enough (the threshold counts failures of real traffic only).
    b.up = false;
    await monitor.probeAll();
    expect(monitor.health('b')).toMatchObject({ healthy: false, lastError: 'b unreachable' });
    expect(monitor.health('a')).toMatchObject({ healthy: true });
    expect(changes.map(([id, before, after]) => [id, before.healthy, after.healthy])).toEqual([
      ['b', true, false],
    ]);

    await monitor.probeAll();
    expect(b.probes).toBe(2);

    // A failed trial (half-open, then open again) is no change of health.
    clock.advance(5_000);
    await monitor.probeAll();
    expect(b.probes).toBe(3);
    expect(changes).toHaveLength(1);

    b.up = true;
    clock.advance(5_000);
    await monitor.probeAll();
    expect(b.probes).toBe(4);
    expect(monitor.health('b')).toMatchObject({ healthy: true, state: 'closed' });
    expect(changes.map(([id, , after]) => [id, after.healthy])).toEqual([
      ['b', false],
      ['b', true],
    ]);
    expect(monitor.breaker('a')).toBe(monitor.breaker('a'));
  });

  it('counts a hanging probe as a failure, and survives a throwing listener', async () => {
    const clock = new ManualClock();
    const slow = fakeCa('slow');
    slow.probe = () => new Promise(() => undefined);
    const monitor = new CaHealthMonitor({
      cas: [slow],
      clock,
      failureThreshold: 1,
      probeTimeoutMs: 20,
    });
    monitor.onChange(() => {
      throw new Error('audit down');
    });
    await monitor.probeAll();
    expect(monitor.health('slow')).toMatchObject({
      healthy: false,
      lastError: expect.stringMatching(/timed out/),
    });
  });

  it('probes on an interval until stopped', async () => {
    const a = fakeCa('a');
    const monitor = new CaHealthMonitor({ cas: [a], clock: new ManualClock() });
    monitor.start(5);
    await new Promise((resolve) => setTimeout(resolve, 60));
    monitor.stop();
    const seen = a.probes;
    expect(seen).toBeGreaterThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(a.probes).toBe(seen);
  });
});
