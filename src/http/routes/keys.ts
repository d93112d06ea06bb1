import { createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { PublicJwk } from '../../domain/types.js';
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

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'alg', 'use'] as const;

/** Only public JWK members ever leave, whatever a key object holds. */
function publicMembers(jwk: PublicJwk): Partial<PublicJwk> {
  const out: Record<string, unknown> = {};
  for (const name of PUBLIC_MEMBERS) if (jwk[name] !== undefined) out[name] = jwk[name];
  return out as Partial<PublicJwk>;
}

/** RFC 9110 If-None-Match: a list of (possibly weak) entity tags, or `*`. */
function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}

const PEM_CHAIN = 'application/pem-certificate-chain';

export const keyRoutes: FastifyPluginAsync<RouteContext> = async (app, { api, auth, config }) => {
  const jwksMaxAge = Math.floor(config.keys.jwksMaxAge / 1000);
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
            properties: {
              revokedKid: { type: 'string' },
              activeKid: { type: ['string', 'null'] },
            },
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
        304: { description: 'Not modified (If-None-Match matched the ETag)', type: 'null' },
        ...problemResponses(429),
      },
    },
    handler: async (request, reply) => {
      const { keys } = await api.jwks();
      const body = JSON.stringify({ keys: keys.map(publicMembers) });
      const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
      reply.header('cache-control', `public, max-age=${jwksMaxAge}`).header('etag', etag);
      if (ifNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send();
      return reply.type('application/jwk-set+json').send(body);
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
