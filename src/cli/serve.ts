import { pino } from 'pino';
import { loadConfig } from '../config/loader.js';
import { buildApp } from '../http/app.js';
import { startServer } from '../http/server.js';
import { KeyRotationService } from '../service/key-rotation-service.js';

/** `signet serve`: the service, until SIGINT or SIGTERM. */
export async function serve(): Promise<number> {
  const config = loadConfig();
  const level = process.env.SIGNET_LOG_LEVEL ?? 'info';
  const logger = pino({ level });
  const service = await KeyRotationService.create(config, { logger });
  const adminToken = await service.seedAdmin();
  if (adminToken) {
    // Shown once, on the terminal only: it is never logged and never stored in clear.
    process.stderr.write(
      `\nNo admin API token existed, so one was generated. It is shown only this once:\n\n  ${adminToken}\n\n` +
        'Keep it safe (or set SIGNET_ADMIN_TOKEN); add more clients with `signet clients add`.\n\n',
    );
  }
  await service.start();
  const app = await buildApp({ api: service.api, config, logger: { level } });
  const server = await startServer({ app, host: config.server.host, port: config.server.port });
  logger.info({ url: server.url, publicUrl: config.publicUrl }, 'signet is listening');

  return new Promise((resolve) => {
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      void (async () => {
        await server.close();
        await service.stop();
        logger.info('stopped');
        resolve(0);
      })().catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        resolve(1);
      });
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}
