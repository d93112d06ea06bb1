import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import type { OutboundGuard } from './outbound-guard.js';

export interface CallbackPayload {
  requestId: string;
  status: 'completed' | 'failed';
  statusUrl: string;
}

const ATTEMPTS = 3;

/**
 * Tells a client's callbackUrl that its request settled. Best effort (the
 * status endpoint stays the source of truth): three tries, no redirects, a
 * timeout, and the SSRF guard on the connection itself.
 */
export class CallbackSender {
  constructor(
    private readonly guard: OutboundGuard,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  async send(callbackUrl: string, payload: CallbackPayload): Promise<boolean> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const status = await this.post(callbackUrl, payload);
        if (status >= 200 && status < 300) return true;
        this.logger.warn(
          { requestId: payload.requestId, status },
          'callback answered with an error',
        );
      } catch (err) {
        this.logger.warn(
          { requestId: payload.requestId, reason: (err as Error).message },
          'callback failed',
        );
      }
      if (attempt < ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt).unref());
      }
    }
    return false;
  }

  private post(raw: string, payload: CallbackPayload): Promise<number> {
    const url = this.guard.check(raw);
    const body = JSON.stringify(payload);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const lookup = this.guard.lookupFor(url.hostname);
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
          timeout: this.timeoutMs,
          ...(lookup ? { lookup } : {}),
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('timeout', () => req.destroy(new Error('callback timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }
}
