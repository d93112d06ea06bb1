import type { FastifyPluginAsync } from 'fastify';
import { clientOf } from '../auth.js';
import { bearerSecurity, problemResponses } from '../schemas.js';
import type { RouteContext } from './context.js';

const MAX_AUDIT_PAGE = 500;

const nullableString = { type: ['string', 'null'] };

const keyView = {
  type: 'object',
  properties: {
    kid: { type: 'string' },
    algorithm: { type: 'string' },
    status: { type: 'string' },
    createdAt: { type: 'string' },
    activatedAt: nullableString,
    retiredAt: nullableString,
    revokedAt: nullableString,
    revocationReason: nullableString,
    nextRotationAt: nullableString,
    signatures: { type: 'integer' },
  },
};

const auditEntry = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    at: { type: 'string' },
    actor: { type: 'string' },
    action: { type: 'string' },
    subject: nullableString,
    details: { type: ['object', 'null'], additionalProperties: true },
    prevHash: { type: 'string' },
    hash: { type: 'string' },
  },
};

/** Admin-only views of the key lifecycle and the audit log. */
export const adminRoutes: FastifyPluginAsync<RouteContext> = async (app, { api, auth }) => {
  app.get('/keys', {
    ...auth.require('admin'),
    schema: {
      summary: 'Signing keys with their status and next rotation time',
      tags: ['keys'],
      security: bearerSecurity,
      response: {
        200: { type: 'object', properties: { keys: { type: 'array', items: keyView } } },
        ...problemResponses(401, 403, 429),
      },
    },
    handler: async () => ({ keys: await api.keys() }),
  });

  app.post('/keys/rotate', {
    ...auth.require('admin'),
    schema: {
      summary: 'Rotate now: the next key becomes active, the current one is retired',
      tags: ['keys'],
      security: bearerSecurity,
      response: {
        200: {
          type: 'object',
          properties: { previousKid: nullableString, activeKid: { type: 'string' } },
        },
        ...problemResponses(401, 403, 429, 503),
      },
    },
    handler: async (request) => api.rotate(clientOf(request)),
  });

  app.get<{ Querystring: { after?: number; limit?: number } }>('/audit', {
    ...auth.require('admin'),
    // Query strings are text; the schema wants integers (and documents them so).
    preValidation: async (request) => {
      const query = request.query as Record<string, unknown>;
      for (const name of ['after', 'limit']) {
        const value = query[name];
        if (typeof value === 'string' && /^\d{1,15}$/.test(value)) query[name] = Number(value);
      }
    },
    schema: {
      summary: 'The audit log, oldest first, in pages',
      description: 'Pass `next` from one page as `after` to get the following one.',
      tags: ['audit'],
      security: bearerSecurity,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          after: { type: 'integer', minimum: 0, default: 0 },
          limit: { type: 'integer', minimum: 1, maximum: MAX_AUDIT_PAGE, default: 100 },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            entries: { type: 'array', items: auditEntry },
            next: { type: ['integer', 'null'] },
          },
        },
        ...problemResponses(400, 401, 403, 429),
      },
    },
    handler: async (request) => api.audit(request.query.after ?? 0, request.query.limit ?? 100),
  });
};
