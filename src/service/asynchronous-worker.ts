import type { Logger } from 'pino';
import { isSignetError } from '../domain/errors.js';
import type {
  ClaimedRequest,
  Clock,
  CompletedResult,
  RequestQueue,
  WorkNotifier,
} from '../domain/ports.js';
import type { RequestEnvelope } from '../domain/types.js';
import { RemovableList } from '../shared/removable-list.js';

export interface WorkerOptions {
  queue: RequestQueue;
  notifier: WorkNotifier;
  /** Produces the token of a request: key, process, sign, validate, assemble. */
  pipeline(envelope: RequestEnvelope): Promise<CompletedResult>;
  /** A completion was refused because its key is no longer usable: forget any cached key. */
  onKeyRefused?(): void;
  owner: string;
  leaseMs: number;
  batchSize: number;
  concurrency: number;
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** When every CA is down: wait and retry, or fail the request. */
  onAllDown: 'retry' | 'fail';
  clock: Clock;
  logger: Logger;
  onSettled?(requestId: string, outcome: 'completed' | 'failed', settlement?: Settlement): void;
}

/** What the worker knows of a request it settled: enough to answer for it without reading it back. */
export interface Settlement {
  envelope: RequestEnvelope;
  /** The completed result, as stored. */
  result?: CompletedResult;
  /** The reason of a failure, as stored. */
  error?: string;
}

/** A slot of the worker, held while its request is being enqueued (see `reserve`). */
export interface Reservation {
  lease: { owner: string; leaseMs: number };
  /** The request was stored with `lease`: process it now. */
  adopt(request: ClaimedRequest): void;
  /** It was not (refused, failed, or an idempotent replay): free the slot. */
  cancel(): void;
}

/** How long an idle worker sleeps at most before looking again (work from other processes). */
const IDLE_RECHECK_MS = 1000;
/** After a failed claim (e.g. the database is down) the worker waits 250 ms, doubling up to 5 s. */
const CLAIM_RETRY_MS = 250;
const CLAIM_RETRY_MAX_MS = 5_000;
/** A completion refused because the key was revoked meanwhile is signed again, this many times. */
const MAX_RESIGN = 3;

/** Leases requests from the queue and runs them through the pipeline. */
export class AsynchronousWorker {
  #running = false;
  /** Not a Set: see RemovableList. */
  readonly #inFlight = new RemovableList<Promise<void>>();
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  #claimFailures = 0;
  /** Slots promised to requests being enqueued with a lease for this worker. */
  #reserved = 0;
  /** Work may be waiting in the queue: after a notification, a claim that filled every slot, or time passing. */
  #queueMayHaveWork = true;
  /** A claim is under way: the slots it may fill are not free for the fast path. */
  #claiming = false;

  readonly #claimThreshold: number;

