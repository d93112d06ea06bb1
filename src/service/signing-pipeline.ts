import { SignetError } from '../domain/errors.js';
import type { Clock, CompletedResult, LoadedKey, Processor } from '../domain/ports.js';
import type { CALocation, RequestEnvelope } from '../domain/types.js';
import type { CAValidator, ValidatedCa } from '../ca/ca-validator.js';
import type { KeyManager } from '../keys/key-manager.js';
import type { SignatureGenerator } from '../signing/signature-generator.js';
import type { TokenGenerator } from '../signing/token-generator.js';
import type { ResponseAssembler } from './response-assembler.js';
import { ShortLivedMemo } from './short-lived-memo.js';

export interface SigningPipelineOptions {
  keyManager: KeyManager;
  processors: ReadonlyMap<string, Processor>;
  signatureGenerator: SignatureGenerator;
  caValidator: CAValidator;
  responseAssembler: ResponseAssembler;
  tokenGenerator: TokenGenerator;
  clock: Clock;
  publicUrl: string;
  /** Default KEY_REUSE_MS; 0 when every signature must see the key's count (keys.maxSignatures). */
  keyReuseMs?: number;
}

/**
 * How long the signing key and its validation at the CAs are reused. A key
 * change (rotation, revocation: here or, by notification, on another
 * instance) or a CA turning unhealthy or healthy drops them at once; this
 * bounds a missed notification. A revoked key cannot complete a request
 * whatever is cached: the database refuses it.
 */
export const KEY_REUSE_MS = 250;

/** A CA answering "revoked" for the key is a compromise signal: at most this many re-keys per request. */
const MAX_COMPROMISE_ROTATIONS = 2;

/** The workflow of the specification, steps 4 to 9, for one request. */
export class SigningPipeline {
  /** Requests signed close together share one key lookup and one validation per key. */
  readonly #signingKey: ShortLivedMemo<'signing', LoadedKey>;
  readonly #validateKey: ShortLivedMemo<string, ValidatedCa[]>;

  constructor(private readonly options: SigningPipelineOptions) {
    const reuseMs = options.keyReuseMs ?? KEY_REUSE_MS;
    this.#signingKey = new ShortLivedMemo(reuseMs, () => options.keyManager.getKeyForSigning());
    this.#validateKey = new ShortLivedMemo(reuseMs, (kid: string) =>
      options.caValidator.validateKey(kid),
    );
  }

  /** A key or a CA's health changed (or a key was refused at completion): look both up again. */
  forgetKeys(): void {
    this.#signingKey.clear();
    this.#validateKey.clear();
  }

  async run(envelope: RequestEnvelope): Promise<CompletedResult> {
    const { processors, clock } = this.options;
    const processor = processors.get(envelope.processor);
    if (!processor) {
      throw new SignetError('ERR_UNKNOWN_PROCESSOR', `unknown processor "${envelope.processor}"`);
    }
    let key = await this.#signingKey.get('signing');
    const data = await processor.run(envelope);
    let validated = await this.validate(key);
    for (let round = 0; !validated; round++) {
      if (round >= MAX_COMPROMISE_ROTATIONS) {
        throw new SignetError('ERR_KEY_REVOKED', 'new keys keep being reported revoked by a CA', {
          retryable: true,
        });
      }
      key = await this.#signingKey.get('signing');
      validated = await this.validate(key);
    }
    const primary = validated[0];
    if (!primary)
      throw new SignetError('ERR_CA_UNAVAILABLE', 'no CA validated the key', { retryable: true });
    const caLocations = validated.map((ca) => this.location(key, ca));
    const content = this.options.tokenGenerator.content({
      envelope,
      data,
      key,
      primary: { x5u: caLocations[0]?.x5u ?? '', x5tS256: primary.x5tS256 },
      caLocations,
      now: clock.now(),
    });
    const { caValidator } = this.options;
    const signed = await this.options.signatureGenerator.sign(
      key,
      content.header,
      content.claims,
      caValidator.signatureKeys(validated),
    );
    await caValidator.verifySignature(validated, signed.jws, signed.checks);
    const signedResponse = this.options.responseAssembler.assemble({
      data,
      signature: signed.signature,
      kid: key.record.kid,
      caLocations,
    });
    const token = this.options.tokenGenerator.package(signedResponse, signed.jws);
    return { token, signedResponse, kid: key.record.kid };
  }

  /** Validates the key at the CAs; undefined when a CA reported it revoked (and it was rotated). */
  private async validate(key: LoadedKey): Promise<ValidatedCa[] | undefined> {
    try {
      return await this.#validateKey.get(key.record.kid);
    } catch (err) {
      if (err instanceof SignetError && err.code === 'ERR_KEY_REVOKED') {
        const caId = typeof err.detail?.caId === 'string' ? err.detail.caId : 'unknown';
        await this.options.keyManager.revoke(key.record.kid, 'keyCompromise', `ca:${caId}`);
        this.forgetKeys();
        return undefined;
      }
      throw err;
    }
  }

  private location(key: LoadedKey, ca: ValidatedCa): CALocation {
    return {
      id: ca.caId,
      x5u: `${this.options.publicUrl}/certs/${key.record.kid}/${ca.caId}.pem`,
      ocsp: ca.ocspUrl,
    };
  }
}
