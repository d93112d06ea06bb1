import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Algorithm } from '../domain/types.js';
import { signInput, verifyInput } from './one-shot-jws.js';
import { SigningThreads } from './signing-threads.js';

/**
 * A signature and, in the order of the keys asked for, whether it verifies
 * with each; null where it could not be checked there (the caller verifies).
 */
export interface SignedAndChecked {
  signature: string;
  checks: (boolean | null)[];
}

/** Where JWS signatures are computed and checked: inline, or on signing threads. */
export interface JwsCrypto {
  /** The base64url signature of a JWS signing input. */
  sign(alg: Algorithm, input: string, key: KeyObject): Promise<string>;
  /**
   * Signs, then checks the signature with each of `checkKeys` (the keys of the
   * certificates that vouch for `key`): a check that cannot run is false.
   */
  signAndCheck(
    alg: Algorithm,
    input: string,
    key: KeyObject,
    checkKeys: readonly KeyObject[],
  ): Promise<SignedAndChecked>;
  /** Whether a base64url signature of a signing input verifies with `key`. */
  verify(alg: Algorithm, input: string, signature: string, key: KeyObject): Promise<boolean>;
  /** Gets ready to work at once (starts threads that would otherwise start on the first job). */
  start(): void;
  close(): Promise<void>;
}

export const inlineJwsCrypto: JwsCrypto = {
  sign: signInput,
  signAndCheck: async (alg, input, key, checkKeys) => {
    const signature = await signInput(alg, input, key);
    const checks = checkKeys.map((checkKey) => {
      try {
        return verifyInput(alg, input, signature, checkKey);
      } catch {
        return false;
      }
    });
    return { signature, checks };
  },
  verify: (alg, input, signature, key) => Promise.resolve(verifyInput(alg, input, signature, key)),
  start: () => undefined,
  close: () => Promise.resolve(),
};

/** Most signing threads worth starting: signing is short, and the event loop needs a core too. */
const MAX_SIGNING_THREADS = 4;

/**
 * One signing thread per core, none on a single core. The threads after the
 * first take work only past a backlog (see SigningThreads), which is when the
 * event loop waits on signing rather than the other way round.
 */
function defaultSigningThreads(): number {
  const cores = availableParallelism();
  return cores < 2 ? 0 : Math.min(MAX_SIGNING_THREADS, cores);
}

/** Signing threads on a machine with more than one core, else inline. */
export function jwsCryptoFor(threads = defaultSigningThreads()): JwsCrypto {
  return threads > 0 ? new SigningThreads(threads) : inlineJwsCrypto;
}