  constructor(private readonly options: WorkerOptions) {
    this.#claimThreshold = Math.max(
      1,
      Math.floor(Math.min(options.batchSize, options.concurrency) / 2),
    );
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribe = this.options.notifier.subscribe(() => {
      this.#queueMayHaveWork = true;
      this.#wake?.();
    });
    this.#loop = this.run();
  }

  /** Stops claiming, lets in-flight work finish (up to `graceMs`), then releases what is left. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#unsubscribe?.();
    this.#wake?.();
    await this.#loop;
    const grace = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.allSettled(this.#inFlight.values()), grace]);
    // If the store is down, the leases simply expire and any instance takes the work again.
    await this.options.queue.releaseAll(this.options.owner).catch((err: unknown) => {
      this.options.logger.warn({ err }, 'could not release leases; they will expire');
    });
  }

  /**
   * The fast path for a request this process is about to enqueue: a free slot
   * of this worker, for which the request is stored already leased to it and
   * then handed over with `adopt` (no claim, no round trip through the queue).
   * Undefined when the worker is stopped or busy, or when queued work may be
   * waiting (it comes first): enqueue it for any worker.
   */
  reserve(): Reservation | undefined {
    if (!this.#running || this.#queueMayHaveWork || this.#claiming || this.#free() <= 0) {
      return undefined;
    }
    this.#reserved += 1;
    let open = true;
    const close = (): boolean => {
      if (!open) return false;
      open = false;
      this.#reserved -= 1;
      return true;
    };
    return {
      lease: { owner: this.options.owner, leaseMs: this.options.leaseMs },
      adopt: (request) => {
        if (close()) this.track(this.process(request));
      },
      cancel: () => void close(),
    };
  }

  #free(): number {
    return this.options.concurrency - this.#inFlight.size - this.#reserved;
  }

  private async run(): Promise<void> {
    while (this.#running) {
      const limit = Math.min(this.#free(), this.options.batchSize);
      // A busy worker claims once half a batch of slots is free, not one slot at a time.
      if (limit <= 0 || (limit < this.#claimThreshold && this.#inFlight.size > 0)) {
        await this.sleep(IDLE_RECHECK_MS);
        continue;
      }
      if (!this.#queueMayHaveWork) {
        await this.sleep(await this.idleDelay());
        continue;
      }
      this.#queueMayHaveWork = false;
      let claimed: ClaimedRequest[];
      this.#claiming = true;
      try {
        claimed = await this.options.queue.claim(this.options.owner, limit, this.options.leaseMs);
      } catch (err) {
        this.#claiming = false;
        this.#queueMayHaveWork = true;
        this.#claimFailures++;
        this.options.logger.error(
          { err, failures: this.#claimFailures },
          'claiming work failed; retrying with backoff',
        );
        await this.sleep(
          Math.min(CLAIM_RETRY_MAX_MS, CLAIM_RETRY_MS * 2 ** (this.#claimFailures - 1)),
        );
        continue;
      }
      if (this.#claimFailures > 0) {
        this.options.logger.info({ failures: this.#claimFailures }, 'claiming work again');
        this.#claimFailures = 0;
      }
      // A full batch: more may be waiting, claim again as soon as a slot is free.
      if (claimed.length === limit) this.#queueMayHaveWork = true;
      for (const item of claimed) this.track(this.process(item));
      this.#claiming = false;
    }
  }

  private track(work: Promise<void>): void {
    const untrack = this.#inFlight.add(work);
    void work.finally(() => {
      untrack();
      // A freed slot matters to the loop only when queued work is waiting for one.
      if (this.#queueMayHaveWork) this.#wake?.();
    });
  }

  private async idleDelay(): Promise<number> {
    const due = await this.options.queue.nextDueAt().catch(() => undefined);
    if (!due) return IDLE_RECHECK_MS;
    return Math.max(
      0,
      Math.min(IDLE_RECHECK_MS, due.getTime() - this.options.clock.now().getTime()),
    );
  }

  /** Sleeps until woken or `ms` passed; time passing may make work due (retries, expired leases, other processes). */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#queueMayHaveWork = true;
        done();
      }, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  private async process({ envelope, attempts }: ClaimedRequest): Promise<void> {
    const { logger } = this.options;
    const id = envelope.requestId;
    try {
      for (let round = 0; round < MAX_RESIGN; round++) {
        const result = await this.options.pipeline(envelope);
        // The store records it with the other writes of this moment (one transaction).
        const outcome = await this.options.queue.complete(id, this.options.owner, result);
        if (outcome === 'completed') {
          this.options.onSettled?.(id, 'completed', { envelope, result });
          return;
        }
        if (outcome === 'lease-lost') {
          // Someone else holds the request now (our lease expired, or we released it).
          logger.warn({ requestId: id }, 'lease lost before completion; leaving the request');
          return;
        }
        // The key was revoked after it signed: sign again with the next key.
        this.options.onKeyRefused?.();
      }
      await this.retryLater(id, 'the signing key changed during signing', attempts);
    } catch (err) {
      await this.settleFailure(envelope, attempts, err).catch((settleErr: unknown) => {
        logger.error({ err: settleErr, requestId: id }, 'could not record a failed attempt');
      });
    }
  }

  private async settleFailure(
    envelope: RequestEnvelope,
    attempts: number,
    err: unknown,
  ): Promise<void> {
    const { queue, owner, logger, maxAttempts } = this.options;
    const id = envelope.requestId;
    const known = isSignetError(err);
    const message = known ? `${err.code}: ${err.message}` : 'internal error';
    if (!known) logger.error({ err, requestId: id }, 'request processing failed unexpectedly');
    const allDown = known && err.code === 'ERR_CA_UNAVAILABLE';
    const retryable = known && err.retryable && !(allDown && this.options.onAllDown === 'fail');
    if (retryable && attempts < maxAttempts) {
      logger.warn({ requestId: id, attempts, code: err.code }, 'request will be retried');
      await this.retryLater(id, message, attempts);
      return;
    }
    const reason = retryable ? `${message} (gave up after ${attempts} attempts)` : message;
    if (await queue.fail(id, owner, reason)) {
      this.options.onSettled?.(id, 'failed', { envelope, error: reason });
    }
  }

  /** Puts the request back with backoff, and looks for it again when it is due. */
  private async retryLater(requestId: string, error: string, attempts: number): Promise<void> {
    const delayMs = this.backoff(attempts);
    await this.options.queue.retry(requestId, this.options.owner, error, delayMs);
    setTimeout(() => {
      this.#queueMayHaveWork = true;
      this.#wake?.();
    }, delayMs).unref();
  }

  /** Exponential backoff with ±20% jitter, capped. */
  private backoff(attempts: number): number {
    const base = Math.min(
      this.options.maxBackoffMs,
      this.options.backoffMs * 2 ** Math.max(0, attempts - 1),
    );
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }
}
