import { createRequire } from 'node:module';

/** What checks Ed25519 signatures on a signing thread. */
export type Ed25519Verifier = 'libsodium' | 'openssl';

/** Where libsodium's binding is, for the thread to load; undefined if it is not installed. */
function libsodiumPath(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('sodium-native');
  } catch {
    return undefined;
  }
}

export const LIBSODIUM_PATH = libsodiumPath();

/**
 * The thread's code, evaluated as a script so that it loads the same way from
 * the compiled build, under tsx and under the test runner. It holds keys by
 * number (a KeyObject crosses postMessage as a copy that stays non-extractable)
 * and answers each batch in order; an error names no key material.
 * Ed25519 signatures are checked with libsodium when it loads: its
 * verification took 52-62 µs here, OpenSSL 3's 111-114 µs (three of its
 * signatures). Signing stays with node:crypto, so that private keys remain
 * non-extractable KeyObjects; libsodium sees only public keys.
 */
export const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { sign, verify } = require('node:crypto');
const params = workerData.params;
let sodium = null;
try {
  if (workerData.libsodiumPath) sodium = require(workerData.libsodiumPath);
} catch {
  sodium = null;
}
parentPort.postMessage({ ready: sodium ? 'libsodium' : 'openssl' });
const keys = new Map();
function hold(key) {
  let raw;
  if (sodium && key.type === 'public' && key.asymmetricKeyType === 'ed25519') {
    raw = Buffer.from(key.export({ format: 'jwk' }).x, 'base64url');
  }
  return { key, raw };
}
function verifies(alg, p, data, held, signature) {
  if (alg === 'EdDSA' && held.raw) {
    return sodium.crypto_sign_verify_detached(signature, data, held.raw);
  }
  return verify(p.digest, data, { key: held.key, ...p.options }, signature);
}
function run(job) {
  const held = keys.get(job.keyId);
  const p = params[job.alg];
  if (!held || !p) throw new Error('unknown key or algorithm');
  const data = Buffer.from(job.input);
  if (job.signature !== undefined) {
    return verifies(job.alg, p, data, held, Buffer.from(job.signature, 'base64url'));
  }
  const signature = sign(p.digest, data, { key: held.key, ...p.options });
  if (job.checkKeyIds === undefined) return signature.toString('base64url');
  const checks = job.checkKeyIds.map((id) => {
    const checkKey = keys.get(id);
    if (!checkKey) return null;
    try {
      return verifies(job.alg, p, data, checkKey, signature);
    } catch {
      return false;
    }
  });
  return { signature: signature.toString('base64url'), checks };
}
parentPort.on('message', (message) => {
  if (message.type === 'key') return void keys.set(message.keyId, hold(message.key));
  if (message.type === 'forget') return void keys.delete(message.keyId);
  const results = message.jobs.map((job) => {
    try {
      return { value: run(job) };
    } catch (err) {
      return { error: err instanceof Error ? err.message : 'failed' };
    }
  });
  parentPort.postMessage({ batch: message.batch, results });
});
`;
