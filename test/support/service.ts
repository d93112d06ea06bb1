import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/loader.js';
import type { Clock } from '../../src/domain/ports.js';
import { KeyRotationService } from '../../src/service/key-rotation-service.js';
import { tempDir } from './temp.js';

export interface TestService {
  service: KeyRotationService;
  dataDir: string;
  close(): Promise<void>;
}

/** A real KeyRotationService on a temporary SQLite file, configured by `yaml` (and `env`). */
export async function createTestService(
  yaml = '',
  clock?: Clock,
  env: Record<string, string> = {},
): Promise<TestService> {
  const dir = tempDir();
  const configPath = join(dir.path, 'signet.yaml');
  writeFileSync(configPath, yaml);
  const config = loadConfig({
    SIGNET_CONFIG: configPath,
    SIGNET_DATA_DIR: dir.path,
    SIGNET_MASTER_KEY: randomBytes(32).toString('base64'),
    ...env,
  });
  const service = await KeyRotationService.create(config, {
    logger: pino({ level: 'silent' }),
    ...(clock ? { clock } : {}),
  });
  return {
    service,
    dataDir: dir.path,
    close: async () => {
      await service.stop();
      dir.remove();
    },
  };
}
