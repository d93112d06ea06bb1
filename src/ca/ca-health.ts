import type { CertificateAuthority, Clock } from '../domain/ports.js';
import type { CAHealth } from '../domain/types.js';
import { CircuitBreaker } from './circuit-breaker.js';

export type HealthListener = (caId: string, before: CAHealth, after: CAHealth) => unknown;

export interface CaHealthMonitorOptions {
  cas: CertificateAuthority[];
  clock: Clock;
  failureThreshold?: number;
  openMs?: number;
  /** A probe that takes longer than this counts as a failure. */
  probeTimeoutMs?: number;
}

/**
 * One circuit breaker per CA, fed by periodic probes and by the validator's
 * own calls. A failed probe opens the breaker at once; failures of real
 * traffic count towards the breaker's threshold.
 */
export class CaHealthMonitor {
  readonly #options: CaHealthMonitorOptions;
  readonly #cas: CertificateAuthority[];
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #listeners = new Set<HealthListener>();
  #timer: NodeJS.Timeout | undefined;
  #probing: Promise<void> | undefined;

  constructor(options: CaHealthMonitorOptions) {
    this.#options = options;
    this.#cas = [...options.cas];
    for (const ca of this.#cas) this.breaker(ca.id);
  }

  breaker(caId: string): CircuitBreaker {
    let breaker = this.#breakers.get(caId);
    if (!breaker) {
      breaker = new CircuitBreaker({
        clock: this.#options.clock,
        ...(this.#options.failureThreshold !== undefined
          ? { failureThreshold: this.#options.failureThreshold }
          : {}),
        ...(this.#options.openMs !== undefined ? { openMs: this.#options.openMs } : {}),
        onTransition: (before, after) => this.#emit(caId, before, after),
      });
      this.#breakers.set(caId, breaker);
    }
    return breaker;
  }

  health(caId: string): CAHealth {
    return this.breaker(caId).health();
  }

  /** Listens for a CA turning healthy or unhealthy. Returns an unsubscribe function. */
  onChange(listener: HealthListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Probes every CA whose breaker lets a call through; concurrent calls share one round. */
  probeAll(): Promise<void> {
    this.#probing ??= Promise.all(this.#cas.map((ca) => this.#probe(ca)))
      .then(() => undefined)
      .finally(() => {
        this.#probing = undefined;
      });
    return this.#probing;
  }

  start(intervalMs: number): void {
    this.stop();
    void this.probeAll();
    this.#timer = setInterval(() => void this.probeAll(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #probe(ca: CertificateAuthority): Promise<void> {
    const breaker = this.breaker(ca.id);
    if (!breaker.canAttempt()) return;
    try {
      await withTimeout(ca.probe(), this.#options.probeTimeoutMs ?? 5_000, ca.id);
      breaker.recordSuccess();
    } catch (err) {
      // A probe is a deliberate check: one failure is enough to fail over within one interval.
      breaker.trip(err);
    }
  }

  #emit(caId: string, before: CAHealth, after: CAHealth): void {
    if (before.healthy === after.healthy) return;
    for (const listener of this.#listeners) {
      try {
        const result = listener(caId, before, after);
        if (result instanceof Promise) result.catch(() => undefined);
      } catch {
        // A failing listener (e.g. the audit log) must not break health tracking.
      }
    }
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, caId: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`probe of CA ${caId} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
