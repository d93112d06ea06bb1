import { SignetError } from '../domain/errors.js';
import { readCapped } from '../shared/read-capped.js';

export interface CaHttpRequest {
  method: 'GET' | 'POST';
  body?: string | Uint8Array;
  contentType?: string;
  accept?: string;
  timeoutMs: number;
  /** The answer is refused once it grows past this many bytes. */
  maxBytes: number;
}

export interface CaHttpResponse {
  status: number;
  contentType: string;
  body: Uint8Array;
}

/**
 * One HTTP exchange with a CA endpoint (signing API, OCSP responder, CRL
 * distribution point): a time limit on the whole exchange, a cap on the
 * answer's size, and no redirects followed. Transport failures, timeouts and
 * oversized answers are a retryable ERR_CA_UNAVAILABLE.
 */
export async function caHttp(url: string, request: CaHttpRequest): Promise<CaHttpResponse> {
  const target = checkedUrl(url);
  const headers: Record<string, string> = {};
  if (request.contentType) headers['content-type'] = request.contentType;
  if (request.accept) headers.accept = request.accept;
  const signal = AbortSignal.timeout(request.timeoutMs);
  try {
    const response = await send(target, {
      method: request.method,
      headers,
      redirect: 'manual',
      signal,
      ...(request.body !== undefined ? { body: request.body } : {}),
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw unavailable(url, `redirect (${response.status}) refused`);
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > request.maxBytes) {
      await response.body?.cancel();
      throw unavailable(url, `answer larger than ${request.maxBytes} bytes`);
    }
    const body = new Uint8Array(
      await readCapped(response, request.maxBytes, () =>
        unavailable(url, `answer larger than ${request.maxBytes} bytes`),
      ),
    );
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body,
    };
  } catch (err) {
    if (err instanceof SignetError) throw err;
    const reason = signal.aborted
      ? `no answer within ${request.timeoutMs} ms`
      : describe(err as Error);
    throw unavailable(url, reason, err);
  }
}

/**
 * A kept-alive connection that the CA closed meanwhile (a restarted
 * responder) fails before any answer arrives; such a request is sent once more.
 */
async function send(target: URL, init: RequestInit): Promise<Response> {
  try {
    return await fetch(target, init);
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    const stale = code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
    if (!stale || init.signal?.aborted) throw err;
    return fetch(target, init);
  }
}

function checkedUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SignetError('ERR_CA_UNAVAILABLE', `not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new SignetError('ERR_CA_UNAVAILABLE', `not an http(s) URL: ${url}`);
  }
  if (parsed.username || parsed.password) {
    throw new SignetError('ERR_CA_UNAVAILABLE', 'CA URLs may not carry credentials');
  }
  return parsed;
}

function describe(err: Error): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? err.message;
}

function unavailable(url: string, reason: string, cause?: unknown): SignetError {
  const where = new URL(url);
  return new SignetError(
    'ERR_CA_UNAVAILABLE',
    `${where.origin}${where.pathname}: ${reason}`,
    cause === undefined ? { retryable: true } : { retryable: true, cause },
  );
}
