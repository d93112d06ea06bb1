import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../src/ca/circuit-breaker.js';
import { ManualClock } from '../../support/clock.js';

describe('CircuitBreaker', () => {
  it('opens after the threshold, lets one trial through after openMs, and closes on success', () => {
    const clock = new ManualClock();
    const transitions: string[] = [];
    const breaker = new CircuitBreaker({
      clock,
      failureThreshold: 3,
      openMs: 10_000,
      onTransition: (before, after) => transitions.push(`${before.state}>${after.state}`),
    });
    expect(breaker.health()).toEqual({ healthy: true, state: 'closed' });

    breaker.recordFailure(new Error('down 1'));
    breaker.recordFailure(new Error('down 2'));
    expect(breaker.state).toBe('closed');
    expect(breaker.canAttempt()).toBe(true);
    breaker.recordFailure(new Error('down 3'));
    expect(breaker.health()).toEqual({
      healthy: false,
      state: 'open',
      lastCheck: clock.now(),
      lastError: 'down 3',
    });
    expect(breaker.canAttempt()).toBe(false);

    clock.advance(9_999);
    expect(breaker.canAttempt()).toBe(false);
    clock.advance(1);
    expect(breaker.canAttempt()).toBe(true);
    expect(breaker.state).toBe('half-open');
    expect(breaker.health().healthy).toBe(false);
    expect(breaker.canAttempt()).toBe(false);

    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.canAttempt()).toBe(true);
    expect(transitions).toEqual(['closed>open', 'open>half-open', 'half-open>closed']);
  });

  it('re-opens at once when the half-open trial fails, and success resets the count', () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({ clock, failureThreshold: 2, openMs: 1_000 });
    breaker.recordFailure('x');
    breaker.recordSuccess();
    breaker.recordFailure('y');
    expect(breaker.state).toBe('closed');
    breaker.recordFailure('z');
    expect(breaker.state).toBe('open');

    clock.advance(1_000);
    expect(breaker.canAttempt()).toBe(true);
    breaker.recordFailure(new Error('still down'));
    expect(breaker.state).toBe('open');
    expect(breaker.canAttempt()).toBe(false);
    clock.advance(1_000);
    expect(breaker.canAttempt()).toBe(true);
  });

  it('trips open at once, and a trip during a trial re-opens it', () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({ clock, failureThreshold: 3, openMs: 1_000 });
    breaker.trip(new Error('probe failed'));
    expect(breaker.health()).toMatchObject({
      healthy: false,
      state: 'open',
      lastError: 'probe failed',
    });
    clock.advance(1_000);
    expect(breaker.canAttempt()).toBe(true);
    breaker.trip('still down');
    expect(breaker.state).toBe('open');
    clock.advance(1_000);
    expect(breaker.canAttempt()).toBe(true);
    breaker.recordSuccess();
    breaker.recordFailure('one blip');
    expect(breaker.state).toBe('closed');
  });

  it('gives up on a trial that never reports back after another openMs', () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, openMs: 1_000 });
    breaker.recordFailure('down');
    clock.advance(1_000);
    expect(breaker.canAttempt()).toBe(true);
    clock.advance(999);
    expect(breaker.canAttempt()).toBe(false);
    clock.advance(1);
    expect(breaker.canAttempt()).toBe(true);
  });
});
