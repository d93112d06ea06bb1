import type { Clock } from '../domain/ports.js';
import type { CAHealth, CircuitState } from '../domain/types.js';

export interface CircuitBreakerOptions {
  clock: Clock;
  /** Consecutive failures that open the circuit. */
  failureThreshold?: number;
  /** How long the circuit stays open before one trial is let through. */
  openMs?: number;
  /** Called after every state change. */
  onTransition?: (before: CAHealth, after: CAHealth) => void;
}

/**
 * closed → open after `failureThreshold` consecutive failures; open →
 * half-open once `openMs` has passed, letting one trial through; the trial's
 * outcome closes or re-opens it. A trial that never reports back is given up
 * after another `openMs`, so the breaker cannot stay stuck half-open.
 */
export class CircuitBreaker {
  readonly #clock: Clock;
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #onTransition: CircuitBreakerOptions['onTransition'];
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #trialStartedAt = 0;
  #lastCheck: Date | undefined;
  #lastError: string | undefined;

  constructor(options: CircuitBreakerOptions) {
    this.#clock = options.clock;
    this.#threshold = Math.max(1, options.failureThreshold ?? 3);
    this.#openMs = Math.max(0, options.openMs ?? 30_000);
    this.#onTransition = options.onTransition;
  }

  get state(): CircuitState {
    return this.#state;
  }

  canAttempt(): boolean {
    const now = this.#clock.now().getTime();
    switch (this.#state) {
      case 'closed':
        return true;
      case 'open':
        if (now - this.#openedAt < this.#openMs) return false;
        this.#transition('half-open');
        this.#trialStartedAt = now;
        return true;
      case 'half-open':
        if (now - this.#trialStartedAt < this.#openMs) return false;
        this.#trialStartedAt = now;
        return true;
    }
  }

  recordSuccess(): void {
    this.#lastCheck = this.#clock.now();
    this.#failures = 0;
    this.#transition('closed');
  }

  recordFailure(error: unknown): void {
    const now = this.#clock.now();
    this.#lastCheck = now;
    this.#lastError = describe(error);
    this.#failures += 1;
    if (this.#state === 'half-open' || this.#failures >= this.#threshold) {
      this.#openedAt = now.getTime();
      this.#transition('open');
    }
  }

  /** Opens at once, whatever the count: for a failed health probe, which is no transient blip. */
  trip(error: unknown): void {
    this.#failures = Math.max(this.#failures, this.#threshold - 1);
    this.recordFailure(error);
  }

  health(): CAHealth {
    return {
      // Half-open is still unproven: only a successful trial makes the CA healthy again.
      healthy: this.#state === 'closed',
      state: this.#state,
      ...(this.#lastCheck ? { lastCheck: this.#lastCheck } : {}),
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
    };
  }

  #transition(next: CircuitState): void {
    if (next === this.#state) return;
    const before = this.health();
    this.#state = next;
    this.#onTransition?.(before, this.health());
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 300 ? `${message.slice(0, 297)}...` : message;
}
