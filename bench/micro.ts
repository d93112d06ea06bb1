/**
 * Micro benchmarks, in this process: raw jose sign and verify, Signet's signing
 * stage and per-token key validation (the real classes on a real store and the
 * built-in CAs), and the SDK's verification of a real token with its chain and
 * OCSP answers cached.
 */
import { createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactVerify, CompactSign, decodeProtectedHeader } from 'jose';
import { pino } from 'pino';
import { CAValidator } from '../src/ca/ca-validator.js';
import { CaHealthMonitor } from '../src/ca/ca-health.js';
import { OcspCache } from '../src/ca/ocsp-cache.js';
import {
  ResponseCache,
  TrustStore,
  VerificationCache,
  verifyResponseToken,
} from '../src/client/index.js';
import { loadConfig } from '../src/config/loader.js';
import { systemClock } from '../src/domain/ports.js';
import { KeyRotationService } from '../src/service/key-rotation-service.js';
import { ResponseAssembler } from '../src/service/response-assembler.js';
import { jwsCryptoFor } from '../src/signing/jws-crypto.js';
import { SignatureGenerator } from '../src/signing/signature-generator.js';
import { TokenGenerator } from '../src/signing/token-generator.js';
import { rate } from './closed-loop.js';

export interface MicroFigures {
  /** Operations per second, `inFlight` at a time. */
  joseSign: number;
  joseVerify: number;
  /**
   * Signet's signing stage per token: claims, signature, token (SignatureGenerator, TokenGenerator),
   * measured in slices alternating with joseSign's.
   */
  signingStage: number;
  /**
   * Signet's CA validation stage per token: the key at the CAs (chain and OCSP, cached) and the
   * signature checked with the certificate's key before the token is released.
   */
  caStage: number;
  /**
   * SDK verifyResponseToken of a real token with a VerificationCache (chain and OCSP cached),
   * measured in slices alternating with joseVerify's.
   */
  sdkVerify: number;
  /** How the SDK verification checked revocation. */
  sdkRevocation: string;
}

const encoder = new TextEncoder();

export async function microBenchmarks(options: {
  durationMs: number;
  inFlight: number;
  dataDir: string;
  /** A running Signet to verify a real token against. */
  signetUrl: string;
  token: string;
  log(line: string): void;
}): Promise<MicroFigures> {
  const { durationMs, inFlight, log } = options;
  const service = await inProcessService(options.dataDir);
  // The signing stage as the service runs it: on its signing threads (inline on one core).
  const jwsCrypto = jwsCryptoFor();
  try {
    const key = await service.keyManager.getKeyForSigning();
    const kid = key.record.kid;
    const validator = new CAValidator({
      cas: service.cas,
      certificates: service.store.certificates,
      health: new CaHealthMonitor({ cas: service.cas, clock: systemClock }),
      required: service.config.validation.required,
      clock: systemClock,
      ocspCache: new OcspCache(systemClock),
    });
    const validated = await validator.validateKey(kid);
    const tokens = new TokenGenerator(service.config.publicUrl);
    const signer = new SignatureGenerator(jwsCrypto);
    const assembler = new ResponseAssembler();
    const caLocations = validated.map((ca) => ({
      id: ca.caId,
      x5u: `${service.config.publicUrl}/certs/${kid}/${ca.caId}.pem`,
      ocsp: ca.ocspUrl,
    }));
    const content = () =>
      tokens.content({
        envelope: {
          requestId: randomUUID(),
          clientId: 'bench',
          data: { order: 42, amount: '10.00' },
          processor: 'notarize',
          receivedAt: new Date(),
        },
        data: { request: { order: 42, amount: '10.00' }, notarizedAt: new Date().toISOString() },
        key,
        primary: { x5u: caLocations[0]?.x5u ?? '', x5tS256: validated[0]?.x5tS256 ?? '' },
        caLocations,
        now: new Date(),
      });
    const sampleContent = content();

    log('micro: raw jose sign and signing stage, alternating');
    const [joseSign, signingStage] = await alternatingRates(
      durationMs,
      inFlight,
      () =>
        new CompactSign(encoder.encode(JSON.stringify(sampleContent.claims)))
          .setProtectedHeader({ ...sampleContent.header, alg: 'EdDSA', kid })
          .sign(key.privateKey),
      async () => {
        const { header, claims } = content();
        const signed = await signer.sign(key, header, claims);
        const response = assembler.assemble({
          data: claims.data,
          signature: signed.signature,
          kid,
          caLocations,
        });
        return tokens.package(response, signed.jws);
      },
    );
    log('micro: CA validation stage');
    const sample = await signer.sign(key, sampleContent.header, sampleContent.claims);
    const caStage = await rate(durationMs, inFlight, async () => {
      await validator.verifySignature(await validator.validateKey(kid), sample.jws);
    });

    const signetHeader = decodeProtectedHeader(options.token);
    const served = await fetch(`${options.signetUrl}/certs/${signetHeader.kid}/local-a.pem`);
    const servedKey = createPublicKey(await served.text());
    const roots = await Promise.all(
      ['local-a', 'local-b'].map(async (id) =>
        (await fetch(`${options.signetUrl}/cas/${id}/root.pem`)).text(),
      ),
    );
    const trust = TrustStore.fromPem(roots);
    const verifyOptions = {
      trust,
      allowOrigins: [options.signetUrl],
      cache: new ResponseCache(),
      verificationCache: new VerificationCache(),
    };
    const first = await verifyResponseToken(options.token, verifyOptions);
    log('micro: raw jose verify and SDK verify (cached), alternating');
    const [joseVerify, sdkVerify] = await alternatingRates(
      durationMs,
      inFlight,
      () => compactVerify(options.token, servedKey, { algorithms: ['EdDSA'] }),
      () => verifyResponseToken(options.token, verifyOptions),
    );
    return {
      joseSign,
      joseVerify,
      signingStage,
      caStage,
      sdkVerify,
      sdkRevocation: first.revocation.source,
    };
  } finally {
    await jwsCrypto.close();
    await service.stop();
  }
}

/**
 * The rates of two operations compared with each other, measured in
 * alternating slices of about a quarter of a second (A B, B A, A B…) after a
 * warm-up of each, so that load from elsewhere on the machine weighs on both
 * alike and their ratio holds from run to run. Each gets `durationMs` in all.
 */
async function alternatingRates(
  durationMs: number,
  inFlight: number,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
): Promise<[number, number]> {
  const slices = Math.max(1, Math.round(durationMs / 250));
  const slice = durationMs / slices;
  const warmUp = Math.min(250, slice);
  await rate(warmUp, inFlight, a);
  await rate(warmUp, inFlight, b);
  let sumA = 0;
  let sumB = 0;
  for (let i = 0; i < slices; i++) {
    if (i % 2 === 0) {
      sumA += await rate(slice, inFlight, a);
      sumB += await rate(slice, inFlight, b);
    } else {
      sumB += await rate(slice, inFlight, b);
      sumA += await rate(slice, inFlight, a);
    }
  }
  return [sumA / slices, sumB / slices];
}

/** A real service (store, keys, built-in CAs) in this process, not started: its parts are measured. */
async function inProcessService(dataDir: string): Promise<KeyRotationService> {
  const configPath = join(dataDir, 'micro.yaml');
  writeFileSync(configPath, '');
  const config = loadConfig({
    SIGNET_CONFIG: configPath,
    SIGNET_DATA_DIR: dataDir,
    SIGNET_MASTER_KEY: randomBytes(32).toString('base64'),
  });
  return KeyRotationService.create(config, { logger: pino({ level: 'silent' }) });
}
