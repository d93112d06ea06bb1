import { SignetError } from '../domain/errors.js';
import type { AuditLog, Clock, KeyBackend, KeyRepository, LoadedKey } from '../domain/ports.js';
import type { Algorithm, KeyRotationRecord } from '../domain/types.js';

export interface KeyManagerOptions {
  keys: KeyRepository;
  backend: KeyBackend;
  algorithm: Algorithm;
  clock: Clock;
  audit: AuditLog;
  /** Has a new key certified by the CAs; throws when too few CAs certified it. */
  certify(key: LoadedKey): Promise<void>;
  /** Tells the CAs that certified `kid` that it is revoked. */
  revokeAtCas(kid: string, reason: string): Promise<void>;
  /** How long a key signs before a rotation is due; undefined: only on events. */
  rotationIntervalMs?: number;
}

export type RotationCause = 'initial' | 'scheduled' | 'manual' | 'revoked-active';

/**
 * Key lifecycle: generation, storage (through the backend), rotation and
 * revocation. The database decides races: activation is a compare-and-set.
 */
export class KeyManager {
  readonly #loaded = new Map<string, Promise<LoadedKey>>();
  #rotation: Promise<KeyRotationRecord> | undefined;

  constructor(private readonly options: KeyManagerOptions) {}

  /** The specification's getKeyForSigning: a revoked or expired active key is rotated first. */
  async getKeyForSigning(): Promise<LoadedKey> {
    let active = await this.options.keys.getActive();
    if (!active || this.isKeyRevoked(active)) {
      active = await this.rotateKey(active?.kid, active ? 'revoked-active' : 'initial');
    } else if (this.isRotationDue(active)) {
      active = await this.rotateKey(active.kid, 'scheduled');
    }
    // The cached handle may hold an older view of the record (e.g. still pending).
    return { ...(await this.load(active)), record: active };
  }

  /** Loads (and caches) the signing handle of a key that is not revoked. */
  async load(record: KeyRotationRecord): Promise<LoadedKey> {
    let loaded = this.#loaded.get(record.kid);
    if (!loaded) {
      loaded = this.options.backend.load(record);
      this.#loaded.set(record.kid, loaded);
      loaded.catch(() => this.#loaded.delete(record.kid));
    }
    return loaded;
  }

  isKeyRevoked(record: KeyRotationRecord): boolean {
    return record.status === 'revoked' || record.status === 'destroyed';
  }

  private isRotationDue(record: KeyRotationRecord): boolean {
    return record.nextRotationAt !== undefined && record.nextRotationAt <= this.options.clock.now();
  }

  /**
   * Replaces the active key `expectedKid` (undefined: none yet) by a new,
   * certified key. Concurrent callers in this process share one rotation; a
   * rotation that loses the compare-and-set to another process adopts the winner.
   */
  rotateKey(expectedKid: string | undefined, cause: RotationCause): Promise<KeyRotationRecord> {
    this.#rotation ??= this.rotateOnce(expectedKid, cause, 'retired').finally(() => {
      this.#rotation = undefined;
    });
    return this.#rotation;
  }

  /** Revokes `kid`. If it was active, a new key is active when this resolves. */
  async revoke(kid: string, reason: string, actor: string): Promise<{ activeKid: string }> {
    const record = await this.options.keys.get(kid);
    if (!record) throw new SignetError('ERR_KEY_NOT_FOUND', `no key with kid ${kid}`);
    const at = this.options.clock.now();
    if (record.status === 'active') {
      await this.rotateOnce(kid, 'revoked-active', 'revoked', reason);
    } else if (!this.isKeyRevoked(record)) {
      await this.options.keys.revoke(kid, reason, at);
    }
    this.#loaded.delete(kid);
    await this.options.audit.append({
      actor,
      action: 'key.revoked',
      subject: kid,
      details: { reason },
    });
    await this.options.revokeAtCas(kid, reason);
    const active = await this.options.keys.getActive();
    if (!active) throw new SignetError('ERR_NO_ACTIVE_KEY', 'no active key after revocation');
    return { activeKid: active.kid };
  }

  private async rotateOnce(
    expectedKid: string | undefined,
    cause: RotationCause,
    outcome: 'retired' | 'revoked',
    reason?: string,
  ): Promise<KeyRotationRecord> {
    const next = await this.createCertifiedKey();
    const at = this.options.clock.now();
    const swapped = await this.options.keys.swapActive({
      expectedActiveKid: expectedKid,
      newKid: next.kid,
      outcome,
      at,
      ...(reason ? { reason } : {}),
    });
    if (swapped) {
      await this.options.audit.append({
        actor: 'system',
        action: 'key.activated',
        subject: next.kid,
        details: { cause, replaced: expectedKid ?? null, outcome },
      });
    } else if (outcome === 'revoked' && expectedKid) {
      // Someone rotated first; the key to revoke is no longer active, revoke it where it is.
      await this.options.keys.revoke(expectedKid, reason ?? 'unspecified', at);
    }
    const active = await this.options.keys.getActive();
    if (!active) throw new SignetError('ERR_NO_ACTIVE_KEY', 'no active key after rotation');
    return active;
  }

  private async createCertifiedKey(): Promise<KeyRotationRecord> {
    const { backend, algorithm, clock, keys } = this.options;
    const generated = await backend.generate(algorithm);
    const kid = generated.publicJwk.kid;
    if (!kid) throw new SignetError('ERR_INTERNAL', 'key backend returned a key without kid');
    const now = clock.now();
    const record: KeyRotationRecord = {
      kid,
      algorithm,
      status: 'pending',
      publicJwk: generated.publicJwk,
      privateKeyRef: generated.privateKeyRef,
      createdAt: now,
      ...(this.options.rotationIntervalMs
        ? { nextRotationAt: new Date(now.getTime() + this.options.rotationIntervalMs) }
        : {}),
    };
    await keys.insert(record);
    await this.options.audit.append({
      actor: 'system',
      action: 'key.created',
      subject: kid,
      details: { algorithm },
    });
    await this.options.certify(await this.load(record));
    return record;
  }
}
