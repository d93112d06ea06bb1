import pg from 'pg';

/** `undefined`: the connection was re-established and notifications may have been missed. */
export type ChannelListener = (payload: string | undefined) => void;

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

/**
 * One dedicated connection that LISTENs on Signet's channels (a pooled
 * connection cannot: LISTEN belongs to a session). It connects on the first
 * subscription and reconnects with backoff when the connection drops.
 */
export class PgListener {
  readonly #listeners = new Map<string, Set<ChannelListener>>();
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #retryMs = RETRY_MIN_MS;
  #closed = false;
  #everConnected = false;

  constructor(private readonly config: pg.ClientConfig) {}

  /** Whether the LISTEN connection is up right now. */
  get connected(): boolean {
    return this.#client !== undefined;
  }

  on(channel: string, listener: ChannelListener): () => void {
    let set = this.#listeners.get(channel);
    if (!set) {
      set = new Set();
      this.#listeners.set(channel, set);
      if (this.#client) void this.#client.query(`LISTEN ${channel}`).catch(() => undefined);
    }
    set.add(listener);
    this.#ensureConnected();
    return () => set.delete(listener);
  }

  /** Resolves with whether the connection is up, waiting for it up to `timeoutMs`. */
  async ready(timeoutMs = 5_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    this.#ensureConnected();
    while (!this.#client && !this.#closed && Date.now() < deadline) {
      await (this.#connecting ?? new Promise((resolve) => setTimeout(resolve, 50)));
    }
    return this.#client !== undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    await this.#connecting?.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }

  #ensureConnected(): void {
    if (this.#closed || this.#client || this.#connecting || this.#timer) return;
    this.#connecting = this.#connect().finally(() => {
      this.#connecting = undefined;
    });
  }

  async #connect(): Promise<void> {
    const client = new pg.Client(this.config);
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    client.on('notification', (message) => this.#emit(message.channel, message.payload ?? ''));
    try {
      await client.connect();
      for (const channel of this.#listeners.keys()) await client.query(`LISTEN ${channel}`);
    } catch {
      await client.end().catch(() => undefined);
      this.#retryLater();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#retryMs = RETRY_MIN_MS;
    // After a reconnection, what was sent meanwhile is lost: listeners re-read.
    if (this.#everConnected) for (const channel of this.#listeners.keys()) this.#emit(channel);
    this.#everConnected = true;
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    void client.end().catch(() => undefined);
    this.#retryLater();
  }

  #retryLater(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#ensureConnected();
    }, this.#retryMs);
    this.#timer.unref();
    this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
  }

  #emit(channel: string, payload?: string): void {
    for (const listener of this.#listeners.get(channel) ?? []) {
      try {
        listener(payload);
      } catch {
        // A failing listener must not stop the others.
      }
    }
  }
}
