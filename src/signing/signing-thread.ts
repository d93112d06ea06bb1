import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { SignetError } from '../domain/errors.js';
import type { Algorithm } from '../domain/types.js';
import type { SignedAndChecked } from './jws-crypto.js';
import { JWS_PARAMS } from './one-shot-jws.js';
import { type Ed25519Verifier, LIBSODIUM_PATH, THREAD_SOURCE } from './thread-source.js';

/**
 * Jobs sent to a thread together. Small, so that the thread starts on the
 * first ones while the event loop is still preparing the rest: with one
 * message per turn, each side waited for the other (measured: batches of 50
 * went from 1,760 to 2,720 tokens/s with 4).
 */
const CHUNK = 4;

/** Keys a thread keeps; the least recently sent one is dropped past this. */
const MAX_KEYS_PER_THREAD = 32;

export interface HeldKey {
  key: KeyObject;
  keyId: number;
}

export interface Job extends HeldKey {
  alg: Algorithm;
  input: string;
  signature?: string;
  /** Sign, then check the signature with these keys. */
  checks?: HeldKey[];
  resolve(value: JobValue): void;
  reject(reason: Error): void;
}

export type JobValue = string | boolean | SignedAndChecked;
type Result = { value: JobValue } | { error: string };
type ThreadMessage = { ready: Ed25519Verifier } | { batch: number; results: Result[] };

/** One worker thread and the jobs it holds. */
export class SigningThread {
  readonly #worker: Worker;
  readonly #keys = new Map<number, true>();
  readonly #inFlight = new Map<number, Job[]>();
  #queued: Job[] = [];
  #nextBatch = 0;
  #load = 0;
  #stopped = false;

  /** Settled by the thread's first message, which says what it checks Ed25519 signatures with. */
  readonly #verifier: Promise<Ed25519Verifier>;

  constructor(
    private readonly onExit: (thread: SigningThread) => void,
    /** libsodium's binding, for Ed25519 checks; without it (or if it fails to load), OpenSSL's. */
    libsodiumPath: string | undefined = LIBSODIUM_PATH,
  ) {
    this.#worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { params: JWS_PARAMS, libsodiumPath },
    });
    this.#worker.unref();
    this.#verifier = new Promise((resolve) =>
      this.#worker.on('message', (message: ThreadMessage) => {
        if ('ready' in message) resolve(message.ready);
        else this.#settle(message);
      }),
    );
    this.#worker.on('error', () => undefined);
    this.#worker.on('exit', () => this.#fail());
  }

  /** What checks Ed25519 signatures on this thread, once it has started. */
  ed25519Verifier(): Promise<Ed25519Verifier> {
    return this.#verifier;
  }

  /** Jobs queued or in flight. */
  get load(): number {
    return this.#load;
  }

  submit(job: Job): void {
    if (this.#stopped) return job.reject(threadStopped());
    this.#load++;
    this.#queued.push(job);
    if (this.#queued.length >= CHUNK) this.#flush();
    else if (this.#queued.length === 1) setImmediate(() => this.#flush());
  }

  /** Ends the thread on purpose: its owner does not replace it. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#worker.terminate();
  }

  /** Ends the thread as a crash would: what it holds fails, and its owner replaces it. */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  /** Queued jobs (up to CHUNK, or those of one event-loop turn) go in one message, after their keys. */
  #flush(): void {
    const jobs = this.#queued;
    this.#queued = [];
    if (this.#stopped) {
      this.#load -= jobs.length;
      for (const job of jobs) job.reject(threadStopped());
      return;
    }
    if (jobs.length === 0) return;
    const needed = new Set<number>();
    for (const job of jobs) {
      for (const { key, keyId } of job.checks ? [job, ...job.checks] : [job]) {
        if (!needed.has(keyId) && !this.#keys.has(keyId)) {
          this.#worker.postMessage({ type: 'key', keyId, key });
        }
        needed.add(keyId);
        this.#keys.delete(keyId);
        this.#keys.set(keyId, true);
      }
    }
    for (const keyId of this.#keys.keys()) {
      if (this.#keys.size <= MAX_KEYS_PER_THREAD) break;
      if (needed.has(keyId)) continue;
      this.#keys.delete(keyId);
      this.#worker.postMessage({ type: 'forget', keyId });
    }
    const batch = this.#nextBatch++;
    this.#inFlight.set(batch, jobs);
    if (this.#inFlight.size === 1) this.#worker.ref();
    this.#worker.postMessage({
      type: 'jobs',
      batch,
      jobs: jobs.map(({ alg, input, signature, keyId, checks }) => ({
        alg,
        input,
        signature,
        keyId,
        checkKeyIds: checks?.map((check) => check.keyId),
      })),
    });
  }

  #settle(message: { batch: number; results: Result[] }): void {
    const jobs = this.#inFlight.get(message.batch) ?? [];
    this.#inFlight.delete(message.batch);
    if (this.#inFlight.size === 0) this.#worker.unref();
    this.#load -= jobs.length;
    jobs.forEach((job, index) => {
      const result = message.results[index];
      if (result && 'value' in result) job.resolve(result.value);
      else job.reject(new Error(result?.error ?? 'no result from the signing thread'));
    });
  }

  /** The thread ended: nothing it held will be answered. */
  #fail(): void {
    const jobs = [...this.#inFlight.values()].flat().concat(this.#queued);
    this.#inFlight.clear();
    this.#queued = [];
    this.#load = 0;
    for (const job of jobs) job.reject(threadStopped());
    if (!this.#stopped) {
      this.#stopped = true;
      this.onExit(this);
    }
  }
}

export function threadStopped(): SignetError {
  return new SignetError('ERR_UNAVAILABLE', 'the signing thread stopped', { retryable: true });
}
