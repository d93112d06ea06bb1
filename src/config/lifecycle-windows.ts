import { SignetError } from '../domain/errors.js';
import { scheduleFromConfig } from '../keys/schedule.js';
import type { ParsedConfig } from './schema.js';

function iso(ms: number): string {
  const seconds = ms / 1000;
  if (seconds % 86_400 === 0) return `P${seconds / 86_400}D`;
  return `PT${seconds}S`;
}

function conflict(message: string, keys: string[]): never {
  throw new SignetError('ERR_CONFIG_INVALID', `invalid config: ${keys.join(', ')}: ${message}`, {
    detail: { keys },
  });
}

/**
 * Refuses key windows that would break verifiers: a next key that is not yet
 * in their JWKS cache when it starts signing, or a retired key that leaves
 * JWKS while tokens it signed are still alive.
 */
export function checkLifecycleWindows(keys: ParsedConfig['keys']): void {
  const { prepublish, retain, jwksMaxAge, tokenLifetime, rotation } = keys;
  scheduleFromConfig(rotation);
  if (retain < jwksMaxAge + tokenLifetime) {
    conflict(
      `keys.retain (${iso(retain)}) is shorter than keys.jwksMaxAge (${iso(jwksMaxAge)}) + keys.tokenLifetime (${iso(tokenLifetime)}): verifiers would lose the key of tokens that are still alive`,
      ['keys.retain', 'keys.jwksMaxAge', 'keys.tokenLifetime'],
    );
  }
  if (prepublish < jwksMaxAge) {
    conflict(
      `keys.prepublish (${iso(prepublish)}) is shorter than keys.jwksMaxAge (${iso(jwksMaxAge)}): verifiers' cached JWKS would not hold the next key when it starts signing`,
      ['keys.prepublish', 'keys.jwksMaxAge'],
    );
  }
  if ('every' in rotation && prepublish >= rotation.every) {
    conflict(
      `keys.prepublish (${iso(prepublish)}) must be shorter than keys.rotation.every (${iso(rotation.every)})`,
      ['keys.prepublish', 'keys.rotation.every'],
    );
  }
}
