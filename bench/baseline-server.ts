/**
 * The baseline of `npm run bench`: what a minimal synchronous signer does on
 * this machine. Fastify + jose, the same key type as Signet (Ed25519), and a
 * token of the same shape, signed while the client waits: no queue, no store,
 * no CA. Prints `listening <url>` on stdout once ready.
 */
import { createHash, randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { CompactSign, generateKeyPair } from 'jose';

const BEARER = `Bearer ${process.env.BENCH_BASELINE_TOKEN ?? 'baseline'}`;
const port = Number(process.env.PORT ?? 0);
const encoder = new TextEncoder();

const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });

app.post<{ Body: { data?: unknown } }>('/request', async (request, reply) => {
  if (request.headers.authorization !== BEARER) return reply.code(401).send({ code: 'ERR_AUTH' });
  const body = request.body;
  if (typeof body !== 'object' || body === null || !('data' in body)) {
    return reply.code(400).send({ code: 'ERR_VALIDATION' });
  }
  const requestId = randomUUID();
  const now = Math.floor(Date.now() / 1000);
  const digest = createHash('sha256').update(JSON.stringify(body.data)).digest('base64url');
  const claims = {
    iss: 'http://127.0.0.1',
    sub: 'bench',
    jti: requestId,
    iat: now,
    nbf: now,
    data: { request: body.data, digest, notarizedAt: new Date().toISOString() },
    req: digest,
  };
  const token = await new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'EdDSA', kid: 'baseline', typ: 'signet-response+jwt' })
    .sign(privateKey);
  return { requestId, status: 'completed', token };
});

const url = await app.listen({ host: '127.0.0.1', port });
process.stdout.write(`listening ${url}\n`);
const stop = (): void => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
