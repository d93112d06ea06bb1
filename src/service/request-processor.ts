import { hash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { SignetError } from '../domain/errors.js';
import type { RequestQueue, WorkNotifier } from '../domain/ports.js';
import type { RequestEnvelope, RequestRecord } from '../domain/types.js';
import type { AuthenticatedClient, SubmitBody } from './api.js';
import type { Reservation } from './asynchronous-worker.js';
import { checkRequestData } from './request-data.js';

function envelopeOf(record: RequestRecord): RequestEnvelope {
  return {
    requestId: record.requestId,
    clientId: record.clientId,
    data: record.data,
    processor: record.processor,
    ...(record.callbackUrl ? { callbackUrl: record.callbackUrl } : {}),
    receivedAt: record.createdAt,
  };
}

/** base64url SHA-256 of the canonical request: what an Idempotency-Key must come back with. */
function fingerprintOf(data: unknown, processor: string, callbackUrl: string | undefined): string {
  return hash(
    'sha256',
    canonicalize({ data, processor, callbackUrl: callbackUrl ?? null }) ?? '',
    'base64url',
  );
}

export interface RequestProcessorOptions {
  queue: RequestQueue;
  notifier: WorkNotifier;
  processors: ReadonlySet<string>;
  defaultProcessor: string;
  /** Refuses callback URLs that may not be called (checked again at delivery). */
  checkCallbackUrl(url: string): void;
  /** A free slot of this process's worker, to process the request without queueing it for a claim. */
  reserveWorker?(): Reservation | undefined;
}

/** Receives a client request, gives it an id and queues it durably before answering. */
export class RequestProcessor {
  constructor(private readonly options: RequestProcessorOptions) {}

  async submit(
    client: AuthenticatedClient,
    body: SubmitBody,
    idempotencyKey?: string,
  ): Promise<{ record: RequestRecord; created: boolean }> {
    const processor = body.processor ?? this.options.defaultProcessor;
    if (!this.options.processors.has(processor)) {
      throw new SignetError('ERR_UNKNOWN_PROCESSOR', `unknown processor "${processor}"`, {
        detail: { available: [...this.options.processors] },
      });
    }
    if (body.callbackUrl !== undefined) this.options.checkCallbackUrl(body.callbackUrl);
    checkRequestData(body.data);
    // Only an idempotent replay compares it: without a key, no request is ever matched against this one.
    const fingerprint =
      idempotencyKey === undefined ? '' : fingerprintOf(body.data, processor, body.callbackUrl);
    const slot = this.options.reserveWorker?.();
    let result: { record: RequestRecord; created: boolean };
    try {
      result = await this.options.queue.enqueue({
        clientId: client.id,
        data: body.data,
        processor,
        fingerprint,
        ...(body.callbackUrl !== undefined ? { callbackUrl: body.callbackUrl } : {}),
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
        ...(slot ? { lease: slot.lease } : {}),
      });
    } catch (err) {
      slot?.cancel();
      throw err;
    }
    const { record, created } = result;
    if (created && slot) {
      slot.adopt({ attempts: 1, envelope: envelopeOf(record) });
    } else {
      slot?.cancel();
      if (created) this.options.notifier.notify();
    }
    return result;
  }
}
