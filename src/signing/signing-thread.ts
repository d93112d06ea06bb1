import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { SignetError } from '../domain/errors.js';
import type { Algorithm } from '../domain/types.js';
import type { SignedAndChecked } from './jws-crypto.js';
import { JWS_PARAMS } from './one-shot-jws.js';
import { type Ed25519Library, LIBSODIUM_PATH, THREAD_SOURCE } from './thread-source.js';

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

/**
 * A chunk's answers, in parallel arrays (see THREAD_SOURCE): per job a
 * base64url signature, or for a verification whether it held, or null if it
 * failed; the checks of all its jobs one after the other; and, only if a job
 * failed, each job's error or null.
 */
interface Answers {
  batch: number;
  values: (string | boolean | null)[];
  checks: (boolean | null)[];
  errors?: (string | null)[];
}
type ThreadMessage = { ready: Ed25519Library } | Answers;

/** One worker thread and the jobs it holds. */
export class SigningThread {
  readonly #worker: Worker;
  /**
   * The keys the thread holds, with the chunk that last used each. A value
   * updated in place, not an entry deleted and set again per job to keep
   * recency order: that rebuilt the Map's table every few jobs (see RemovableList).
   */
  readonly #keys = new Map<number, number>();
  #chunksSent = 0;
  /** Chunks sent and not answered, oldest first: the thread answers them in order. */
  #inFlight: { batch: number; jobs: Job[] }[] = [];
  #queued: Job[] = [];
  #nextBatch = 0;
  #load = 0;
  #stopped = false;

  /** Settled by the thread's first message, which says what signs and checks Ed25519 there. */
  readonly #ed25519: Promise<Ed25519Library>;

  constructor(
    private readonly onExit: (thread: SigningThread) => void,
    /** libsodium's binding, for Ed25519; without it (or if it fails to load), node:crypto's. */
    libsodiumPath: string | undefined = LIBSODIUM_PATH,
  ) {
    this.#worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { params: JWS_PARAMS, libsodiumPath },
    });
    this.#worker.unref();
    this.#ed25519 = new Promise((resolve) =>
      this.#worker.on('message', (message: ThreadMessage) => {
        if ('ready' in message) resolve(message.ready);
        else this.#settle(message);
      }),
    );
    this.#worker.on('error', () => undefined);
    this.#worker.on('exit', () => this.#fail());
  }

  /** What signs and checks Ed25519 signatures on this thread, once it has started. */
  ed25519Library(): Promise<Ed25519Library> {
    return this.#ed25519;
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
    const sentAt = ++this.#chunksSent;
    for (const job of jobs) {
      for (const { key, keyId } of job.checks ? [job, ...job.checks] : [job]) {
        if (!this.#keys.has(keyId)) this.#worker.postMessage({ type: 'key', keyId, key });
        this.#keys.set(keyId, sentAt);
      }
    }
    if (this.#keys.size > MAX_KEYS_PER_THREAD) this.#forgetOldKeys(sentAt);
    const batch = this.#nextBatch++;
    this.#inFlight.push({ batch, jobs });
    if (this.#inFlight.length === 1) this.#worker.ref();
    this.#worker.postMessage(jobsMessage(batch, jobs));
  }

  /** Past MAX_KEYS_PER_THREAD, the least recently used keys go, never one this chunk needs. */
  #forgetOldKeys(sentAt: number): void {
    const byAge = [...this.#keys].filter(([, at]) => at !== sentAt).sort((a, b) => a[1] - b[1]);
    for (const [keyId] of byAge.slice(0, this.#keys.size - MAX_KEYS_PER_THREAD)) {
      this.#keys.delete(keyId);
      this.#worker.postMessage({ type: 'forget', keyId });
    }
  }

  #settle(answers: Answers): void {
    const position = this.#inFlight.findIndex((sent) => sent.batch === answers.batch);
    const jobs = position < 0 ? [] : (this.#inFlight.splice(position, 1)[0]?.jobs ?? []);
    if (this.#inFlight.length === 0) this.#worker.unref();
    this.#load -= jobs.length;
    let nextCheck = 0;
    jobs.forEach((job, index) => {
      const firstCheck = nextCheck;
      nextCheck += job.checks?.length ?? 0;
      const value = answers.values[index];
      const error = answers.errors?.[index];
      if (error || value === null || value === undefined) {
        job.reject(new Error(error ?? 'no result from the signing thread'));
      } else if (job.checks && typeof value === 'string') {
        job.resolve({ signature: value, checks: answers.checks.slice(firstCheck, nextCheck) });
      } else {
        job.resolve(value);
      }
    });
  }

  /** The thread ended: nothing it held will be answered. */
  #fail(): void {
    const jobs = this.#inFlight.flatMap((sent) => sent.jobs).concat(this.#queued);
    this.#inFlight = [];
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

/**
 * A chunk of jobs as the thread reads it: parallel arrays, a job's check keys
 * one after the other. An object per job cost a property name per field to
 * write, read and intern on both threads; measured with both forms in one
 * process (alternating slices, four runs): the thread's jobs/s +3% to +9%,
 * the event loop's CPU per job 1.4 to 3.3 µs less.
 */
function jobsMessage(batch: number, jobs: readonly Job[]) {
  const algs: Algorithm[] = [];
  const inputs: string[] = [];
  const keyIds: number[] = [];
  /** -1: sign only; otherwise how many of checkKeyIds are this job's. */
  const checkCounts: number[] = [];
  const checkKeyIds: number[] = [];
  let signatures: (string | null)[] | undefined;
  jobs.forEach((job, index) => {
    algs.push(job.alg);
    inputs.push(job.input);
    keyIds.push(job.keyId);
    checkCounts.push(job.checks ? job.checks.length : -1);
    for (const check of job.checks ?? []) checkKeyIds.push(check.keyId);
    if (job.signature !== undefined) {
      signatures ??= jobs.map(() => null);
      signatures[index] = job.signature;
    }
  });
  return { type: 'jobs', batch, algs, inputs, keyIds, checkCounts, checkKeyIds, signatures };
}
