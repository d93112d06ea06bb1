import { refuse, SignetClientError } from './errors.js';

export type FetchFunction = typeof globalThis.fetch;

export interface FetcherOptions {
  /**
   * Origins (`https://host[:port]`) the verifier may connect to. An `http://`
   * origin must be listed as such: https is required everywhere else.
   */
  allowOrigins: readonly string[];
  fetch?: FetchFunction;
  /** Per request, connection and body included. */
  timeoutMs?: number;
  cache?: ResponseCache;
}

export interface GetOptions {
  /** What is fetched, for messages: "x5u", "OCSP responder"… */
  what: string;
  maxBytes: number;
  accept?: string;
  /** Keep the body this long for the same URL (0: no caching). */
  cacheTtlMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/** A small bounded cache of fetched bodies, shared by default between verifications. */
export class ResponseCache {
  readonly #entries = new Map<string, { body: Uint8Array; expires: number }>();

  constructor(private readonly maxEntries = 256) {}

  get(url: string, now = Date.now()): Uint8Array | undefined {
    const entry = this.#entries.get(url);
    if (!entry) return undefined;
    if (entry.expires <= now) {
      this.#entries.delete(url);
      return undefined;
    }
    return entry.body;
  }

  set(url: string, body: Uint8Array, ttlMs: number, now = Date.now()): void {
    this.#entries.delete(url);
    this.#entries.set(url, { body, expires: now + ttlMs });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}

export const sharedCache = new ResponseCache();

/** Normalizes allow-list entries to origins; an entry that is not a URL is a caller mistake. */
export function normalizeOrigins(entries: readonly string[]): string[] {
  return entries.map((entry) => {
    try {
      const url = new URL(entry);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme');
      return url.origin;
    } catch {
      return refuse('ERR_USAGE', `allowed origin "${entry}" is not an http(s) URL`);
    }
  });
}

/**
 * Decides whether `location` may be fetched, before anything connects: its
 * origin must be on the allow-list (http only when listed with http), and it
 * must not carry credentials.
 */
export function allowedUrl(location: unknown, allowOrigins: readonly string[], what: string): URL {
  if (typeof location !== 'string') refuse('ERR_TOKEN_MALFORMED', `${what} is not a URL`);
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return refuse('ERR_X5U_NOT_ALLOWED', `${what} "${location}" is not a valid URL`);
  }
  const origins = normalizeOrigins(allowOrigins);
  if (url.username || url.password) {
    refuse('ERR_X5U_NOT_ALLOWED', `${what} "${location}" carries credentials`);
  }
  if (origins.includes(url.origin)) return url;
  if (url.protocol === 'http:' && origins.includes(`https://${url.host}`)) {
    refuse(
      'ERR_X5U_NOT_ALLOWED',
      `${what} "${location}" is not https (its origin is allowed over https only)`,
    );
  }
  return refuse('ERR_X5U_NOT_ALLOWED', `${what} origin ${url.origin} is not on the allow-list`);
}

/** GETs and POSTs to allow-listed origins only: no redirects, bounded in size and time. */
export class SafeFetcher {
  readonly #fetch: FetchFunction;
  readonly #timeoutMs: number;
  readonly #cache: ResponseCache;
  readonly #origins: string[];

  constructor(options: FetcherOptions) {
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#cache = options.cache ?? sharedCache;
    this.#origins = normalizeOrigins(options.allowOrigins);
  }

  /** Throws ERR_X5U_NOT_ALLOWED unless `location` may be fetched. */
  check(location: unknown, what: string): URL {
    return allowedUrl(location, this.#origins, what);
  }

  async get(location: unknown, options: GetOptions): Promise<Uint8Array> {
    const url = this.check(location, options.what);
    const ttl = options.cacheTtlMs ?? 0;
    const cached = ttl > 0 ? this.#cache.get(url.href) : undefined;
    if (cached) return cached;
    const body = await this.#send(url, options, {
      method: 'GET',
      headers: options.accept ? { accept: options.accept } : {},
    });
    if (ttl > 0) this.#cache.set(url.href, body, ttl);
    return body;
  }

  async post(
    location: unknown,
    body: Uint8Array,
    options: GetOptions & { contentType: string },
  ): Promise<Uint8Array> {
    const url = this.check(location, options.what);
    return this.#send(url, options, {
      method: 'POST',
      headers: {
        'content-type': options.contentType,
        ...(options.accept ? { accept: options.accept } : {}),
      },
      body,
    });
  }

  async #send(url: URL, options: GetOptions, init: RequestInit): Promise<Uint8Array> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let response: Response;
    try {
      response = await this.#fetch(url, { ...init, redirect: 'manual', signal });
    } catch (cause) {
      throw fetchFailed(
        `${options.what} ${url.href} could not be fetched: ${reason(cause)}`,
        cause,
      );
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw fetchFailed(
        `${options.what} ${url.href} answered a redirect (${response.status}), which is not followed`,
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw fetchFailed(
        `${options.what} ${url.href} answered ${response.status}`,
        undefined,
        response.status,
      );
    }
    return readCapped(response, options.maxBytes, `${options.what} ${url.href}`);
  }
}

async function readCapped(response: Response, maxBytes: number, what: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw fetchFailed(`${what} is larger than ${maxBytes} bytes`);
  }
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw fetchFailed(`${what} is larger than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof SignetClientError) throw cause;
    throw fetchFailed(`${what} could not be read: ${reason(cause)}`, cause);
  }
  return Buffer.concat(chunks);
}

function reason(cause: unknown): string {
  if (cause instanceof Error && cause.name === 'TimeoutError') return 'timed out';
  const inner = (cause as { cause?: { code?: string } }).cause?.code;
  return inner ?? (cause instanceof Error ? cause.message : String(cause));
}

function fetchFailed(message: string, cause?: unknown, status?: number): SignetClientError {
  return new SignetClientError('ERR_FETCH_FAILED', message, {
    ...(cause === undefined ? {} : { cause }),
    ...(status === undefined ? {} : { status }),
  });
}
