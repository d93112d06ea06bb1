import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { SignetConfig } from '../config/loader.js';
import { SignetError } from '../domain/errors.js';

/**
 * One budget per authenticated client, else per IP. On authenticated routes
 * the limiter's onRequest hook is appended after `identify`, so the client
 * is known by then; failed authentications count against the IP.
 */
export async function registerRateLimit(
  app: FastifyInstance,
  limits: SignetConfig['server']['rateLimit'],
): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: limits.max,
    timeWindow: limits.window,
    // Health probes (load balancers, orchestrators) must never be throttled into "down".
    allowList: (request) => request.routeOptions.url === '/health',
    keyGenerator: (request) =>
      request.client ? `client:${request.client.id}` : `ip:${request.ip}`,
    errorResponseBuilder: (_request, context) =>
      new SignetError('ERR_RATE_LIMITED', `rate limit exceeded, retry in ${context.after}`, {
        retryable: true,
      }),
  });
}
