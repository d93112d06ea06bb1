/**
 * Bearer authentication, split in two hooks so that rate limiting can sit in
 * between: `identify` (onRequest) resolves the token without failing,
 * the rate limiter then keys on the client (or the IP for anonymous and
 * failed attempts), and `authorize` (preParsing, before any body is read)
 * answers 401/403.
 */
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { SignetError } from '../domain/errors.js';
import type { Role } from '../domain/types.js';
import type { AuthenticatedClient, SignetApi } from '../service/api.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; null on public routes and until `identify` ran. */
    client: AuthenticatedClient | null;
    authFailure: 'missing' | 'invalid' | null;
  }
}

// RFC 6750 b64token, with a length cap so that junk never reaches the store.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]{1,512}=*) *$/i;

export interface AuthHooks {
  onRequest: onRequestAsyncHookHandler;
  preParsing: (request: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<void>;
}

export interface Auth {
  /** Hooks for a route that needs at least `role` (`admin` may do everything). */
  require(role: Role): AuthHooks;
}

/** The client of an authenticated route; the hooks guarantee it is set. */
export function clientOf(request: FastifyRequest): AuthenticatedClient {
  if (!request.client) throw new Error('route is missing its authentication hooks');
  return request.client;
}

export function createAuth(api: SignetApi): Auth {
  const identify: onRequestAsyncHookHandler = async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      request.authFailure = 'missing';
      return;
    }
    const token = BEARER.exec(header)?.[1];
    const client = token === undefined ? undefined : await api.authenticate(token);
    if (client) request.client = client;
    else request.authFailure = 'invalid';
  };

  return {
    require(role) {
      return {
        onRequest: identify,
        async preParsing(request, reply) {
          const { client } = request;
          if (!client) {
            const invalid = request.authFailure === 'invalid';
            reply.header(
              'www-authenticate',
              invalid ? 'Bearer realm="signet", error="invalid_token"' : 'Bearer realm="signet"',
            );
            throw new SignetError(
              'ERR_UNAUTHENTICATED',
              invalid ? 'the bearer token is not valid' : 'a bearer token is required',
            );
          }
          if (role === 'admin' && client.role !== 'admin') {
            throw new SignetError('ERR_FORBIDDEN', 'this operation needs the admin role');
          }
        },
      };
    },
  };
}
