import { SignetError } from '../domain/errors.js';
import { caHttp } from './http-client.js';

/** cfssl's API envelope (api/api.go): every endpoint answers with it. */
interface CfsslEnvelope {
  success?: boolean;
  result?: unknown;
  errors?: Array<{ code?: number; message?: string }>;
}

const MAX_JSON_BYTES = 1024 * 1024;

/** POSTs a JSON body to `{baseUrl}/api/v1/cfssl/{endpoint}` and returns the envelope's result. */
export async function cfsslCall(
  baseUrl: string,
  endpoint: 'sign' | 'revoke' | 'info',
  body: Record<string, unknown>,
  timeoutMs: number,
): Promise<unknown> {
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v1/cfssl/${endpoint}`;
  const response = await caHttp(url, {
    method: 'POST',
    body: JSON.stringify(body),
    contentType: 'application/json',
    accept: 'application/json',
    timeoutMs,
    maxBytes: MAX_JSON_BYTES,
  });
  let envelope: CfsslEnvelope | undefined;
  try {
    envelope = JSON.parse(Buffer.from(response.body).toString('utf8')) as CfsslEnvelope;
  } catch {
    envelope = undefined;
  }
  if (!envelope || typeof envelope !== 'object') {
    throw new SignetError(
      'ERR_CA_UNAVAILABLE',
      `cfssl ${endpoint} answered HTTP ${response.status} without a JSON envelope`,
      { retryable: true },
    );
  }
  if (envelope.success !== true) {
    const messages = (envelope.errors ?? []).map((e) => `${e.code ?? '?'} ${e.message ?? ''}`);
    throw new SignetError(
      'ERR_CA_UNAVAILABLE',
      `cfssl ${endpoint} refused (HTTP ${response.status}): ${messages.join('; ') || 'no reason given'}`,
      {
        retryable: response.status >= 500,
        detail: { endpoint, status: response.status, errors: envelope.errors ?? [] },
      },
    );
  }
  return envelope.result;
}

/** Whether a cfssl refusal says the certificate is not in its certdb. */
export function isNotFound(err: unknown): boolean {
  return err instanceof SignetError && /certificate not found/i.test(err.message);
}
