/**
 * The HTTP adapter: a Fastify instance (not listening) over the SignetApi
 * port. `server.ts` listens; tests use `app.inject`.
 */
import { setMaxListeners } from 'node:events';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { SignetError } from '../domain/errors.js';
import type { SignetApi } from '../service/api.js';
import { createAuth } from './auth.js';
import { problemClientErrorHandler } from './client-error.js';
import { registerDocs } from './docs.js';
import { withRedaction } from './logging.js';
import { problemErrorHandler, sendProblem, toProblem } from './problem.js';
import { registerRateLimit } from './rate-limit.js';
import { adminRoutes } from './routes/admin.js';
import { batchRoutes } from './routes/batch.js';
import { caRoutes } from './routes/cas.js';
import type { HttpConfig, RouteContext } from './routes/context.js';
import { keyRoutes } from './routes/keys.js';
import { ocspRoutes } from './routes/ocsp.js';
import { opsRoutes } from './routes/ops.js';
import { requestRoutes } from './routes/requests.js';
import { sharedSchemas } from './schemas.js';

export interface BuildAppOptions {
  api: SignetApi;
  config: HttpConfig;
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp({ api, config, logger }: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: withRedaction(logger ?? false),
    bodyLimit: config.server.bodyLimit,
    // Idle keep-alive sockets are closed at once; in-flight requests drain.
    forceCloseConnections: 'idle',
    // Fastify's own 503-while-closing answer is not problem+json; see the onRequest hook.
    return503OnClosing: false,
    routerOptions: { maxParamLength: 200 },
    ajv: {
      // Unknown body fields must be refused, not silently dropped, and wrong types not coerced.
      customOptions: { removeAdditional: false, coerceTypes: false },
    },
    frameworkErrors: (error, request, reply) => {
      sendProblem(reply, toProblem(error, request));
    },
    // What Node's HTTP parser refuses is problem+json too, and closes the connection.
    clientErrorHandler: problemClientErrorHandler,
  });

  const closing = new AbortController();
  setMaxListeners(0, closing.signal); // one listener per long-poll in progress

  app.decorateRequest('client', null);
  app.decorateRequest('authFailure', null);
  for (const schema of sharedSchemas) app.addSchema(schema);
  app.setErrorHandler(problemErrorHandler);
  app.setNotFoundHandler((request, reply) => {
    const error = new SignetError('ERR_NOT_FOUND', 'no such resource');
    return sendProblem(reply, toProblem(error, request));
  });

  // JSON only (anything else is a 415), with prototype-poisoning refused.
  // An empty body parses to undefined so that optional bodies may be left out.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const charset = /;\s*charset="?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      done(new SignetError('ERR_UNSUPPORTED_MEDIA_TYPE', 'JSON bodies must be UTF-8'), undefined);
      return;
    }
    const text = body.toString();
    if (text === '') done(null, undefined);
    else parseJson(request, text, done);
  });

  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    if (closing.signal.aborted) {
      reply.header('connection', 'close');
      throw new SignetError('ERR_UNAVAILABLE', 'the server is shutting down');
    }
  });
  app.addHook('preClose', async () => closing.abort());

  await registerRateLimit(app, config.server.rateLimit);
  await registerDocs(app, config.publicUrl);

  const context: RouteContext = { api, auth: createAuth(api), config, closing: closing.signal };
  await app.register(requestRoutes, context);
  await app.register(batchRoutes, context);
  await app.register(keyRoutes, context);
  await app.register(adminRoutes, context);
  await app.register(caRoutes, context);
  await app.register(opsRoutes, context);
  await app.register(ocspRoutes, { ocsp: (caId, der) => api.ocsp(caId, der) });
  return app;
}
