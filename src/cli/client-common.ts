import { readFile } from 'node:fs/promises';
import { CommanderError, type Command } from 'commander';
import { isSignetClientError, SignetClientError } from '../client/errors.js';
import { TrustStore } from '../client/trust.js';
import type { VerifiedToken } from '../client/verify.js';

/** Exit codes of `signet verify` and `signet request`. */
export const EXIT = { valid: 0, refused: 1, usage: 2 } as const;

/** Commander's own errors (unknown or missing options) become exit 2, as other usage errors. */
export function usageErrorsExit2(command: Command): Command {
  return command.exitOverride((err) => {
    throw err.exitCode === 0 ? err : new CommanderError(EXIT.usage, err.code, err.message);
  });
}

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new SignetClientError(
      'ERR_USAGE',
      `cannot read ${what} ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** PEM roots or trust-root JSON files. */
export async function readTrust(paths: readonly string[]): Promise<TrustStore> {
  const stores = await Promise.all(
    paths.map(async (path) => {
      const text = await readText(path, 'trust file');
      try {
        return TrustStore.fromText([text]);
      } catch (err) {
        throw new SignetClientError('ERR_USAGE', `trust file ${path}: ${(err as Error).message}`);
      }
    }),
  );
  return new TrustStore(stores.flatMap((store) => store.anchors));
}

export function seconds(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new SignetClientError('ERR_USAGE', `${option} must be a number of seconds`);
  return n;
}

/** What `--json` prints for a verified token. */
function verifiedJson(result: VerifiedToken): Record<string, unknown> {
  return {
    valid: true,
    data: result.data,
    kid: result.header.kid,
    alg: result.header.alg,
    issuer: result.claims.iss,
    subject: result.claims.sub,
    requestId: result.claims.jti,
    signedAt: result.signedAt.toISOString(),
    cas: result.cas,
    revocation: { ...result.revocation, checkedAt: result.revocation.checkedAt.toISOString() },
  };
}

/** One line `CODE: reason` on stderr (and the same as JSON on stdout with --json); the exit code. */
function reportFailure(err: unknown, json: boolean | undefined): number {
  if (err instanceof CommanderError) throw err;
  const code = isSignetClientError(err) ? err.code : 'ERR_INTERNAL';
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ');
  if (json) process.stdout.write(`${JSON.stringify({ valid: false, code, message })}\n`);
  process.stderr.write(`${code}: ${message}\n`);
  return code === 'ERR_USAGE' ? EXIT.usage : EXIT.refused;
}

/**
 * Runs a verification and prints the token's data (the whole result as JSON
 * with --json); a refusal is reported and sets the exit code.
 */
export async function printVerified(
  json: boolean | undefined,
  setExit: (code: number) => void,
  verify: () => Promise<VerifiedToken>,
): Promise<void> {
  try {
    const result = await verify();
    process.stdout.write(
      json
        ? `${JSON.stringify(verifiedJson(result), null, 2)}\n`
        : `${JSON.stringify(result.data)}\n`,
    );
  } catch (err) {
    setExit(reportFailure(err, json));
  }
}
