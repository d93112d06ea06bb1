import { SignetError } from '../domain/errors.js';
import type { Processor } from '../domain/ports.js';
import type { RequestEnvelope } from '../domain/types.js';

const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface HttpProcessorOptions {
  /** The upstream URL comes from the config, never from a request. */
  url: string;
  timeoutMs: number;
}

async function readCapped(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new SignetError('ERR_PROCESSOR_FAILED', 'upstream answer exceeds 1 MiB');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
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
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      throw new SignetError(
        'ERR_PROCESSOR_FAILED',
        `upstream unreachable: ${(err as Error).name}`,
        {
          retryable: true,
        },
      );
    }
    const text = await readCapped(response);
    if (!response.ok) {
      throw new SignetError('ERR_PROCESSOR_FAILED', `upstream answered ${response.status}`, {
        retryable: response.status >= 500 || response.status === 429,
      });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new SignetError('ERR_PROCESSOR_FAILED', 'upstream answer is not JSON');
    }
  }
}
