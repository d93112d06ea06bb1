import { type Command, Option } from 'commander';
import { decodeJws } from '../client/jws.js';
import { SignetClientError } from '../client/errors.js';
import type { RevocationMode } from '../client/revocation.js';
import { verifyResponseToken, type VerifyOptions } from '../client/verify.js';
import { readText, readTrust, printVerified, seconds, usageErrorsExit2 } from './client-common.js';

interface VerifyFlags {
  trust: string[];
  allowOrigin?: string[];
  offline?: boolean;
  chain?: string;
  revocation?: RevocationMode;
  requireCas?: string;
  issuer?: string;
  subject?: string;
  maxAge?: string;
  clockTolerance?: string;
  json?: boolean;
}

export function registerVerifyCommand(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('verify')
    .description('verify a Signet token; exit 0 only if it is valid (data on stdout)')
    .argument('[token]', 'the token, or - (the default) to read it from stdin')
    .requiredOption('--trust <file...>', 'trusted CA roots: PEM files or trust-root JSON')
    .option('--allow-origin <url...>', 'origins that may be contacted (x5u, OCSP, revocation list)')
    .option('--offline', 'do not check revocation (say so explicitly)')
    .option('--chain <file>', "PEM chain of the token's x5u, used instead of fetching it")
    .addOption(
      new Option('--revocation <mode>', 'where to check revocation').choices([
        'auto',
        'ocsp',
        'list',
      ]),
    )
    .option('--require-cas <n>', 'distinct CAs that must validate', '1')
    .option('--issuer <url>', 'expected iss')
    .option('--subject <id>', 'expected sub')
    .option('--max-age <seconds>', 'refuse tokens older than this')
    .option('--clock-tolerance <seconds>', 'accepted clock skew', '30')
    .option('--json', 'print the result as JSON');
  usageErrorsExit2(command).action((token: string | undefined, flags: VerifyFlags) =>
    printVerified(flags.json, setExit, async () => {
      const text = token === undefined || token === '-' ? await readStdin() : token;
      return verifyResponseToken(text, await verifyOptions(text, flags));
    }),
  );
}

async function verifyOptions(token: string, flags: VerifyFlags): Promise<VerifyOptions> {
  const options: VerifyOptions = {
    trust: await readTrust(flags.trust),
    allowOrigins: flags.allowOrigin ?? [],
    offline: flags.offline === true,
    requireCAs: integer(flags.requireCas ?? '1', '--require-cas'),
    clockTolerance: seconds(flags.clockTolerance, '--clock-tolerance') ?? 30,
  };
  if (flags.revocation) options.revocation = flags.revocation;
  if (flags.issuer !== undefined) options.issuer = flags.issuer;
  if (flags.subject !== undefined) options.subject = flags.subject;
  const maxAge = seconds(flags.maxAge, '--max-age');
  if (maxAge !== undefined) options.maxTokenAge = maxAge;
  if (flags.chain) {
    const x5u = decodeJws(token).header.x5u;
    if (typeof x5u === 'string')
      options.certificates = { [x5u]: await readText(flags.chain, 'chain') };
  }
  return options;
}

function integer(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new SignetClientError('ERR_USAGE', `${option} must be a whole number of at least 1`);
  return n;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new SignetClientError('ERR_USAGE', 'give the token as an argument, or pipe it on stdin');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024)
      throw new SignetClientError('ERR_TOKEN_MALFORMED', 'the token on stdin is larger than 1 MiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8').trim();
}
