import type { FastifyPluginAsync } from 'fastify';
import { CA_ID_PATTERN, problemResponses, textResponse } from '../schemas.js';
import type { RouteContext } from './context.js';

const PEM_CHAIN = 'application/pem-certificate-chain';

export const caRoutes: FastifyPluginAsync<RouteContext> = async (app, { api }) => {
  app.get('/cas', {
    schema: {
      summary: 'The configured CAs with their health',
      tags: ['cas'],
      response: {
        200: {
          description: 'CAs in failover order',
          type: 'object',
          required: ['cas'],
          properties: { cas: { type: 'array', items: { $ref: 'CaView#' } } },
        },
        ...problemResponses(429),
      },
    },
    handler: async (_request, reply) => {
      const cas = await api.cas();
      return reply.header('cache-control', 'no-store').send({ cas });
    },
  });

  app.get<{ Params: { caId: string } }>('/cas/:caId/root.pem', {
    schema: {
      summary: "A CA's root certificate",
      tags: ['cas'],
      params: {
        type: 'object',
        required: ['caId'],
        properties: { caId: { type: 'string', pattern: CA_ID_PATTERN } },
      },
      response: {
        200: textResponse(PEM_CHAIN, 'PEM root certificate'),
        ...problemResponses(400, 404, 429),
      },
    },
    handler: async (request, reply) => {
      const pem = await api.caRootPem(request.params.caId);
      return reply.type(PEM_CHAIN).header('cache-control', 'public, max-age=300').send(pem);
    },
  });
};
