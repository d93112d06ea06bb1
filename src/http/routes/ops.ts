import type { FastifyPluginAsync } from 'fastify';
import { bearerSecurity, problemResponses, textResponse } from '../schemas.js';
import type { RouteContext } from './context.js';

export const opsRoutes: FastifyPluginAsync<RouteContext> = async (app, { api, auth, config }) => {
  app.get('/health', {
    schema: {
      summary: 'Service health',
      description: '200 when ok or degraded, 503 when unavailable; the body is the same.',
      tags: ['operations'],
      response: {
        200: { description: 'Healthy or degraded', $ref: 'HealthReport#' },
        503: {
          description: 'Unavailable (or a problem when the report itself failed)',
          content: {
            'application/json': { schema: { $ref: 'HealthReport#' } },
            'application/problem+json': { schema: { $ref: 'Problem#' } },
          },
        },
        ...problemResponses(429),
      },
    },
    handler: async (_request, reply) => {
      const report = await api.health();
      return reply
        .code(report.status === 'unavailable' ? 503 : 200)
        .header('cache-control', 'no-store')
        .send(report);
    },
  });

  const metricsPublic = config.server.metricsPublic;
  app.get('/metrics', {
    ...(metricsPublic ? {} : auth.require('admin')),
    schema: {
      summary: 'Prometheus metrics',
      description: metricsPublic
        ? 'Public.'
        : 'Needs the admin role (server.metricsPublic: false).',
      tags: ['operations'],
      ...(metricsPublic ? {} : { security: bearerSecurity }),
      response: {
        200: textResponse('text/plain', 'Prometheus text exposition format'),
        ...problemResponses(...(metricsPublic ? [429] : [401, 403, 429])),
      },
    },
    handler: async (_request, reply) => {
      const { contentType, body } = await api.metrics();
      return reply.type(contentType).header('cache-control', 'no-store').send(body);
    },
  });
};
