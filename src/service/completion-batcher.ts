import type { CompletedResult, CompleteOutcome, RequestQueue } from '../domain/ports.js';

interface Pending {
  requestId: string;
  result: CompletedResult;
  resolve(outcome: CompleteOutcome): void;
  reject(err: unknown): void;
}

/** Completions recorded in one transaction at most. */
const MAX_BATCH = 64;

/**
 * Group commit for one worker: completions that arrive in the same turn of
 * the event loop are recorded in one transaction (`completeMany`), each
 * caller still getting its own outcome. A failed transaction fails every
 * completion in it, as each would have failed alone; the worker retries them.
 */
export class CompletionBatcher {
  #pending: Pending[] = [];
  #scheduled = false;

  constructor(
    private readonly queue: RequestQueue,
    private readonly owner: string,
  ) {}

  complete(requestId: string, result: CompletedResult): Promise<CompleteOutcome> {
    if (!this.queue.completeMany) return this.queue.complete(requestId, this.owner, result);
    return new Promise((resolve, reject) => {
      this.#pending.push({ requestId, result, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const completeMany = this.queue.completeMany?.bind(this.queue);
    while (this.#pending.length > 0 && completeMany) {
      const batch = this.#pending.splice(0, MAX_BATCH);
      try {
        const outcomes = await completeMany(this.owner, batch);
        batch.forEach((item, i) => item.resolve(outcomes[i] ?? 'lease-lost'));
      } catch (err) {
        for (const item of batch) item.reject(err);
      }
    }
  }
}
