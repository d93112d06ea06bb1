import type { FastifyServerOptions } from 'fastify';

/**
 * Fastify's request serializer logs no headers or bodies; these paths are the
 * safety net for anything else that logs a request, its headers or a body.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'req.body',
  'request.headers.authorization',
  'request.body',
  'headers.authorization',
  'headers.cookie',
  'body',
  'res.headers["set-cookie"]',
];

type LoggerOption = FastifyServerOptions['logger'];

export function withRedaction(logger: LoggerOption): LoggerOption {
  if (!logger) return false;
  const options = logger === true ? {} : logger;
  const existing = options.redact;
  const extra = existing === undefined ? [] : Array.isArray(existing) ? existing : existing.paths;
  const censor = existing !== undefined && !Array.isArray(existing) ? existing.censor : undefined;
  return {
    ...options,
    redact: { paths: [...REDACTED_PATHS, ...extra], censor: censor ?? '[redacted]' },
  };
}
