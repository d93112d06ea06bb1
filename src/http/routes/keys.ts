import type { FastifyPluginAsync } from 'fastify';
import { clientOf } from '../auth.js';
import {
  CA_ID_PATTERN,
  KID_PATTERN,
  REVOCATION_REASONS,
  bearerSecurity,
  problemResponses,
  textResponse,
} from '../schemas.js';
import type { RouteContext } from './context.js';

type Reason = (typeof REVOCATION_REASONS)[number];

const PEM_CHAIN = 'application/pem-certificate-chain';

export const keyRoutes: FastifyPluginAsync<RouteContext> = async (app, { api, auth }) => {
  app.post<{ Params: { keyId: string }; Body: { reason?: Reason } }>(
    '/revoke/:keyId',
    {
      ...auth.require('admin'),
      preValidation: async (request) => {
        request.body ??= {}; // the body is optional
      },
      schema: {
        summary: 'Revoke a signing key',
        description:
          'Revokes the key everywhere (store, CAs, JWKS, revocation list) and rotates at once ' +
          'if it was active. The body is optional; the reason defaults to keyCompromise.',
        tags: ['keys'],
        security: bearerSecurity,
        params: {
          type: 'object',
          required: ['keyId'],
          properties: { keyId: { type: 'string', pattern: KID_PATTERN } },
        },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { reason: { type: 'string', enum: REVOCATION_REASONS } },
        },
        response: {
          200: {
            description: 'The revoked kid and the kid now active',
            type: 'object',
            required: ['revokedKid', 'activeKid'],
            properties: { revokedKid: { type: 'string' }, activeKid: { type: 'string' } },
          },
          ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429),
        },
      },
    },
    async (request) =>
      api.revoke(clientOf(request), request.params.keyId, request.body.reason ?? 'keyCompromise'),
  );

  app.get('/.well-known/jwks.json', {
    schema: {
      summary: 'Public keys that verify live tokens',
      description: 'Active, pre-published and retained keys; never revoked ones.',
      tags: ['keys'],
      response: {
        200: {
          description: 'JWK set',
          content: { 'application/jwk-set+json': { schema: { $ref: 'Jwks#' } } },
        },
        ...problemResponses(429),
      },
    },
    handler: async (_request, reply) => {
      const jwks = await api.jwks();
      return reply
        .type('application/jwk-set+json')
        .header('cache-control', 'public, max-age=60')
        .send(jwks);
    },
  });

  app.get<{ Params: { kid: string; caId: string } }>('/certs/:kid/:caId.pem', {
    schema: {
      summary: 'Certificate chain of a key from a CA (the target of x5u)',
      tags: ['keys'],
      params: {
        type: 'object',
        required: ['kid', 'caId'],
        properties: {
          kid: { type: 'string', pattern: KID_PATTERN },
          caId: { type: 'string', pattern: CA_ID_PATTERN },
        },
      },
      response: {
        200: textResponse(PEM_CHAIN, 'PEM chain, leaf first'),
        ...problemResponses(400, 404, 429),
      },
    },
    handler: async (request, reply) => {
      const pem = await api.certificateChain(request.params.kid, request.params.caId);
      return reply.type(PEM_CHAIN).header('cache-control', 'public, max-age=300').send(pem);
    },
  });

  app.get('/revocations', {
    schema: {
      summary: 'Signed list of revoked kids with reason and time',
      tags: ['keys'],
      response: {
        200: textResponse('application/jwt', 'compact JWS'),
        ...problemResponses(429),
      },
    },
    handler: async (_request, reply) => {
      const jws = await api.revocations();
      return reply.type('application/jwt').header('cache-control', 'no-cache').send(jws);
    },
  });
};
