import { createHash, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { RequestStatus, StatusView } from '../domain/types.js';
import { refuse, SignetClientError } from './errors.js';
import type { FetchFunction } from './fetcher.js';
import { callWithRetry, DEFAULT_RETRY, httpError, type RetryPolicy } from './http.js';
import { verifyResponseToken, type VerifiedToken, type VerifyOptions } from './verify.js';

export interface SignetClientOptions {
  /** Base URL of the service, e.g. https://signet.example.com. */
  url: string;
  /** API token (Bearer). */
  token?: string;
  fetch?: FetchFunction;
  retry?: Partial<RetryPolicy>;
  /** Per call, on top of any long-poll wait (default 30 s). */
  timeoutMs?: number;
  /** Defaults for `request()`'s verification; `allowOrigins` defaults to the service's origin. */
  verify?: Partial<VerifyOptions>;
}

export interface SubmitOptions {
  processor?: string;
  callbackUrl?: string;
  /** Makes the submission safe to repeat; one is generated when absent. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface Submitted {
  requestId: string;
  status: RequestStatus;
  statusUrl: string;
}

export type { StatusView } from '../domain/types.js';

export interface WaitOptions {
  /** Milliseconds to wait for completion in all (default 60 s). */
  timeout?: number;
  /** Longest single long-poll, in seconds (default 20; the service caps it). */
  pollSeconds?: number;
  signal?: AbortSignal;
  onProgress?: (status: StatusView, elapsedMs: number) => void;
}

export type RequestOptions = Partial<VerifyOptions> & SubmitOptions & Omit<WaitOptions, 'signal'>;

/** The asynchronous protocol made synchronous for the caller: submit, long-poll, verify. */
export class SignetClient {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #fetch: FetchFunction;
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #verify: Partial<VerifyOptions>;

  constructor(options: SignetClientOptions) {
    try {
      this.url = new URL(options.url).href.replace(/\/+$/, '');
    } catch {
      refuse('ERR_USAGE', `the service URL "${options.url}" is not a URL`);
    }
    this.#token = options.token;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#verify = options.verify ?? {};
  }

  async submit(data: unknown, options: SubmitOptions = {}): Promise<Submitted> {
    const body = JSON.stringify({
      data,
      ...(options.processor ? { processor: options.processor } : {}),
      ...(options.callbackUrl ? { callbackUrl: options.callbackUrl } : {}),
    });
    const response = await this.#call(
      '/request',
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': options.idempotencyKey ?? randomUUID(),
        },
        body,
      },
      0,
      options.signal,
    );
    if (response.status !== 202) throw await httpError(response, 'POST /request');
    const submitted = (await response.json()) as Partial<Submitted>;
    if (typeof submitted.requestId !== 'string')
      refuse('ERR_PROTOCOL', 'POST /request answered without requestId');
    return submitted as Submitted;
  }

  /** The request's state now, or after up to `wait` seconds if it is still pending. */
  async status(
    requestId: string,
    options: { wait?: number; signal?: AbortSignal } = {},
  ): Promise<StatusView> {
    const wait = Math.max(0, Math.floor(options.wait ?? 0));
    const path = `/status/${encodeURIComponent(requestId)}${wait > 0 ? `?wait=${wait}` : ''}`;
    const response = await this.#call(path, { method: 'GET' }, wait * 1000, options.signal);
    if (!response.ok) throw await httpError(response, `GET /status/${requestId}`);
    const view = (await response.json()) as Partial<StatusView>;
    if (typeof view.status !== 'string')
      refuse('ERR_PROTOCOL', 'GET /status answered without status');
    return view as StatusView;
  }

  /** Long-polls until the request is completed; a failed request is ERR_REQUEST_FAILED. */
  async wait(requestId: string, options: WaitOptions = {}): Promise<StatusView> {
    const started = Date.now();
    const deadline = started + (options.timeout ?? 60_000);
    const poll = Math.max(1, options.pollSeconds ?? 20);
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new SignetClientError(
          'ERR_WAIT_TIMEOUT',
          `request ${requestId} did not complete within ${options.timeout ?? 60_000} ms`,
        );
      }
      const wait = Math.max(1, Math.min(poll, Math.floor(remaining / 1000)));
      const view = await this.status(requestId, {
        wait,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      options.onProgress?.(view, Date.now() - started);
      if (view.status === 'completed') {
        if (typeof view.token !== 'string')
          refuse('ERR_PROTOCOL', `request ${requestId} is completed without a token`);
        return view;
      }
      if (view.status === 'failed') {
        throw new SignetClientError(
          'ERR_REQUEST_FAILED',
          `request ${requestId} failed: ${view.error ?? 'no reason given'}`,
        );
      }
      if (remaining < 1000) await new Promise((resolve) => setTimeout(resolve, remaining));
    }
  }

  /**
   * Submit, wait, verify the token, check that it answers this very request;
   * returns its data. `onProgress` sees the submission's answer, then each poll.
   */
  async request(data: unknown, options: RequestOptions = {}): Promise<unknown> {
    return (await this.requestVerified(data, options)).data;
  }

  /** As `request`, returning what was checked as well. */
  async requestVerified(data: unknown, options: RequestOptions = {}): Promise<VerifiedToken> {
    const { processor, callbackUrl, idempotencyKey, timeout, pollSeconds, onProgress, ...verify } =
      options;
    const merged = {
      allowOrigins: [new URL(this.url).origin],
      fetch: this.#fetch,
      ...this.#verify,
      ...verify,
    };
    if (!merged.trust) {
      refuse(
        'ERR_USAGE',
        'verification needs trusted roots: pass `trust` (or fetch them with caRoots())',
      );
    }
    const submitted = await this.submit(data, {
      ...(processor ? { processor } : {}),
      ...(callbackUrl ? { callbackUrl } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
    });
    onProgress?.({ requestId: submitted.requestId, status: submitted.status }, 0);
    const done = await this.wait(submitted.requestId, {
      ...(timeout !== undefined ? { timeout } : {}),
      ...(pollSeconds !== undefined ? { pollSeconds } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    const verified = await verifyResponseToken(done.token as string, merged as VerifyOptions);
    if (verified.claims.req !== requestDigest(data)) {
      refuse('ERR_POLICY', 'the token does not answer this request (its "req" digest differs)');
    }
    if (verified.claims.jti !== submitted.requestId) {
      refuse(
        'ERR_POLICY',
        `the token is for request ${verified.claims.jti}, not ${submitted.requestId}`,
      );
    }
    return verified;
  }

  /**
   * The root certificate of each CA, as the service itself publishes them.
   * Trusting these is trust on first use: pin them once, out of band if you can.
   */
  async caRoots(): Promise<{ id: string; pem: string }[]> {
    const response = await this.#call('/cas', { method: 'GET' }, 0);
    if (!response.ok) throw await httpError(response, 'GET /cas');
    const { cas } = (await response.json()) as { cas?: { id?: unknown }[] };
    if (!Array.isArray(cas)) refuse('ERR_PROTOCOL', 'GET /cas answered without a list');
    const roots: { id: string; pem: string }[] = [];
    for (const { id } of cas) {
      if (typeof id !== 'string') continue;
      const root = await this.#call(
        `/cas/${encodeURIComponent(id)}/root.pem`,
        { method: 'GET' },
        0,
      );
      if (!root.ok) throw await httpError(root, `GET /cas/${id}/root.pem`);
      roots.push({ id, pem: await root.text() });
    }
    return roots;
  }

  #call(path: string, init: RequestInit, extraMs: number, signal?: AbortSignal): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('accept', 'application/json');
    if (this.#token) headers.set('authorization', `Bearer ${this.#token}`);
    return callWithRetry(
      this.#fetch,
      `${this.url}${path}`,
      { ...init, headers, redirect: 'manual' },
      this.#retry,
      {
        timeoutMs: this.#timeoutMs + extraMs,
        ...(signal ? { signal } : {}),
      },
    );
  }
}

/** base64url SHA-256 of the RFC 8785 canonical JSON of the request data: the `req` claim. */
export function requestDigest(data: unknown): string {
  return createHash('sha256')
    .update(canonicalize(data) ?? 'null')
    .digest('base64url');
}
