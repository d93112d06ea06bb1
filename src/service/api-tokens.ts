import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignetError } from '../domain/errors.js';
import type { ClientRepository, Clock } from '../domain/ports.js';
import type { Role } from '../domain/types.js';
import type { AuthenticatedClient } from './api.js';

const TOKEN_PREFIX = 'sig_';
const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/**
 * What the HTTP layer accepts after "Bearer " (an RFC 6750 b64token, see http/auth.ts):
 * a token outside this could be registered but would never authenticate.
 */
const TOKEN_FORMAT = /^[A-Za-z0-9\-._~+/]+=*$/;

/** A token is looked up by a short hash prefix and then compared in full, in constant time. */
function digest(token: string): { tokenId: string; secretHash: string } {
  const secretHash = hash('sha256', token, 'hex');
  return { tokenId: secretHash.slice(0, 16), secretHash };
}

const DUMMY_HASH = Buffer.alloc(32);

/** API tokens: random, shown once, stored only as SHA-256 hashes. */
export class ApiTokens {
  constructor(
    private readonly clients: ClientRepository,
    private readonly clock: Clock,
  ) {}

  static generate(): string {
    return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  }

  /** Adds a client with a new token and returns the token (the only time it exists in clear). */
  async add(id: string, role: Role): Promise<string> {
    const token = ApiTokens.generate();
    await this.register(id, role, token);
    return token;
  }

  /** Registers a given token (SIGNET_ADMIN_TOKEN) for a client id, replacing that client's token. */
  async register(id: string, role: Role, token: string): Promise<void> {
    if (!CLIENT_ID.test(id)) {
      throw new SignetError(
        'ERR_VALIDATION',
        'client id must be 1-128 letters, digits, ".", "_" or "-"',
      );
    }
    if (token.length < 16 || token.length > 512)
      throw new SignetError('ERR_VALIDATION', 'an API token must have 16 to 512 characters');
    if (!TOKEN_FORMAT.test(token)) {
      throw new SignetError(
        'ERR_VALIDATION',
        'an API token may only hold letters, digits and - . _ ~ + / (then = padding)',
      );
    }
    const { tokenId, secretHash } = digest(token);
    await this.clients.upsert({ id, role, tokenId, secretHash, at: this.clock.now() });
  }

  async authenticate(token: string): Promise<AuthenticatedClient | undefined> {
    const { tokenId, secretHash } = digest(token);
    const found = await this.clients.findByTokenId(tokenId);
    const expected = found ? Buffer.from(found.secretHash, 'hex') : DUMMY_HASH;
    const equal = timingSafeEqual(expected, Buffer.from(secretHash, 'hex'));
    return found && equal ? { id: found.id, role: found.role } : undefined;
  }
}
