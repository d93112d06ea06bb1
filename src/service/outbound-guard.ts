import { lookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import { SignetError } from '../domain/errors.js';

/** Addresses a request-supplied URL may never reach unless its host is explicitly allowed. */
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 127],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}

export function isBlockedAddress(address: string): boolean {
  // node's BlockList matches IPv4 rules against IPv4-mapped IPv6 addresses too.
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * SSRF protection for URLs that a request can influence: https only, and the
 * resolved address must be public, unless the host is on the allow-list.
 */
export class OutboundGuard {
  readonly #allowed: Set<string>;

  constructor(allowedHosts: string[]) {
    this.#allowed = new Set(allowedHosts.map((host) => host.toLowerCase()));
  }

  isAllowedHost(hostname: string): boolean {
    return this.#allowed.has(hostname.toLowerCase().replace(/^\[|\]$/g, ''));
  }

  /** Checks a URL before it is accepted; the address is checked again at connection time. */
  check(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new SignetError('ERR_VALIDATION', 'callbackUrl is not a URL');
    }
    if (url.username || url.password)
      throw new SignetError('ERR_VALIDATION', 'callbackUrl may not carry credentials');
    const allowed = this.isAllowedHost(url.hostname);
    if (url.protocol !== 'https:' && !(allowed && url.protocol === 'http:')) {
      throw new SignetError('ERR_VALIDATION', 'callbackUrl must use https');
    }
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (!allowed && isIP(literal) !== 0 && isBlockedAddress(literal)) {
      throw new SignetError(
        'ERR_VALIDATION',
        'callbackUrl points to a private or reserved address',
      );
    }
    return url;
  }

  /** A DNS lookup for http.request that refuses private addresses (no DNS-rebinding window). */
  lookupFor(hostname: string): LookupFunction | undefined {
    if (this.isAllowedHost(hostname)) return undefined;
    return (host, options, callback) => {
      lookup(host, { ...options, all: true }, (err, addresses) => {
        if (err) return callback(err, '', 0);
        const usable = addresses.filter((entry) => !isBlockedAddress(entry.address));
        const first = usable[0];
        if (!first || usable.length !== addresses.length) {
          return callback(new Error(`refusing to connect to a private address for ${host}`), '', 0);
        }
        if ((options as { all?: boolean }).all)
          return (callback as (e: null, a: typeof usable) => void)(null, usable);
        callback(null, first.address, first.family);
      });
    };
  }
}
