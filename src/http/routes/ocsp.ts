import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { SignetError } from '../../domain/errors.js';
import { type Clock, systemClock } from '../../domain/ports.js';
import { ocspResponseMaxAge } from '../../ca/ocsp-client.js';
import { CA_ID_PATTERN } from '../schemas.js';

export interface OcspRoutesOptions {
  /** DER OCSP request in, DER OCSP response out, for the CA `caId`. */
  ocsp(caId: string, der: Uint8Array): Promise<Uint8Array>;
  /** For the Cache-Control max-age (defaults to the system clock). */
  clock?: Clock;
}

const REQUEST_TYPE = 'application/ocsp-request';
const RESPONSE_TYPE = 'application/ocsp-response';
const MAX_REQUEST_BYTES = 64 * 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const params = {
  type: 'object',
  required: ['caId'],
  properties: { caId: { type: 'string', pattern: CA_ID_PATTERN } },
} as const;

const ocspResponse = {
  200: {
    description: 'DER OCSPResponse (RFC 6960); errors of the protocol are OCSP statuses too',
    content: { [RESPONSE_TYPE]: { schema: { type: 'string', format: 'binary' } } },
  },
};

/** RFC 6960 Appendix A: OCSP over HTTP, POST with a DER body or GET with the request in the path. */
export const ocspRoutes: FastifyPluginAsync<OcspRoutesOptions> = async (app, options) => {
  app.addContentTypeParser(
    REQUEST_TYPE,
    { parseAs: 'buffer', bodyLimit: MAX_REQUEST_BYTES },
    (_request, body, done) => done(null, body),
  );

  const answer = async (reply: FastifyReply, caId: string, der: Uint8Array) => {
    const response = await options.ocsp(caId, der);
    const maxAge = ocspResponseMaxAge(response, (options.clock ?? systemClock).now());
    reply.type(RESPONSE_TYPE);
    reply.header('cache-control', maxAge ? `public, max-age=${maxAge}, no-transform` : 'no-store');
    return reply.send(Buffer.from(response));
  };

  app.post<{ Params: { caId: string }; Body: unknown }>('/ocsp/:caId', {
    schema: { summary: 'OCSP responder (POST)', tags: ['cas'], params, response: ocspResponse },
    handler: async (request, reply) => {
      if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
        throw new SignetError('ERR_UNSUPPORTED_MEDIA_TYPE', `the body must be ${REQUEST_TYPE}`);
      }
      return answer(reply, request.params.caId, new Uint8Array(request.body));
    },
  });

  app.get<{ Params: { caId: string; '*': string } }>('/ocsp/:caId/*', {
    schema: { summary: 'OCSP responder (GET)', tags: ['cas'], params, response: ocspResponse },
    handler: async (request, reply) => {
      return answer(reply, request.params.caId, decodeGetRequest(request.params['*']));
    },
  });
};

/** The path segment is the base64 DER request, URL-encoded (it may contain '/', '+', '='). */
function decodeGetRequest(segment: string): Uint8Array {
  let text = segment;
  try {
    if (text.includes('%')) text = decodeURIComponent(text);
  } catch {
    throw new SignetError('ERR_VALIDATION', 'the OCSP request in the URL is not URL-encoded');
  }
  if (!BASE64.test(text) || text.length > (MAX_REQUEST_BYTES * 4) / 3) {
    throw new SignetError('ERR_VALIDATION', 'the OCSP request in the URL is not base64');
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}
