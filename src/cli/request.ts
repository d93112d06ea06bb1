import type { Command } from 'commander';
import { SignetClient, type StatusView } from '../client/client.js';
import { SignetClientError } from '../client/errors.js';
import { TrustStore } from '../client/trust.js';
import { loadConfig } from '../config/loader.js';
import { readTrust, printVerified, seconds, usageErrorsExit2 } from './client-common.js';

interface RequestFlags {
  data: string;
  url?: string;
  token?: string;
  processor?: string;
  trust?: string[];
  allowOrigin?: string[];
  timeout?: string;
  json?: boolean;
}

export function registerRequestCommand(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('request')
    .description('submit data, wait for the signed response, verify it and print its data')
    .requiredOption('--data <json>', 'the request data, as JSON')
    .option('--url <url>', "the service's URL (default: the configured public URL)")
    .option('--token <token>', 'API token (default: $SIGNET_TOKEN)')
    .option('--processor <name>', 'processor to run (default: the configured one)')
    .option(
      '--trust <file...>',
      "trusted CA roots (default: the service's own, trusted on first use)",
    )
    .option('--allow-origin <url...>', "origins that may be contacted besides the service's")
    .option('--timeout <seconds>', 'how long to wait for the response', '60')
    .option('--json', 'print the verification result as JSON');
  usageErrorsExit2(command).action((flags: RequestFlags) =>
    printVerified(flags.json, setExit, () => request(flags)),
  );
}

async function request(flags: RequestFlags) {
  let data: unknown;
  try {
    data = JSON.parse(flags.data);
  } catch {
    throw new SignetClientError('ERR_USAGE', '--data is not valid JSON');
  }
  const token = flags.token ?? process.env.SIGNET_TOKEN;
  if (!token)
    throw new SignetClientError('ERR_USAGE', 'an API token is needed: --token or SIGNET_TOKEN');
  const url = flags.url ?? loadConfig().publicUrl;
  const client = new SignetClient({ url, token });
  const trust = flags.trust?.length ? await readTrust(flags.trust) : await trustOnFirstUse(client);
  const progress = process.stderr.isTTY ? progressLine() : undefined;
  try {
    return await client.requestVerified(data, {
      trust,
      allowOrigins: [new URL(client.url).origin, ...(flags.allowOrigin ?? [])],
      timeout: (seconds(flags.timeout, '--timeout') ?? 60) * 1000,
      ...(flags.processor ? { processor: flags.processor } : {}),
      ...(progress ? { onProgress: progress.update } : {}),
    });
  } finally {
    progress?.done();
  }
}

async function trustOnFirstUse(client: SignetClient): Promise<TrustStore> {
  const roots = await client.caRoots();
  process.stderr.write(
    `warning: trusting the CA roots that ${client.url} serves itself (${roots.map((r) => r.id).join(', ')}): ` +
      'trust on first use; pin them with --trust\n',
  );
  return TrustStore.fromPem(roots.map((r) => r.pem));
}

/** One self-rewriting line on a terminal: the request id, its state and the time waited. */
function progressLine(): { update(view: StatusView): void; done(): void } {
  const started = Date.now();
  let state = 'submitting';
  const render = () =>
    process.stderr.write(`\r\x1b[2K${state} (${Math.round((Date.now() - started) / 1000)} s)`);
  const timer = setInterval(render, 1000);
  timer.unref();
  return {
    update(view) {
      state = `waiting for ${view.requestId}: ${view.status}`;
      render();
    },
    done() {
      clearInterval(timer);
      process.stderr.write('\r\x1b[2K');
    },
  };
}
