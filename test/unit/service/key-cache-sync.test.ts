import { describe, expect, it } from 'vitest';
import { createTestService } from '../../support/service.js';

describe('key changes reach the cached key handles', () => {
  it('drops the handle of a key that stopped signing', async () => {
    const test = await createTestService();
    try {
      const { service } = test;
      await service.start();
      const first = await service.keyManager.getKeyForSigning();
      expect(service.keyManager.loadedKids()).toContain(first.record.kid);
      const next = await service.keyManager.rotateKey(first.record.kid, 'manual');
      expect(next.kid).not.toBe(first.record.kid);
      expect(service.keyManager.loadedKids()).not.toContain(first.record.kid);
      expect(service.keyManager.loadedKids()).toContain(next.kid);
    } finally {
      await test.close();
    }
  });
});
