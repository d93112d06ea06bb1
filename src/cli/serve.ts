import { pino } from 'pino';
import { loadConfig } from '../config/loader.js';
import { SignetError, isSignetError } from '../domain/errors.js';
import { buildApp } from '../http/app.js';
import { startServer } from '../http/server.js';
import { KeyRotationService } from '../service/key-rotation-service.js';

/**
 * Once the service has stopped, the process should end by itself; if something
 * abandoned (e.g. an upstream connection of work that outlived the grace period)
 * still holds the event loop, it is ended after this long.
 */
const EXIT_AFTER_STOP_MS = 2_000;

/** `signet serve`: the service, until SIGINT or SIGTERM. */
export async function serve(): Promise<number> {
  const config = loadConfig();
  const level = process.env.SIGNET_LOG_LEVEL ?? 'info';
  const logger = pino({ level });
  const service = await KeyRotationService.create(config, { logger });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    const adminToken = await service.seedAdmin().catch((err: unknown) => {
      if (!config.adminToken || !isSignetError(err) || err.code !== 'ERR_VALIDATION') throw err;
      throw new SignetError(
        'ERR_CONFIG_INVALID',
        `invalid config: SIGNET_ADMIN_TOKEN: ${err.message}`,
      );
    });
    if (adminToken) {
      // Shown once, on the terminal only: it is never logged and never stored in clear.
      process.stderr.write(
        `\nNo admin API token existed, so one was generated. It is shown only this once:\n\n  ${adminToken}\n\n` +
          'Keep it safe (or set SIGNET_ADMIN_TOKEN); add more clients with `signet clients add`.\n\n',
      );
    }
    await service.start();
    const app = await buildApp({ api: service.api, config, logger: { level } });
    server = await startServer({ app, host: config.server.host, port: config.server.port });
  } catch (err) {
    // E.g. the port is taken: stop the worker and close the store, or the process never ends.
    await service.stop().catch((stopErr: unknown) => logger.error({ err: stopErr }, 'stop failed'));
    throw err;
  }
  logger.info({ url: server.url, publicUrl: config.publicUrl }, 'signet is listening');

  return new Promise((resolve) => {
    let stopping = false;
    const finish = (code: number): void => {
      resolve(code);
      setTimeout(() => {
        logger.warn('open handles remain after shutdown; exiting');
        process.exit(code);
      }, EXIT_AFTER_STOP_MS).unref();
    };
    const shutdown = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      void (async () => {
        await server.close();
        await service.stop();
        logger.info('stopped');
        finish(0);
      })().catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        finish(1);
      });
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}
