import pkcs11js, { type Attribute, type Handle, type PKCS11 } from 'pkcs11js';
import { SignetError } from '../../domain/errors.js';
import type { Algorithm, PublicJwk } from '../../domain/types.js';
import { acquireModule, reinitializeModule, releaseModule } from './loaded-modules.js';
import { mechanismName, TOKEN_ALGORITHMS } from './token-algorithms.js';
import { closeQuietly, find, findTokenSlot, hex } from './token-slots.js';
import {
  hsmUnavailable,
  isPinRefused,
  isUnavailable,
  returnValueOf,
  tokenFailure,
} from './token-errors.js';

export interface TokenOptions {
  /** Path of the PKCS#11 module (shared library). */
  module: string;
  tokenLabel: string;
  /** Slot ID, when several slots hold a token with that label. */
  slot?: number;
  pin: string;
}

interface Connection {
  library: PKCS11;
  slot: Handle;
  session: Handle;
}

/**
 * One logged-in session with the token, opened on first use and reopened after
 * the token went away. PKCS#11 sessions run one operation at a time, so calls
 * are queued. The PIN is used only for C_Login and appears in no message.
 */
export class Pkcs11Token {
  #library: PKCS11 | undefined;
  #connection: Connection | undefined;
  /** Private key handles by CKA_ID (hex); valid for the current session only. */
  readonly #handles = new Map<string, Handle>();
  #pinRefused: SignetError | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(private readonly options: TokenOptions) {}

  get label(): string {
    return this.options.tokenLabel;
  }

