import { pino, type Logger } from 'pino';
import { loadConfig } from '../config/loader.js';
import type { KeyRotationService } from '../service/key-rotation-service.js';

/** Messages go to stderr: stdout carries only data. */
export function cliLogger(level = process.env.SIGNET_LOG_LEVEL ?? 'warn'): Logger {
  return pino({ level, base: undefined }, pino.destination(2));
}

/** Runs `action` with a service on the configured store (without the worker), then closes it. */
export async function withService<T>(
  action: (service: KeyRotationService) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  // Loaded on demand: `signet verify` and `signet request` need none of the service.
  const { KeyRotationService } = await import('../service/key-rotation-service.js');
  const service = await KeyRotationService.create(config, { logger: cliLogger() });
  try {
    return await action(service);
  } finally {
    await service.stop();
  }
}
