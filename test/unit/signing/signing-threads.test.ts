import { compactVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { SignetError } from '../../../src/domain/errors.js';
import type { Algorithm } from '../../../src/domain/types.js';
import { inlineJwsCrypto, type JwsCrypto } from '../../../src/signing/jws-crypto.js';
import { signingInputOf } from '../../../src/signing/one-shot-jws.js';
import { type SigningThread, SigningThreads } from '../../../src/signing/signing-threads.js';
import { keyPairs } from '../../support/key-pairs.js';

const pairs = keyPairs;
const payload = new TextEncoder().encode(JSON.stringify({ jti: 'x', data: 'naïve 🍣' }));

let pool: SigningThreads | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe.each(Object.keys(pairs) as Algorithm[])('signing threads with %s', (alg) => {
  it('sign what jose verifies, and verify only the signature of that input and key', async () => {
    pool = new SigningThreads(2);
    const { privateKey, publicKey } = pairs[alg]();
    const input = signingInputOf({ alg, kid: 'k' }, payload);
    const signature = await pool.sign(alg, input, privateKey);
    const verified = await compactVerify(`${input}.${signature}`, publicKey, { algorithms: [alg] });
    expect(verified.payload).toEqual(payload);
    expect(await pool.verify(alg, input, signature, publicKey)).toBe(true);
    expect(await pool.verify(alg, `${input}x`, signature, publicKey)).toBe(false);
    expect(await pool.verify(alg, input, signature, pairs[alg]().publicKey)).toBe(false);
  });
});

describe.each(['threads', 'inline'] as const)('sign and check in one job (%s)', (where) => {
  const crypto = (): JwsCrypto =>
    where === 'inline' ? inlineJwsCrypto : (pool = new SigningThreads(1));

  it.each(Object.keys(pairs) as Algorithm[])(
    '%s: the signature jose verifies, checked true with its public key, false with others',
    async (alg) => {
      const { privateKey, publicKey } = pairs[alg]();
      const stranger = pairs[alg]().publicKey;
      const otherType = pairs[alg === 'EdDSA' ? 'ES256' : 'EdDSA']().publicKey;
      const input = signingInputOf({ alg, kid: 'k' }, payload);
      const { signature, checks } = await crypto().signAndCheck(alg, input, privateKey, [
        publicKey,
        stranger,
        otherType,
        publicKey,
      ]);
      const verified = await compactVerify(`${input}.${signature}`, publicKey, {
        algorithms: [alg],
      });
      expect(verified.payload).toEqual(payload);
      expect(checks).toEqual([true, false, false, true]);
    },
  );

  it('checks with no key at all: a signature and no checks', async () => {
    const { privateKey, publicKey } = pairs.EdDSA();
    const input = signingInputOf({ alg: 'EdDSA' }, payload);
    const { signature, checks } = await crypto().signAndCheck('EdDSA', input, privateKey, []);
    expect(checks).toEqual([]);
    expect(await inlineJwsCrypto.verify('EdDSA', input, signature, publicKey)).toBe(true);
  });
});

describe('Ed25519 checks on the signing threads', () => {
  const checkAll = async (threads: SigningThreads) => {
    const { privateKey, publicKey } = pairs.EdDSA();
    const input = signingInputOf({ alg: 'EdDSA', kid: 'k' }, payload);
    const { signature, checks } = await threads.signAndCheck('EdDSA', input, privateKey, [
      publicKey,
      pairs.EdDSA().publicKey,
      pairs.ES256().publicKey,
    ]);
    const tampered = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    return {
      checks,
      verified: await threads.verify('EdDSA', input, signature, publicKey),
      tamperedVerified: await threads.verify('EdDSA', input, tampered, publicKey),
    };
  };

  it('uses libsodium when it is installed, with the same answers', async () => {
    const started: SigningThread[] = [];
    pool = new SigningThreads(1, (thread) => started.push(thread));
    expect(await checkAll(pool)).toEqual({
      checks: [true, false, false],
      verified: true,
      tamperedVerified: false,
    });
    expect(await started[0]?.ed25519Library()).toBe('libsodium');
  });

  it('signs Ed25519 with libsodium as node:crypto does, byte for byte, for every key', async () => {
    const sodiumPool = new SigningThreads(1);
    const opensslPool = new SigningThreads(1, () => undefined, '/nonexistent/sodium.js');
    try {
      for (let n = 0; n < 5; n++) {
        const { privateKey, publicKey } = pairs.EdDSA();
        const input = signingInputOf({ alg: 'EdDSA', kid: `k${n}` }, payload);
        const signature = await sodiumPool.sign('EdDSA', input, privateKey);
        expect(signature).toBe(await opensslPool.sign('EdDSA', input, privateKey));
        expect(signature).toBe(await inlineJwsCrypto.sign('EdDSA', input, privateKey));
        await compactVerify(`${input}.${signature}`, publicKey, { algorithms: ['EdDSA'] });
      }
    } finally {
      await Promise.all([sodiumPool.close(), opensslPool.close()]);
    }
  });

  it('falls back to OpenSSL when libsodium does not load, with the same answers', async () => {
    const started: SigningThread[] = [];
    pool = new SigningThreads(1, (thread) => started.push(thread), '/nonexistent/sodium.js');
    expect(await checkAll(pool)).toEqual({
      checks: [true, false, false],
      verified: true,
      tamperedVerified: false,
    });
    expect(await started[0]?.ed25519Library()).toBe('openssl');
  });
});

describe('SigningThreads', () => {
  it('answers every job of a burst with the right key, past the keys a thread keeps', async () => {
    pool = new SigningThreads(1);
    const keys = Array.from({ length: 40 }, () => keyPairs.EdDSA());
    const jobs = Array.from({ length: 400 }, (_, i) => {
      const pair = keys[i % keys.length] as (typeof keys)[number];
      const input = signingInputOf({ alg: 'EdDSA', n: i }, payload);
      return { pair, input, signature: pool?.sign('EdDSA', input, pair.privateKey) };
    });
    for (const job of jobs) {
      const signature = (await job.signature) as string;
      expect(await pool.verify('EdDSA', job.input, signature, job.pair.publicKey)).toBe(true);
    }
  });

  it('gives each job of one chunk its own answer and checks, when another job of it fails', async () => {
    pool = new SigningThreads(1);
    const { privateKey, publicKey } = pairs.EdDSA();
    const stranger = pairs.EdDSA().publicKey;
    const input = signingInputOf({ alg: 'EdDSA' }, payload);
    const signature = await inlineJwsCrypto.sign('EdDSA', input, privateKey);
    // Queued in one turn: one chunk. The second job names an algorithm the thread does not know.
    const answers = await Promise.allSettled([
      pool.signAndCheck('EdDSA', input, privateKey, [stranger, publicKey]),
      pool.signAndCheck('XX' as Algorithm, input, privateKey, [publicKey, publicKey]),
      pool.verify('EdDSA', input, signature, publicKey),
      pool.signAndCheck('EdDSA', input, privateKey, [publicKey]),
      pool.sign('EdDSA', input, privateKey),
      pool.verify('EdDSA', input, signature, stranger),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    const values = answers.map((answer) => (answer.status === 'fulfilled' ? answer.value : null));
    expect(values[0]).toEqual({ signature, checks: [false, true] });
    expect(values[2]).toBe(true);
    expect(values[3]).toEqual({ signature, checks: [true] });
    expect(values[4]).toBe(signature);
    expect(values[5]).toBe(false);
  });

  it('keeps a few jobs on the first thread and spreads a backlog over the others', async () => {
    const started: SigningThread[] = [];
    pool = new SigningThreads(2, (thread) => started.push(thread));
    const { privateKey, publicKey } = pairs.EdDSA();
    const input = signingInputOf({ alg: 'EdDSA' }, payload);
    const few = Array.from({ length: 10 }, () => pool?.sign('EdDSA', input, privateKey));
    expect(started.map((thread) => thread.load)).toEqual([10, 0]);
    const backlog = Array.from({ length: 90 }, () => pool?.sign('EdDSA', input, privateKey));
    const [first, second] = started.map((thread) => thread.load);
    expect(second).toBeGreaterThan(0);
    expect((first ?? 0) + (second ?? 0)).toBe(100);
    for (const signature of await Promise.all([...few, ...backlog])) {
      expect(await inlineJwsCrypto.verify('EdDSA', input, signature as string, publicKey)).toBe(
        true,
      );
    }
    expect(started.map((thread) => thread.load)).toEqual([0, 0]);
  });

  it('fails the jobs of a thread that ends as retryable, and signs on its replacement', async () => {
    const started: SigningThread[] = [];
    pool = new SigningThreads(1, (thread) => started.push(thread));
    const { privateKey, publicKey } = pairs.EdDSA();
    const input = signingInputOf({ alg: 'EdDSA' }, payload);
    await pool.sign('EdDSA', input, privateKey);
    expect(started).toHaveLength(1);

    const held = Array.from({ length: 50 }, () =>
      pool?.sign('EdDSA', input, privateKey).then(
        () => 'signed',
        (err: unknown) => err,
      ),
    );
    await started[0]?.terminate();
    const outcomes = await Promise.all(held);
    const failures = outcomes.filter((o) => o !== 'signed');
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(SignetError);
      expect((failure as SignetError).code).toBe('ERR_UNAVAILABLE');
      expect((failure as SignetError).retryable).toBe(true);
    }

    expect(started).toHaveLength(2);
    const signature = await pool.sign('EdDSA', input, privateKey);
    expect(await pool.verify('EdDSA', input, signature, publicKey)).toBe(true);
  });

  it('fails, rather than forgets, the jobs still queued when it closes', async () => {
    pool = new SigningThreads(1);
    const { privateKey } = pairs.EdDSA();
    await pool.sign('EdDSA', 'a.b', privateKey);
    const queued = [pool.sign('EdDSA', 'a.b', privateKey), pool.sign('EdDSA', 'c.d', privateKey)];
    const outcomes = Promise.all(
      queued.map((job) =>
        job.then(
          () => 'signed',
          (err: unknown) => err,
        ),
      ),
    );
    await pool.close();
    for (const outcome of await outcomes) {
      expect(outcome).toMatchObject({ code: 'ERR_UNAVAILABLE' });
    }
  });

  it('refuses work once closed', async () => {
    pool = new SigningThreads(1);
    const { privateKey } = pairs.EdDSA();
    await pool.sign('EdDSA', 'a.b', privateKey);
    await pool.close();
    await expect(pool.sign('EdDSA', 'a.b', privateKey)).rejects.toMatchObject({
      code: 'ERR_UNAVAILABLE',
    });
  });
});
