import type { KeyObject } from 'node:crypto';
import type { Algorithm } from '../domain/types.js';
import type { JwsCrypto, SignedAndChecked } from './jws-crypto.js';
import { type HeldKey, type JobValue, SigningThread, threadStopped } from './signing-thread.js';
import { LIBSODIUM_PATH } from './thread-source.js';

export type { SigningThread };

/** Jobs a thread holds before the next thread takes some: more than single requests keep in flight. */
const SPILL_AT = 32;

/**
 * Signing and verification on worker threads, so that the event loop serving
 * HTTP and the store spends no time on them: with the signature's self-check,
 * they are a third of its work per token (measured: `npm run bench`). A thread
 * that dies is replaced; the jobs it held fail as retryable.
 */
export class SigningThreads implements JwsCrypto {
  /** Started by `start` or the first job: a CLI command that signs nothing starts no thread. */
  readonly #threads: SigningThread[] = [];
  readonly #keyIds = new WeakMap<KeyObject, number>();
  #nextKeyId = 1;
  #closed = false;

  constructor(
    private readonly size: number,
    /** Sees each thread started, the replacement of a dead one included. */
    private readonly onThreadStart: (thread: SigningThread) => void = () => undefined,
    /** libsodium's binding, for Ed25519 (see SigningThread). */
    private readonly libsodiumPath: string | undefined = LIBSODIUM_PATH,
  ) {
    if (size < 1) throw new RangeError('at least one signing thread');
  }

  sign(alg: Algorithm, input: string, key: KeyObject): Promise<string> {
    return this.#run(alg, input, undefined, key) as Promise<string>;
  }

  verify(alg: Algorithm, input: string, signature: string, key: KeyObject): Promise<boolean> {
    return this.#run(alg, input, signature, key) as Promise<boolean>;
  }

  /** One job, one round trip to the thread: the check needs the signature, and the thread has it. */
  signAndCheck(
    alg: Algorithm,
    input: string,
    key: KeyObject,
    checkKeys: readonly KeyObject[],
  ): Promise<SignedAndChecked> {
    return this.#run(alg, input, undefined, key, checkKeys) as Promise<SignedAndChecked>;
  }

  start(): void {
    if (this.#closed) return;
    while (this.#threads.length < this.size) this.#threads.push(this.#start());
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#threads.map((thread) => thread.stop()));
  }

  #run(
    alg: Algorithm,
    input: string,
    signature: string | undefined,
    key: KeyObject,
    checkKeys?: readonly KeyObject[],
  ): Promise<JobValue> {
    if (this.#closed) return Promise.reject(threadStopped());
    const held = this.#held(key);
    const checks = checkKeys?.map((checkKey) => this.#held(checkKey));
    this.start();
    const thread = this.#pick();
    return new Promise((resolve, reject) =>
      thread.submit({
        alg,
        input,
        signature,
        ...held,
        ...(checks ? { checks } : {}),
        resolve,
        reject,
      }),
    );
  }

  /**
   * The first thread with fewer than SPILL_AT jobs, else the least loaded one.
   * Spread evenly, a few jobs at a time woke every thread for each and cost
   * more than a second thread gave; past a backlog (batches) it pays.
   */
  #pick(): SigningThread {
    let least = this.#threads[0] as SigningThread;
    for (const thread of this.#threads) {
      if (thread.load < SPILL_AT) return thread;
      if (thread.load < least.load) least = thread;
    }
    return least;
  }

  /** A key with the number the threads know it by. */
  #held(key: KeyObject): HeldKey {
    let keyId = this.#keyIds.get(key);
    if (keyId === undefined) {
      keyId = this.#nextKeyId++;
      this.#keyIds.set(key, keyId);
    }
    return { key, keyId };
  }

  #start(): SigningThread {
    const thread = new SigningThread((dead) => {
      const index = this.#threads.indexOf(dead);
      if (index >= 0 && !this.#closed) this.#threads[index] = this.#start();
    }, this.libsodiumPath);
    this.onThreadStart(thread);
    return thread;
  }
}
