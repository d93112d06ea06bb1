import { z } from 'zod';
import { ALGORITHMS } from '../domain/types.js';
import { parseDuration } from './duration.js';

/** An ISO 8601 duration, turned into milliseconds. */
const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" is not a positive ISO 8601 duration (e.g. PT30S, P7D)`,
    });
    return z.NEVER;
  }
  return ms;
});

const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });
const caId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes');

const localCa = z.strictObject({ id: caId, type: z.literal('local') });
const cfsslCa = z
  .strictObject({
    id: caId,
    type: z.literal('cfssl'),
    url: httpUrl,
    roots: z.array(z.string().min(1)).min(1, 'needs at least one root PEM file'),
    ocspUrl: httpUrl.optional(),
    validFrom: z.iso.datetime({ offset: true }).optional(),
    validTo: z.iso.datetime({ offset: true }).optional(),
  })
  .refine(
    (ca) => !ca.validFrom || !ca.validTo || Date.parse(ca.validFrom) < Date.parse(ca.validTo),
    {
      message: 'must be after validFrom',
      path: ['validTo'],
    },
  );

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      publicUrl: httpUrl.optional(),
      bodyLimit: z
        .number()
        .int()
        .min(1024)
        .max(16 * 1024 * 1024)
        .default(64 * 1024),
      rateLimit: z
        .strictObject({
          max: z.number().int().min(1).default(600),
          window: duration.prefault('PT1M'),
        })
        .prefault({}),
      metricsPublic: z.boolean().default(true),
      maxWait: duration.prefault('PT60S'),
    })
    .prefault({}),
  storage: z
    .strictObject({
      path: z.string().min(1).optional(),
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
        .optional(),
      /** PostgreSQL only: connections per instance, and the longest a statement may run. */
      poolSize: z.number().int().min(1).max(200).default(10),
      statementTimeout: duration.prefault('PT30S'),
    })
    .prefault({}),
  keys: z
    .strictObject({
      algorithm: z.enum(ALGORITHMS).default('EdDSA'),
      rotation: z
        .union([
          z.strictObject({ every: duration }),
          z.strictObject({ cron: z.string().min(1), timezone: z.string().optional() }),
        ])
        .prefault({ every: 'P7D' }),
      prepublish: duration.prefault('PT1H'),
      retain: duration.prefault('P30D'),
      backend: z.enum(['software', 'pkcs11']).default('software'),
      certificateValidity: duration.prefault('P90D'),
      /** How long verifiers keep accepting a token after it was signed (JWKS mode). */
      tokenLifetime: duration.prefault('P7D'),
      /** Cache-Control max-age of the JWKS: verifiers may hold a stale copy this long. */
      jwksMaxAge: duration.prefault('PT5M'),
      /** Rotate once a key has signed this many tokens (optional). */
      maxSignatures: z.number().int().min(1).optional(),
      /** The token holding the keys when backend is pkcs11; the PIN comes from SIGNET_PKCS11_PIN. */
      pkcs11: z
        .strictObject({
          module: z.string().min(1),
          tokenLabel: z.string().min(1).max(32, 'a PKCS#11 token label has at most 32 characters'),
          slot: z.number().int().min(0).optional(),
        })
        .optional(),
    })
    .prefault({})
    .refine((keys) => keys.backend !== 'pkcs11' || keys.pkcs11 !== undefined, {
      message: 'is required when keys.backend is pkcs11 (module and tokenLabel)',
      path: ['pkcs11'],
    }),
  cas: z
    .array(z.discriminatedUnion('type', [localCa, cfsslCa]))
    .min(1, 'needs at least one CA')
    .default([
      { id: 'local-a', type: 'local' },
      { id: 'local-b', type: 'local' },
    ])
    .refine((cas) => new Set(cas.map((ca) => ca.id)).size === cas.length, 'CA ids must be unique'),
  validation: z
    .strictObject({
      required: z.number().int().min(1).default(1),
      healthInterval: duration.prefault('PT10S'),
      onAllDown: z.enum(['retry', 'fail']).default('retry'),
    })
    .prefault({}),
  processors: z
    .strictObject({
      default: z.enum(['notarize', 'http']).default('notarize'),
      http: z.strictObject({ url: httpUrl, timeout: duration.prefault('PT10S') }).optional(),
    })
    .prefault({})
    .refine((p) => p.default !== 'http' || p.http !== undefined, {
      message: 'processors.http.url is required when the default processor is http',
    }),
  callbacks: z
    .strictObject({
      /** Hosts that may be called even over http or on private addresses (e.g. 127.0.0.1 in tests). */
      allowedHosts: z.array(z.string().min(1)).default([]),
      timeout: duration.prefault('PT5S'),
    })
    .prefault({}),
  queue: z
    .strictObject({
      lease: duration.prefault('PT30S'),
      maxAttempts: z.number().int().min(1).max(100).default(8),
      backoff: duration.prefault('PT1S'),
      maxBackoff: duration.prefault('PT5M'),
      batchSize: z.number().int().min(1).max(1000).default(32),
      concurrency: z.number().int().min(1).max(4096).default(1024),
      /** Completed and failed requests are deleted this long after they were submitted. */
      retainCompleted: duration.prefault('P30D'),
    })
    .prefault({}),
});

export type RawConfig = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
