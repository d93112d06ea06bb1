import { SignetError, isSignetError } from '../domain/errors.js';
import type { Processor } from '../domain/ports.js';
import type { RequestEnvelope } from '../domain/types.js';
import { readCapped } from '../shared/read-capped.js';

const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface HttpProcessorOptions {
  /** The upstream URL comes from the config, never from a request. */
  url: string;
  timeoutMs: number;
}

/** Drops a body that will not be read, so that the connection is released. */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/** POSTs the request data to the configured upstream and signs the JSON it answers. */
export class HttpUpstreamProcessor implements Processor {
  readonly name = 'http';

  constructor(private readonly options: HttpProcessorOptions) {}

  async run(envelope: RequestEnvelope): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signet-request-id': envelope.requestId },
        body: JSON.stringify(envelope.data),
        // Redirects are never followed; 'manual' lets us tell one apart from a network error.
        redirect: 'manual',
        // Covers the whole exchange, body included.
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      throw new SignetError(
        'ERR_PROCESSOR_FAILED',
        `upstream unreachable: ${(err as Error).name}`,
        { retryable: true, cause: err },
      );
    }
    if (response.status >= 300 && response.status < 400) {
      await discard(response);
      // A configuration problem, not a transient one: retrying cannot help.
      throw new SignetError(
        'ERR_PROCESSOR_FAILED',
        `upstream answered a redirect (${response.status}); redirects are not followed`,
      );
    }
    if (!response.ok) {
      // The status decides; an error body (however large) is not read.
      await discard(response);
      throw new SignetError('ERR_PROCESSOR_FAILED', `upstream answered ${response.status}`, {
        retryable: response.status >= 500 || response.status === 429,
      });
    }
    let text: string;
    try {
      const body = await readCapped(
        response,
        MAX_RESPONSE_BYTES,
        () => new SignetError('ERR_PROCESSOR_FAILED', 'upstream answer exceeds 1 MiB'),
      );
      text = body.toString('utf8');
    } catch (err) {
      if (isSignetError(err)) throw err;
      // Timed out or cut off in the middle of the answer: transient.
      throw new SignetError(
        'ERR_PROCESSOR_FAILED',
        `upstream answer interrupted: ${(err as Error).name}`,
        { retryable: true, cause: err },
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new SignetError('ERR_PROCESSOR_FAILED', 'upstream answer is not JSON');
    }
  }
}
