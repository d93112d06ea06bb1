import { createRequire } from 'node:module';

/** What signs and checks Ed25519 signatures on a signing thread. */
export type Ed25519Library = 'libsodium' | 'openssl';

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
 * number and answers each batch in order; an error names no key material.
 *
 * Ed25519 runs in libsodium when it loads, signatures and their checks: here
 * a signature took 22-26 µs against node:crypto's 36-40, a check 52-55 µs
 * against OpenSSL 3's 108-111 (the same deterministic signatures, a test
 * compares them). libsodium signs with the key as bytes: the thread takes the
 * seed from the key's PKCS#8 encoding into libsodium's guarded, locked memory
 * (sodium_malloc), wipes the encoding at once, and wipes the key when it is
 * forgotten. (The KeyObject itself could be exported too: node:crypto has no
 * non-extractable KeyObject, whatever the CryptoKey it came from.) Other
 * algorithms, and Ed25519 without libsodium, use node:crypto.
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
// An Ed25519 private key in PKCS#8 (RFC 8410): this prefix, then the 32-byte seed.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
function hold(key) {
  let raw;
  let secret;
  if (sodium && key.asymmetricKeyType === 'ed25519') {
    if (key.type === 'public') raw = Buffer.from(key.export({ format: 'jwk' }).x, 'base64url');
    else secret = sodiumSecretKey(key);
  }
  return { key, raw, secret };
}
// libsodium's secret key (seed and public key) in guarded memory; undefined, and the key
// then signs with node:crypto, if it cannot be taken into libsodium.
function sodiumSecretKey(key) {
  let der;
  try {
    der = key.export({ format: 'der', type: 'pkcs8' });
    const prefix = der.subarray(0, ED25519_PKCS8_PREFIX.length);
    if (der.length !== ED25519_PKCS8_PREFIX.length + 32 || !prefix.equals(ED25519_PKCS8_PREFIX)) {
      return undefined;
    }
    const secret = sodium.sodium_malloc(sodium.crypto_sign_SECRETKEYBYTES);
    const publicKey = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
    sodium.crypto_sign_seed_keypair(publicKey, secret, der.subarray(ED25519_PKCS8_PREFIX.length));
    return secret;
  } catch {
    return undefined;
  } finally {
    if (der) sodium.sodium_memzero(der);
  }
}
function forget(keyId) {
  const held = keys.get(keyId);
  if (held && held.secret) sodium.sodium_memzero(held.secret);
  keys.delete(keyId);
}
function signs(alg, p, data, held) {
  if (alg === 'EdDSA' && held.secret) {
    const signature = Buffer.alloc(sodium.crypto_sign_BYTES);
    sodium.crypto_sign_detached(signature, data, held.secret);
    return signature;
  }
  return sign(p.digest, data, { key: held.key, ...p.options });
}
function verifies(alg, p, data, held, signature) {
  if (alg === 'EdDSA' && held.raw) {
    return sodium.crypto_sign_verify_detached(signature, data, held.raw);
  }
  return verify(p.digest, data, { key: held.key, ...p.options }, signature);
}
function run(alg, input, signature, keyId, checkKeyIds, checks) {
  const held = keys.get(keyId);
  const p = params[alg];
  if (!held || !p) throw new Error('unknown key or algorithm');
  const data = Buffer.from(input);
  if (signature !== null) return verifies(alg, p, data, held, Buffer.from(signature, 'base64url'));
  const made = signs(alg, p, data, held);
  for (const id of checkKeyIds) {
    const checkKey = keys.get(id);
    if (!checkKey) {
      checks.push(null);
      continue;
    }
    try {
      checks.push(verifies(alg, p, data, checkKey, made));
    } catch {
      checks.push(false);
    }
  }
  return made.toString('base64url');
}
// A chunk of jobs comes as parallel arrays, and its answers go back so (see jobsMessage).
parentPort.on('message', (message) => {
  if (message.type === 'key') return void keys.set(message.keyId, hold(message.key));
  if (message.type === 'forget') return void forget(message.keyId);
  const count = message.inputs.length;
  const values = new Array(count);
  const checks = [];
  let errors;
  let nextCheck = 0;
  for (let i = 0; i < count; i++) {
    // -1 for a job that only signs: it has no check keys either.
    const checkKeyIds = message.checkKeyIds.slice(nextCheck, nextCheck + Math.max(message.checkCounts[i], 0));
    nextCheck += checkKeyIds.length;
    const checksBefore = checks.length;
    try {
      const signature = message.signatures ? message.signatures[i] : null;
      values[i] = run(message.algs[i], message.inputs[i], signature, message.keyIds[i], checkKeyIds, checks);
    } catch (err) {
      // The job's checks are answered all the same (as not made), so that the next job's line up.
      checks.length = checksBefore;
      for (let c = 0; c < checkKeyIds.length; c++) checks.push(null);
      values[i] = null;
      errors ??= new Array(count).fill(null);
      errors[i] = err instanceof Error ? err.message : 'failed';
    }
  }
  parentPort.postMessage({ batch: message.batch, values, checks, errors });
});
`;
