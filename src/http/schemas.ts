/**
 * JSON schemas shared by the routes. They validate requests, shape replies
 * (fast-json-stringify drops anything not declared, e.g. a private JWK member)
 * and feed the OpenAPI document.
 */

export const UUID_PATTERN =
  '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const KID_PATTERN = '^[A-Za-z0-9_-]{1,128}$';
export const CA_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';

export const REVOCATION_REASONS = [
  'keyCompromise',
  'superseded',
  'cessationOfOperation',
  'affiliationChanged',
  'unspecified',
] as const;

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details; match on `code`.',
  required: ['type', 'title', 'status', 'detail', 'code', 'instance'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', examples: ['ERR_VALIDATION'] },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

const caLocation = {
  type: 'object',
  properties: { id: { type: 'string' }, x5u: { type: 'string' }, ocsp: { type: 'string' } },
} as const;

export const statusViewSchema = {
  $id: 'StatusView',
  type: 'object',
  required: ['requestId', 'status'],
  properties: {
    requestId: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['queued', 'processing', 'completed', 'failed'] },
    token: { type: 'string', description: 'compact JWS (typ signet-response+jwt)' },
    signedResponse: {
      type: 'object',
      properties: {
        data: {},
        signature: { type: 'string' },
        kid: { type: 'string' },
        caLocations: { type: 'array', items: caLocation },
      },
    },
    error: { type: 'string' },
  },
} as const;

export const caViewSchema = {
  $id: 'CaView',
  type: 'object',
  properties: {
    id: { type: 'string' },
    type: { type: 'string', enum: ['local', 'cfssl'] },
    url: { type: 'string' },
    rootUrl: { type: 'string' },
    healthy: { type: 'boolean' },
    state: { type: 'string', enum: ['closed', 'open', 'half-open'] },
    lastCheck: { type: ['string', 'null'] },
    lastError: { type: ['string', 'null'] },
  },
} as const;

export const healthSchema = {
  $id: 'HealthReport',
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded', 'unavailable'] },
    activeKid: { type: ['string', 'null'] },
    queue: {
      type: 'object',
      properties: {
        queued: { type: 'integer' },
        processing: { type: 'integer' },
        completed: { type: 'integer' },
        failed: { type: 'integer' },
      },
    },
    cas: { type: 'array', items: { $ref: 'CaView#' } },
  },
} as const;

const jwkMembers = ['kty', 'kid', 'alg', 'use', 'crv', 'x', 'y', 'n', 'e'] as const;

export const jwksSchema = {
  $id: 'Jwks',
  type: 'object',
  properties: {
    keys: {
      type: 'array',
      items: {
        type: 'object',
        properties: Object.fromEntries(jwkMembers.map((m) => [m, { type: 'string' }])),
      },
    },
  },
} as const;

export const sharedSchemas = [
  problemSchema,
  statusViewSchema,
  caViewSchema,
  healthSchema,
  jwksSchema,
];

const problemRef = { $ref: 'Problem#' } as const;

/** Error replies for a route, as documented in OpenAPI. */
export function problemResponses(...statuses: number[]): Record<string, unknown> {
  const content = { 'application/problem+json': { schema: problemRef } };
  const out: Record<string, unknown> = {};
  for (const status of statuses) out[String(status)] = { description: 'Problem', content };
  out['5xx'] = { description: 'Problem (detail hidden)', content };
  return out;
}

/** A reply that is not JSON (PEM, JWS, Prometheus text). */
export function textResponse(contentType: string, description: string): Record<string, unknown> {
  return { description, content: { [contentType]: { schema: { type: 'string' } } } };
}

export const bearerSecurity = [{ bearer: [] }];
