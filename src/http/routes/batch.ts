import type { FastifyPluginAsync } from 'fastify';
import { isSignetError } from '../../domain/errors.js';
import type { StatusView, SubmitBody } from '../../service/api.js';
import { clientOf } from '../auth.js';
import { preferredWaitSeconds } from '../prefer.js';
import { bearerSecurity, problemResponses, statusViewSchema } from '../schemas.js';
import type { RouteContext } from './context.js';
import { statusUntilClosing } from './long-poll.js';
import type { RequestRecord } from '../../domain/types.js';

/** Items per POST /requests: enough to amortise a round trip, small enough for one body. */
export const MAX_BATCH_ITEMS = 100;

const item = {
  type: 'object',
  required: ['data'],
  additionalProperties: false,
  properties: {
    data: { description: 'Any JSON value, as in POST /request.' },
    processor: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
    },
    callbackUrl: { type: 'string', maxLength: 2048, format: 'uri', pattern: '^https?://' },
    idempotencyKey: {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x20-\\x7E]+$',
      description: 'As the Idempotency-Key header of POST /request, per item.',
    },
  },
} as const;

const result = {
  type: 'object',
  properties: {
    requestId: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['queued', 'processing', 'completed', 'failed'] },
    statusUrl: { type: 'string' },
    token: { type: 'string' },
    signedResponse: statusViewSchema.properties.signedResponse,
    error: { type: 'string' },
    problem: {
      type: 'object',
      description: 'Why this item was not accepted (the others were).',
      properties: {
        status: { type: 'integer' },
        code: { type: 'string' },
        detail: { type: 'string' },
      },
    },
  },
} as const;

type BatchItem = SubmitBody & { idempotencyKey?: string };
type ItemResult = Partial<StatusView> & {
  statusUrl?: string;
  problem?: { status: number; code: string; detail: string };
};

const DESCRIPTION = [
  `Queues up to ${MAX_BATCH_ITEMS} requests in one call. Each item is what POST /request takes`,
  '(its Idempotency-Key as `idempotencyKey`). The answer lists one result per item, in order:',
  'the accepted request, or a `problem` for an item that was refused (the others are queued).',
  'With `Prefer: wait=N` it waits up to N seconds; 200 when every accepted item is settled',
  '(completed or failed, with its token), else 202.',
].join(' ');

export const batchRoutes: FastifyPluginAsync<RouteContext> = async (app, ctx) => {
  const { api, auth, config, closing } = ctx;
  const baseUrl = config.publicUrl.replace(/\/+$/, '');
  const maxWaitSeconds = Math.floor(config.server.maxWait / 1000);

  app.post<{ Body: { items: BatchItem[] }; Headers: { prefer?: string } }>('/requests', {
    ...auth.require('client'),
    schema: {
      summary: 'Submit a batch of requests',
      description: DESCRIPTION,
      tags: ['requests'],
      security: bearerSecurity,
      body: {
        type: 'object',
        required: ['items'],
        additionalProperties: false,
        properties: {
          items: { type: 'array', minItems: 1, maxItems: MAX_BATCH_ITEMS, items: item },
        },
      },
      headers: {
        type: 'object',
        properties: { prefer: { type: 'string', description: 'RFC 7240 `wait=N`' } },
      },
      response: {
        200: { description: 'Every accepted item settled within the preferred wait', ...list() },
        202: { description: 'Accepted', ...list() },
        ...problemResponses(400, 401, 403, 413, 415, 429),
      },
    },
    handler: async (request, reply) => {
      const client = clientOf(request);
      // Submitted together, the accepted items are stored by one INSERT (see GroupCommit):
      // all of them or, if the store fails, none, and the whole batch answers 503.
      const records: (RequestRecord | undefined)[] = [];
      const results: ItemResult[] = await Promise.all(
        request.body.items.map(async ({ idempotencyKey, ...body }, index): Promise<ItemResult> => {
          try {
            const { record } = await api.submit(client, body, idempotencyKey);
            records[index] = record;
            const statusUrl = `${baseUrl}/status/${encodeURIComponent(record.requestId)}`;
            return { requestId: record.requestId, status: record.status, statusUrl };
          } catch (err) {
            if (!isSignetError(err) || err.httpStatus >= 500) throw err;
            return { problem: { status: err.httpStatus, code: err.code, detail: err.message } };
          }
        }),
      );
      const waitSeconds = Math.min(preferredWaitSeconds(request.headers.prefer), maxWaitSeconds);
      if (waitSeconds > 0 && !closing.aborted) {
        reply.header('preference-applied', `wait=${waitSeconds}`);
        const deadline = Date.now() + waitSeconds * 1000;
        await Promise.all(
          results.map(async (entry, index) => {
            if (!entry.requestId) return;
            const view = await statusUntilClosing(
              api,
              closing,
              client,
              entry.requestId,
              deadline - Date.now(),
              records[index],
            );
            results[index] = { ...view, statusUrl: entry.statusUrl ?? '' };
          }),
        );
        const settled = results.every(
          (r) => !r.status || r.status === 'completed' || r.status === 'failed',
        );
        if (settled) return reply.code(200).send({ items: results });
      }
      return reply.code(202).send({ items: results });
    },
  });
};

function list() {
  return {
    type: 'object',
    required: ['items'],
    properties: { items: { type: 'array', items: result } },
  } as const;
}
