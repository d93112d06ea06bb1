import { Command, CommanderError } from 'commander';
import { SignetError, isSignetError } from '../domain/errors.js';
import { verifyAuditChain } from '../store/audit-verify.js';
import { withService } from './context.js';
import { registerKeyCommands } from './keys.js';
import { registerRequestCommand } from './request.js';
import { registerVerifyCommand } from './verify.js';

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('signet')
    .description('Signet: asynchronous signing with key rotation and multi-CA validation')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  program
    .command('serve')
    .description('start the service (what `npm start` runs)')
    // Loaded on demand: the HTTP stack is not needed by the other commands.
    .action(async () => {
      const { serve } = await import('./serve.js');
      setExit(await serve());
    });

  const clients = program.command('clients').description('manage API clients');
  clients
    .command('add <id>')
    .description('add a client (or give it a new token) and print its API token')
    .option('--role <role>', 'client or admin', 'client')
    .action(async (id: string, options: { role: string }) => {
      if (options.role !== 'client' && options.role !== 'admin') {
        throw new SignetError(
          'ERR_VALIDATION',
          `--role must be client or admin, not "${options.role}"`,
        );
      }
      const role = options.role;
      const token = await withService(async (service) => {
        const created = await service.tokens.add(id, role);
        await service.store.audit.append({
          actor: 'cli',
          action: 'client.add',
          subject: id,
          details: { role },
        });
        return created;
      });
      process.stdout.write(`${token}\n`);
    });
  clients
    .command('list')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const list = await withService((service) => service.store.clients.list());
      if (options.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else for (const client of list) process.stdout.write(`${client.id}  ${client.role}\n`);
    });

  registerKeyCommands(program);
  registerVerifyCommand(program, setExit);
  registerRequestCommand(program, setExit);

  program
    .command('audit')
    .description('the audit log')
    .command('verify')
    .description("check the audit log's hash chain")
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const result = await withService((service) => verifyAuditChain(service.store.db));
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.ok) {
        if (!options.json) process.stdout.write(`audit log intact: ${result.entries} entries\n`);
        return;
      }
      process.stderr.write(
        `ERR_AUDIT_BROKEN: entry ${result.firstBroken?.seq} ${result.firstBroken?.reason}\n`,
      );
      setExit(1);
    });
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function run(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    const message = isSignetError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
    process.stderr.write(`${message}\n`);
    return 1;
  }
}
