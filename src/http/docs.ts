/**
 * OpenAPI 3 generated from the route schemas (@fastify/swagger, dynamic mode)
 * and the Swagger UI at /docs, whose assets ship inside @fastify/swagger-ui
 * (no CDN, works offline).
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

const DESCRIPTION = [
  'Asynchronous signing service. Errors are RFC 9457 `application/problem+json`',
  'with a stable `code`. Authenticated routes take `Authorization: Bearer <api token>`;',
  'roles are `client` (submit, read own requests) and `admin` (everything).',
].join(' ');

export async function registerDocs(app: FastifyInstance, publicUrl: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Signet', version: '1', description: DESCRIPTION },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
    },
    // Name shared schemas after their $id in components.schemas.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) =>
        typeof json.$id === 'string' ? json.$id : `def-${index}`,
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
