/**
 * The baseline of `npm run bench`: what a minimal synchronous signer does on
 * this machine. Fastify + jose, the same key type as Signet (Ed25519), signed
 * while the client waits: no queue, no store, no CA. Its answer has the shape
 * of Signet's (the same protected header and claims, and the signed response
 * beside the token), so that both do the same work for what they return.
 * With BENCH_BASELINE_VERIFY=1 it also verifies each token with its public
 * key before answering, as Signet checks every signature with the
 * certificates' keys: what such a check costs a signer with nothing else to do.
 * With BENCH_BASELINE_STORE=<file> it also stores each request in SQLite
 * before signing and its token before answering (see baseline-store.ts), and
 * verifies each token: the least of what Signet must do per token, durable
 * and checked, without Signet's queue, leases, CAs or HTTP API.
 * Prints `listening <url>` on stdout once ready.
 */
import { createHash, KeyObject, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import Fastify from 'fastify';
import { CompactSign, generateKeyPair } from 'jose';
import sodium from 'sodium-native';
import { openBaselineStore } from './baseline-store.js';

const BEARER = `Bearer ${process.env.BENCH_BASELINE_TOKEN ?? 'baseline'}`;
const port = Number(process.env.PORT ?? 0);
const encoder = new TextEncoder();

const storePath = process.env.BENCH_BASELINE_STORE;
const store = storePath ? openBaselineStore(storePath) : undefined;
const verifySignatures = process.env.BENCH_BASELINE_VERIFY === '1' || store !== undefined;
const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const rawPublicKey = Buffer.from(
  KeyObject.from(publicKey).export({ format: 'jwk' }).x ?? '',
  'base64url',
);
const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
const kid = 'baseline-key';
/** Set once the port is known: the header and CA locations name this server, as Signet's do. */
let url = '';
let caLocations: { id: string; x5u: string; ocsp: string }[] = [];
let header: { alg: string } & Record<string, string> = { alg: 'EdDSA' };

app.post<{ Body: { data?: unknown } }>('/request', async (request, reply) => {
  if (request.headers.authorization !== BEARER) return reply.code(401).send({ code: 'ERR_AUTH' });
  const body = request.body;
  if (typeof body !== 'object' || body === null || !('data' in body)) {
    return reply.code(400).send({ code: 'ERR_VALIDATION' });
  }
  const requestId = randomUUID();
  const nowMs = Date.now();
  store?.accepted(requestId, JSON.stringify(body.data), nowMs);
  const now = Math.floor(nowMs / 1000);
  const digest = createHash('sha256')
    .update(canonicalize(body.data) ?? 'null')
    .digest('base64url');
  const data = {
    request: body.data,
    digest: { alg: 'SHA-256', jcs: true, value: digest },
    notarizedAt: new Date().toISOString(),
  };
  const claims = {
    iss: url,
    sub: 'bench',
    jti: requestId,
    iat: now,
    nbf: now,
    data,
    req: digest,
    ca: caLocations,
    key: { kid, status: 'active', revocations: `${url}/revocations` },
  };
  const token = await new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader(header)
    .sign(privateKey);
  // The bare check, as cheap as it gets: libsodium, as Signet's signing threads, on the signing input.
  if (verifySignatures && !verifiesWith(token))
    return reply.code(500).send({ code: 'ERR_SIGNATURE' });
  store?.completed(requestId, token, Date.now());
  const signature = token.slice(token.lastIndexOf('.') + 1);
  return {
    requestId,
    status: 'completed',
    token,
    signedResponse: { data, signature, kid, caLocations },
  };
});

function verifiesWith(token: string): boolean {
  const end = token.lastIndexOf('.');
  const input = Buffer.from(token.slice(0, end));
  const signature = Buffer.from(token.slice(end + 1), 'base64url');
  return sodium.crypto_sign_verify_detached(signature, input, rawPublicKey);
}

url = await app.listen({ host: '127.0.0.1', port });
const x5u = `${url}/certs/${kid}/baseline.pem`;
caLocations = [{ id: 'baseline', x5u, ocsp: `${url}/ocsp/baseline` }];
header = {
  alg: 'EdDSA',
  kid,
  typ: 'signet-response+jwt',
  x5u,
  'x5t#S256': createHash('sha256').update(kid).digest('base64url'),
};
process.stdout.write(`listening ${url}\n`);
const stop = (): void => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
