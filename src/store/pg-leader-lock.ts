import pg from 'pg';
import type { LeaderLock } from '../domain/ports.js';
import { ADVISORY_NAMESPACE, LEADER_LOCK } from './store-dialect.js';

export interface PgLeaderLockOptions {
  /** How often a follower tries to take the lock, and a leader checks that it still holds it. */
  intervalMs?: number;
}

/**
 * Leadership as a session-level advisory lock held on a dedicated connection.
 * When the leader dies, PostgreSQL ends its session and releases the lock;
 * a follower takes it at its next try. A leader whose connection breaks (or
 * stops answering) steps down at once, before PostgreSQL may hand the lock on.
 */
export class PgLeaderLock implements LeaderLock {
  readonly #listeners = new Set<(leader: boolean) => void>();
  readonly #intervalMs: number;
  #client: pg.Client | undefined;
  #leader = false;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;

  constructor(
    private readonly config: pg.ClientConfig,
    options: PgLeaderLockOptions = {},
  ) {
    this.#intervalMs = options.intervalMs ?? 1_000;
  }

  isLeader(): boolean {
    return this.#leader;
  }

  onChange(listener: (leader: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.#runTick();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#tick;
    const client = this.#client;
    this.#client = undefined;
    this.#setLeader(false);
    // Ending the session releases the lock; a follower takes over at its next try.
    await client?.end().catch(() => undefined);
  }

  #runTick(): Promise<void> {
    this.#tick = this.#attempt().finally(() => {
      this.#tick = undefined;
      if (!this.#running) return;
      this.#timer = setTimeout(() => void this.#runTick(), this.#intervalMs);
      this.#timer.unref();
    });
    return this.#tick;
  }

  async #attempt(): Promise<void> {
    try {
      const client = this.#client ?? (await this.#connect());
      if (this.#leader) {
        await client.query('SELECT 1');
        return;
      }
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1, $2) AS locked',
        [ADVISORY_NAMESPACE, LEADER_LOCK],
      );
      if (rows[0]?.locked === true && this.#running) this.#setLeader(true);
    } catch {
      this.#drop();
    }
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    client.on('error', () => this.#drop(client));
    client.on('end', () => this.#drop(client));
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.#client = client;
    return client;
  }

  /** The session (and with it the lock, if held) is gone: step down at once. */
  #drop(client = this.#client): void {
    if (!client || this.#client !== client) return;
    this.#client = undefined;
    void client.end().catch(() => undefined);
    this.#setLeader(false);
  }

  #setLeader(leader: boolean): void {
    if (this.#leader === leader) return;
    this.#leader = leader;
    for (const listener of this.#listeners) {
      try {
        listener(leader);
      } catch {
        // A failing listener must not break leadership tracking.
      }
    }
  }
}
