import type { FastifyPluginAsync } from 'fastify';
import type { SubmitBody } from '../../service/api.js';
import { clientOf } from '../auth.js';
import { preferredWaitSeconds } from '../prefer.js';
import { UUID_PATTERN, bearerSecurity, problemResponses } from '../schemas.js';
import type { RouteContext } from './context.js';
import { statusUntilClosing } from './long-poll.js';

const submitBody = {
  type: 'object',
  required: ['data'],
  additionalProperties: false,
  properties: {
    data: { description: 'Any JSON value: the request data handed to the processor.' },
    processor: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
      description: 'Processor name; the configured default when omitted.',
    },
    callbackUrl: {
      type: 'string',
      maxLength: 2048,
      format: 'uri',
      pattern: '^https?://',
      description: 'Called once the request is completed or failed.',
    },
  },
} as const;

const submitHeaders = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x20-\\x7E]+$',
      description: 'Up to 255 printable ASCII characters; a repeat returns the earlier request.',
    },
    prefer: {
      type: 'string',
      description:
        'RFC 7240. `wait=N`: wait up to N seconds (at most server.maxWait) and answer 200 with the final status when the request settles in time.',
    },
  },
} as const;

type SubmitRoute = { Body: SubmitBody; Headers: { 'idempotency-key'?: string; prefer?: string } };

const accepted = {
  type: 'object',
  required: ['requestId', 'status', 'statusUrl'],
  properties: {
    requestId: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['queued', 'processing', 'completed', 'failed'] },
    statusUrl: { type: 'string' },
  },
} as const;

const SUBMIT_DESCRIPTION = [
  'Queues a request for signing. Answers 202 with a `Location` header naming its status URL.',
  'With an `Idempotency-Key` already used by this client for the same body, the earlier',
  'request is returned, also with 202, plus the header `Idempotent-Replayed: true`;',
  'the same key with a different body is a 422 ERR_IDEMPOTENCY_MISMATCH.',
  'With `Prefer: wait=N` (RFC 7240) the answer waits up to N seconds: 200 with the status body',
  '(as GET /status) when the request is completed or failed by then, else the 202;',
  'both carry `Preference-Applied: wait=N`.',
].join(' ');

export const requestRoutes: FastifyPluginAsync<RouteContext> = async (app, ctx) => {
  const { api, auth, config, closing } = ctx;
  const baseUrl = config.publicUrl.replace(/\/+$/, '');
  const maxWaitSeconds = Math.floor(config.server.maxWait / 1000);

  app.post<SubmitRoute>('/request', {
    ...auth.require('client'),
    schema: {
      summary: 'Submit a request',
      description: SUBMIT_DESCRIPTION,
      tags: ['requests'],
      security: bearerSecurity,
      body: submitBody,
      headers: submitHeaders,
      response: {
        200: { description: 'Settled within the preferred wait', $ref: 'StatusView#' },
        202: { description: 'Accepted (or replayed)', ...accepted },
        ...problemResponses(400, 401, 403, 413, 415, 422, 429),
      },
    },
    handler: async (request, reply) => {
      const client = clientOf(request);
      const { record, created } = await api.submit(
        client,
        request.body,
        request.headers['idempotency-key'],
      );
      const path = `/status/${encodeURIComponent(record.requestId)}`;
      if (!created) reply.header('idempotent-replayed', 'true');
      reply.header('location', path);
      let status = record.status;
      const waitSeconds = Math.min(preferredWaitSeconds(request.headers.prefer), maxWaitSeconds);
      if (waitSeconds > 0 && !closing.aborted) {
        reply.header('preference-applied', `wait=${waitSeconds}`);
        const view = await statusUntilClosing(
          api,
          closing,
          client,
          record.requestId,
          waitSeconds * 1000,
          record,
        );
        if (view.status === 'completed' || view.status === 'failed')
          return reply.code(200).send(view);
        status = view.status;
      }
      return reply
        .code(202)
        .send({ requestId: record.requestId, status, statusUrl: baseUrl + path });
    },
  });

  app.get<{ Params: { requestId: string }; Querystring: { wait?: number } }>(
    '/status/:requestId',
    {
      ...auth.require('client'),
      // Query strings are text; the schema wants an integer for `wait` (and documents it so).
      preValidation: async (request) => {
        const query = request.query as Record<string, unknown>;
        if (typeof query.wait === 'string' && /^\d{1,9}$/.test(query.wait)) {
          query.wait = Number(query.wait);
        }
      },
      schema: {
        summary: 'Read the status of a request (long-poll with ?wait)',
        description: "Another client's request answers 404, as an unknown one does.",
        tags: ['requests'],
        security: bearerSecurity,
        params: {
          type: 'object',
          required: ['requestId'],
          properties: { requestId: { type: 'string', pattern: UUID_PATTERN, format: 'uuid' } },
        },
        querystring: {
          type: 'object',
          properties: {
            wait: {
              type: 'integer',
              minimum: 0,
              maximum: maxWaitSeconds,
              default: 0,
              description: 'Seconds to wait for completion or failure before answering.',
            },
          },
        },
        response: {
          200: { description: 'The request status', $ref: 'StatusView#' },
          ...problemResponses(400, 401, 404, 429),
        },
      },
    },
    async (request) => {
      const client = clientOf(request);
      const { requestId } = request.params;
      const waitMs = (request.query.wait ?? 0) * 1000;
      return statusUntilClosing(api, closing, client, requestId, waitMs);
    },
  );
};
