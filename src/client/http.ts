import { SignetClientError } from './errors.js';
import type { FetchFunction } from './fetcher.js';

export interface RetryPolicy {
  /** Further attempts after the first, on 429, 503 and network errors (default 4). */
  retries: number;
  /** First back-off step; doubles each attempt, with full jitter (default 200 ms). */
  minDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error is returned (default 60 s). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  retries: 4,
  minDelayMs: 200,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
};

export interface CallOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

const RETRY_STATUSES = new Set([429, 503]);

/** One API call with retries on 429/503 (honouring Retry-After) and on network errors. */
export async function callWithRetry(
  fetchFn: FetchFunction,
  url: string,
  init: RequestInit,
  policy: RetryPolicy,
  options: CallOptions,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void> = delay,
): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= policy.retries;
    let response: Response;
    try {
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
      response = await fetchFn(url, { ...init, signal });
    } catch (cause) {
      if (options.signal?.aborted) throw cause;
      if (last)
        throw new SignetClientError(
          'ERR_NETWORK',
          `${init.method ?? 'GET'} ${url} failed: ${describe(cause)}`,
          { cause },
        );
      await sleep(backoff(attempt, policy), options.signal);
      continue;
    }
    if (!RETRY_STATUSES.has(response.status) || last) return response;
    const after = retryAfterMs(response.headers.get('retry-after'));
    if (after !== undefined && after > policy.maxRetryAfterMs) return response;
    await response.body?.cancel();
    await sleep(after ?? backoff(attempt, policy), options.signal);
  }
}

/** Delay-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function backoff(attempt: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** attempt);
  return policy.minDelayMs + Math.random() * Math.max(0, ceiling - policy.minDelayMs);
}

/** Turns a non-2xx answer into ERR_HTTP with the service's problem code when there is one. */
export async function httpError(response: Response, what: string): Promise<SignetClientError> {
  let problem: { code?: unknown; detail?: unknown; title?: unknown } = {};
  try {
    problem = (await response.json()) as typeof problem;
  } catch {
    // not JSON: the status alone
  }
  const serverCode = typeof problem.code === 'string' ? problem.code : undefined;
  const detail =
    typeof problem.detail === 'string'
      ? problem.detail
      : typeof problem.title === 'string'
        ? problem.title
        : response.statusText;
  const after = retryAfterMs(response.headers.get('retry-after'));
  return new SignetClientError(
    'ERR_HTTP',
    `${what} answered ${response.status}${serverCode ? ` ${serverCode}` : ''}: ${detail}`,
    {
      status: response.status,
      ...(serverCode ? { serverCode } : {}),
      ...(after !== undefined ? { detail: { retryAfterMs: after } } : {}),
    },
  );
}

function describe(cause: unknown): string {
  if (cause instanceof Error && cause.name === 'TimeoutError') return 'timed out';
  const code = (cause as { cause?: { code?: string } }).cause?.code;
  return code ?? (cause instanceof Error ? cause.message : String(cause));
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
