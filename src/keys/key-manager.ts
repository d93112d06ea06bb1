import { SignetError } from '../domain/errors.js';
import type { AuditLog, Clock, KeyBackend, KeyRepository, LoadedKey } from '../domain/ports.js';
import type { Algorithm, KeyRotationRecord } from '../domain/types.js';
import type { RotationSchedule } from './schedule.js';

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
  schedule: RotationSchedule;
  /** How long before its activation the next key is created, certified and published. */
  prepublishMs: number;
  /** How long a retired key stays published before its private key is destroyed. */
  retainMs: number;
  /** Rotate once the active key has signed this many tokens. */
  maxSignatures?: number;
  /**
   * Whether this instance runs rotations that are due (schedule, max signatures).
   * Several instances on one database: only the leader, so a due rotation
   * happens once; the others sign with the current key until it has.
   */
  runsDueRotations?: () => boolean;
}

export type RotationCause =
  'initial' | 'scheduled' | 'manual' | 'max-signatures' | 'revoked-active';

/**
 * Key lifecycle: pending → active → retired → destroyed, or revoked. The
 * database decides races: activation is a compare-and-set, and at most one
 * key is active (a partial unique index).
 */
export class KeyManager {
  readonly #loaded = new Map<string, Promise<LoadedKey>>();
  #rotation: Promise<KeyRotationRecord> | undefined;
  #prepublishing: Promise<void> | undefined;

  constructor(private readonly options: KeyManagerOptions) {}

  /** The specification's getKeyForSigning: a revoked or due active key is rotated first. */
  async getKeyForSigning(): Promise<LoadedKey> {
    let active = await this.options.keys.getActive();
    if (!active || this.isKeyRevoked(active)) {
      active = await this.rotateKey(active?.kid, active ? 'revoked-active' : 'initial');
    } else {
      const cause = this.dueCause(active);
      if (cause) active = await this.rotateKey(active.kid, cause);
    }
    // The cached handle may hold an older view of the record (e.g. still pending).
    return { ...(await this.load(active)), record: active };
  }

  /** Loads (and caches) the signing handle of a key. */
  async load(record: KeyRotationRecord): Promise<LoadedKey> {
    let loaded = this.#loaded.get(record.kid);
    if (!loaded) {
      loaded = this.options.backend.load(record);
      this.#loaded.set(record.kid, loaded);
      loaded.catch(() => this.#loaded.delete(record.kid));
    }
    return loaded;
  }

  /** Drops the cached signing handle of `kid` (e.g. another instance revoked it). */
  forget(kid: string): void {
    this.#loaded.delete(kid);
  }

  /** The kids whose signing handles are cached. */
  loadedKids(): string[] {
    return [...this.#loaded.keys()];
  }

  isKeyRevoked(record: KeyRotationRecord): boolean {
    return record.status === 'revoked' || record.status === 'destroyed';
  }

  dueCause(record: KeyRotationRecord): RotationCause | undefined {
    if (this.options.runsDueRotations?.() === false) return undefined;
    if (record.nextRotationAt !== undefined && record.nextRotationAt <= this.options.clock.now()) {
      return 'scheduled';
    }
    const max = this.options.maxSignatures;
    if (max !== undefined && (record.signatures ?? 0) >= max) return 'max-signatures';
    return undefined;
  }

  /**
   * Replaces the active key `expectedKid` (undefined: none yet) by the
   * pre-published key, or a new certified one. Concurrent callers in this
   * process share one rotation; one that loses the compare-and-set to another
   * process adopts the winner.
   */
  rotateKey(expectedKid: string | undefined, cause: RotationCause): Promise<KeyRotationRecord> {
    this.#rotation ??= this.rotateOnce(expectedKid, cause, 'retired').finally(() => {
      this.#rotation = undefined;
    });
    return this.#rotation;
  }

  /** Revokes `kid`. If it was active, the next key is active when this resolves. */
  async revoke(kid: string, reason: string, actor: string): Promise<{ activeKid: string | null }> {
    const record = await this.options.keys.get(kid);
    if (!record) throw new SignetError('ERR_KEY_NOT_FOUND', `no key with kid ${kid}`);
    if (record.status === 'active') {
      await this.revokeActive(kid, reason, actor);
    } else if (!this.isKeyRevoked(record)) {
      await this.options.keys.revoke(kid, reason, this.options.clock.now());
      await this.audit(actor, 'key.revoked', kid, { reason, from: record.status });
    }
    this.#loaded.delete(kid);
    await this.options.revokeAtCas(kid, reason);
    return { activeKid: (await this.options.keys.getActive())?.kid ?? null };
  }