  /** Generates a key pair that never leaves the token; returns its public JWK members. */
  generateKeyPair(algorithm: Algorithm, id: Uint8Array): Promise<PublicJwk> {
    const spec = TOKEN_ALGORITHMS[algorithm];
    return this.use('key generation', async ({ library, slot, session }) => {
      const offered = new Set(library.C_GetMechanismList(slot));
      for (const mechanism of [spec.generation, spec.signing.mechanism]) {
        if (!offered.has(mechanism)) {
          throw new SignetError(
            'ERR_CONFIG_INVALID',
            `invalid config: keys.algorithm: ${algorithm} needs ${mechanismName(mechanism)}, which PKCS#11 token '${this.label}' does not offer`,
          );
        }
      }
      const common: Attribute[] = [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_KEY_TYPE, value: spec.keyType },
        { type: pkcs11js.CKA_ID, value: Buffer.from(id) },
        { type: pkcs11js.CKA_LABEL, value: 'signet' },
      ];
      const publicTemplate: Attribute[] = [
        ...common,
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
        { type: pkcs11js.CKA_PRIVATE, value: false },
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: pkcs11js.CKA_ENCRYPT, value: false },
        { type: pkcs11js.CKA_WRAP, value: false },
        ...spec.publicParameters,
      ];
      const privateTemplate: Attribute[] = [
        ...common,
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_DECRYPT, value: false },
        { type: pkcs11js.CKA_UNWRAP, value: false },
        { type: pkcs11js.CKA_DERIVE, value: false },
      ];
      const pair = await library.C_GenerateKeyPairAsync(
        session,
        { mechanism: spec.generation },
        publicTemplate,
        privateTemplate,
      );
      try {
        const values = library.C_GetAttributeValue(
          session,
          pair.publicKey,
          spec.publicAttributes.map((type) => ({ type })),
        );
        return spec.toJwk(new Map(values.map((a) => [a.type, a.value as Buffer])));
      } catch (err) {
        library.C_DestroyObject(session, pair.privateKey);
        library.C_DestroyObject(session, pair.publicKey);
        throw err;
      }
    });
  }

  /** Signs in the token with the private key whose CKA_ID is `id`. Output in JWS form. */
  sign(algorithm: Algorithm, id: Uint8Array, input: Uint8Array): Promise<Uint8Array> {
    const spec = TOKEN_ALGORITHMS[algorithm];
    const data = spec.prepare(input);
    return this.use('signing', async ({ library, session }) => {
      const key = this.privateKey(library, session, id);
      library.C_SignInit(session, spec.signing, key);
      const out = Buffer.alloc(spec.maxSignatureLength);
      return new Uint8Array(await library.C_SignAsync(session, data, out));
    });
  }

  /** Reads the public JWK members of the public key object stored beside `id`, if any. */
  readPublicKey(algorithm: Algorithm, id: Uint8Array): Promise<PublicJwk | undefined> {
    const spec = TOKEN_ALGORITHMS[algorithm];
    return this.use('reading a public key', ({ library, session }) => {
      const [handle] = find(library, session, pkcs11js.CKO_PUBLIC_KEY, id);
      if (!handle) return undefined;
      const values = library.C_GetAttributeValue(
        session,
        handle,
        spec.publicAttributes.map((type) => ({ type })),
      );
      return spec.toJwk(new Map(values.map((a) => [a.type, a.value as Buffer])));
    });
  }

  /** Whether the token holds the private key `id` (throws when the token is unreachable). */
  hasPrivateKey(id: Uint8Array): Promise<boolean> {
    return this.use('finding a key', ({ library, session }) => {
      this.#handles.delete(hex(id));
      return find(library, session, pkcs11js.CKO_PRIVATE_KEY, id).length > 0;
    });
  }

  /** Labels both objects of the pair `id` (cosmetic: for operators listing the token). */
  setLabel(id: Uint8Array, label: string): Promise<void> {
    return this.use('labelling a key', ({ library, session }) => {
      for (const cls of [pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKO_PUBLIC_KEY]) {
        for (const handle of find(library, session, cls, id)) {
          library.C_SetAttributeValue(session, handle, [
            { type: pkcs11js.CKA_LABEL, value: label },
          ]);
        }
      }
    });
  }

  /** Destroys both objects of the pair `id`; absent objects are not an error. */
  destroy(id: Uint8Array): Promise<void> {
    return this.use('destroying a key', ({ library, session }) => {
      this.#handles.delete(hex(id));
      for (const cls of [pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKO_PUBLIC_KEY]) {
        for (const handle of find(library, session, cls, id))
          library.C_DestroyObject(session, handle);
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    this.disconnect();
    if (this.#library) {
      this.#library = undefined;
      try {
        releaseModule(this.options.module);
      } catch {
        // Finalizing a module that already lost its token: nothing left to release.
      }
    }
  }

  /** Runs `fn` on the session, one call at a time; a lost session is dropped and reported. */
  private use<T>(what: string, fn: (connection: Connection) => T | Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const connection = this.connect();
      try {
        return await fn(connection);
      } catch (err) {
        if (!isUnavailable(err)) throw tokenFailure(what, err);
        this.disconnect();
        throw hsmUnavailable(`PKCS#11 token '${this.label}' is unavailable: ${what} failed`, err);
      }
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  private connect(): Connection {
    if (this.#closed) throw new SignetError('ERR_UNAVAILABLE', 'the PKCS#11 key backend is closed');
    if (this.#pinRefused) throw this.#pinRefused;
    if (this.#connection) return this.#connection;
    this.#library ??= acquireModule(this.options.module);
    const library = this.#library;
    let slot: Handle;
    try {
      slot = findTokenSlot(library, this.options);
    } catch (err) {
      // The token may be back after being removed: let the module look again, once.
      if (!this.reinitialize()) throw err;
      slot = findTokenSlot(library, this.options);
    }
    let session: Handle;
    try {
      session = library.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    } catch (err) {
      throw hsmUnavailable(`cannot open a session with PKCS#11 token '${this.label}'`, err);
    }
    try {
      library.C_Login(session, pkcs11js.CKU_USER, this.options.pin);
    } catch (err) {
      if (returnValueOf(err)?.code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) {
        closeQuietly(library, session);
        throw this.loginFailure(err);
      }
    }
    this.#connection = { library, slot, session };
    return this.#connection;
  }

  private reinitialize(): boolean {
    const { module } = this.options;
    try {
      return reinitializeModule(module);
    } catch (err) {
      throw hsmUnavailable(
        `PKCS#11 token '${this.label}' is unreachable: module ${module} cannot be initialized`,
        err,
      );
    }
  }

  private loginFailure(err: unknown): SignetError {
    if (!isPinRefused(err)) {
      return hsmUnavailable(`cannot log in to PKCS#11 token '${this.label}'`, err);
    }
    // Kept: every further attempt with the same PIN would bring the token closer to locking it.
    this.#pinRefused = new SignetError(
      'ERR_CONFIG_INVALID',
      `invalid config: SIGNET_PKCS11_PIN: PKCS#11 token '${this.label}' refused the PIN (${returnValueOf(err)?.name}); fix it and restart`,
      { detail: { key: 'SIGNET_PKCS11_PIN' } },
    );
    return this.#pinRefused;
  }

  private privateKey(library: PKCS11, session: Handle, id: Uint8Array): Handle {
    const cached = this.#handles.get(hex(id));
    if (cached) return cached;
    const [handle] = find(library, session, pkcs11js.CKO_PRIVATE_KEY, id);
    if (!handle) {
      throw hsmUnavailable(
        `PKCS#11 token '${this.label}' does not hold the private key with CKA_ID ${hex(id)}`,
      );
    }
    this.#handles.set(hex(id), handle);
    return handle;
  }

  private disconnect(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#handles.clear();
    if (connection) closeQuietly(connection.library, connection.session);
  }
}
