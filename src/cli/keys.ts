import { type Command, Option } from 'commander';
import { REVOCATION_REASONS } from '../http/schemas.js';
import { withService } from './context.js';

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('manage signing keys');

  keys
    .command('list')
    .description('list keys with their status and next rotation time')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const records = await withService((service) => service.store.keys.list());
      const rows = records.map((key) => ({
        kid: key.kid,
        algorithm: key.algorithm,
        status: key.status,
        createdAt: key.createdAt.toISOString(),
        activatedAt: key.activatedAt?.toISOString() ?? null,
        nextRotationAt:
          key.status === 'active' ? (key.nextRotationAt?.toISOString() ?? null) : null,
        revokedAt: key.revokedAt?.toISOString() ?? null,
        revocationReason: key.revocationReason ?? null,
      }));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const row of rows) {
        const next = row.nextRotationAt ? ` next rotation ${row.nextRotationAt}` : '';
        process.stdout.write(`${row.kid}  ${row.algorithm}  ${row.status}${next}\n`);
      }
    });

  keys
    .command('rotate')
    .description('activate a new key now; the current one is retired')
    .action(async () => {
      const active = await withService(async (service) => {
        const current = await service.store.keys.getActive();
        const next = await service.keyManager.rotateKey(current?.kid, 'manual');
        await service.store.audit.append({ actor: 'cli', action: 'key.rotate', subject: next.kid });
        return next;
      });
      process.stdout.write(`${active.kid}\n`);
    });

  keys
    .command('revoke <kid>')
    .description('revoke a key everywhere; rotates first if it is the active key')
    // A kid is a base64url thumbprint and may begin with "-": take it as the argument it is.
    .allowUnknownOption()
    // The same reasons as POST /revoke: they end up in OCSP answers and the revocation list.
    .addOption(
      new Option('--reason <reason>', 'revocation reason')
        .choices(REVOCATION_REASONS)
        .default('keyCompromise'),
    )
    .action(async (kid: string, options: { reason: string }) => {
      const { activeKid } = await withService((service) =>
        service.keyManager.revoke(kid, options.reason, 'cli'),
      );
      if (activeKid) process.stdout.write(`${activeKid}\n`);
      else
        process.stderr.write(
          'revoked; no CA can certify a replacement yet: signing waits for one\n',
        );
    });
}