  /**
   * Revokes the active key, handing over to the next one in the same
   * transaction. When no replacement can be certified (too few CAs reachable)
   * the key is revoked all the same: signing then waits for a new key.
   */
  private async revokeActive(kid: string, reason: string, actor: string): Promise<void> {
    try {
      await this.rotateOnce(kid, 'revoked-active', 'revoked', reason, actor);
    } catch (err) {
      if (!(err instanceof SignetError && err.code === 'ERR_CA_UNAVAILABLE')) throw err;
      if (await this.options.keys.revoke(kid, reason, this.options.clock.now())) {
        await this.audit(actor, 'key.revoked', kid, { reason, replacement: 'none yet' });
      }
    }
  }

  /** Creates, certifies and publishes the next key once the active one is within `prepublish` of its rotation. */
  async prepublishIfDue(): Promise<void> {
    this.#prepublishing ??= this.prepublishOnce().finally(() => {
      this.#prepublishing = undefined;
    });
    return this.#prepublishing;
  }

  private async prepublishOnce(): Promise<void> {
    const active = await this.options.keys.getActive();
    const rotationAt = active?.nextRotationAt?.getTime();
    if (rotationAt === undefined) return;
    if (rotationAt - this.options.prepublishMs > this.options.clock.now().getTime()) return;
    if ((await this.options.keys.list(['pending'])).length > 0) return;
    await this.createCertifiedKey('prepublished');
  }

  /** Destroys the private keys of retired keys past retention. Returns the kids destroyed. */
  async destroyExpired(): Promise<string[]> {
    const now = this.options.clock.now();
    const destroyed: string[] = [];
    for (const key of await this.options.keys.list(['retired'])) {
      const retiredAt = key.retiredAt?.getTime() ?? 0;
      if (retiredAt + this.options.retainMs > now.getTime()) continue;
      // The token object goes first: a failure leaves the key retired, to be tried again.
      await this.options.backend.destroy?.(key);
      if (await this.options.keys.destroy(key.kid, now)) {
        this.#loaded.delete(key.kid);
        destroyed.push(key.kid);
        await this.audit('system', 'key.destroyed', key.kid, { retainedUntil: now.toISOString() });
      }
    }
    return destroyed;
  }

  private async rotateOnce(
    expectedKid: string | undefined,
    cause: RotationCause,
    outcome: 'retired' | 'revoked',
    reason?: string,
    actor = 'system',
  ): Promise<KeyRotationRecord> {
    const next = (await this.prepublished()) ?? (await this.createCertifiedKey(cause));
    const at = this.options.clock.now();
    const swapped = await this.options.keys.swapActive({
      expectedActiveKid: expectedKid,
      newKid: next.kid,
      outcome,
      at,
      nextRotationAt: this.options.schedule.nextAfter(at),
      ...(reason ? { reason } : {}),
    });
    if (swapped) {
      if (expectedKid) {
        await this.audit(actor, `key.${outcome}`, expectedKid, { cause, reason: reason ?? null });
      }
      await this.audit(actor, 'key.activated', next.kid, { cause, replaced: expectedKid ?? null });
    } else if (outcome === 'revoked' && expectedKid) {
      // Another rotation won; revoke the key where it now is (retired).
      await this.options.keys.revoke(expectedKid, reason ?? 'unspecified', at);
      await this.audit(actor, 'key.revoked', expectedKid, { cause, reason: reason ?? null });
    }
    const active = await this.options.keys.getActive();
    if (!active) throw new SignetError('ERR_NO_ACTIVE_KEY', 'no active key after rotation');
    return active;
  }

  private async prepublished(): Promise<KeyRotationRecord | undefined> {
    const pending = await this.options.keys.list(['pending']);
    return pending.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())[0];
  }

  /** A key is stored (as pending, so listed in JWKS) only once enough CAs have certified it. */
  private async createCertifiedKey(
    cause: RotationCause | 'prepublished',
  ): Promise<KeyRotationRecord> {
    const { backend, algorithm, clock, keys } = this.options;
    const generated = await backend.generate(algorithm);
    const kid = generated.publicJwk.kid;
    if (!kid) throw new SignetError('ERR_INTERNAL', 'key backend returned a key without kid');
    const record: KeyRotationRecord = {
      kid,
      algorithm,
      status: 'pending',
      publicJwk: generated.publicJwk,
      privateKeyRef: generated.privateKeyRef,
      createdAt: clock.now(),
    };
    await this.options.certify(await this.load(record));
    await keys.insert(record);
    await this.audit('system', 'key.created', kid, { algorithm, cause });
    return record;
  }

  private audit(actor: string, action: string, subject: string, details: Record<string, unknown>) {
    return this.options.audit.append({ actor, action, subject, details });
  }
}
