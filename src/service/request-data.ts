import { SignetError } from '../domain/errors.js';

/** Deeper than this is refused: no real payload needs it, and canonicalization recurses. */
export const MAX_DATA_DEPTH = 100;

/** In Unicode mode a well-formed pair is one code point, so this matches lone surrogates only. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Refuses request data that is valid JSON but that RFC 8785 (JCS) cannot
 * canonicalize, so that it is a 400 at the door instead of a failure in a
 * worker: numbers that overflowed to Infinity, strings with lone surrogates,
 * and nesting deeper than MAX_DATA_DEPTH. Iterative: a hostile depth never
 * reaches the call stack.
 */
export function checkRequestData(data: unknown): void {
  const pending: { value: unknown; depth: number; path: string }[] = [
    { value: data, depth: 0, path: 'data' },
  ];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value, depth, path } = item;
    if (typeof value === 'number' && !Number.isFinite(value)) {
      refuse(`${path} is a number out of range`);
    } else if (typeof value === 'string' && LONE_SURROGATE.test(value)) {
      refuse(`${path} has a lone surrogate (not valid Unicode)`);
    } else if (typeof value === 'object' && value !== null) {
      if (depth >= MAX_DATA_DEPTH) refuse(`data is nested deeper than ${MAX_DATA_DEPTH} levels`);
      for (const [key, child] of Object.entries(value)) {
        if (LONE_SURROGATE.test(key)) refuse(`${path} has a key with a lone surrogate`);
        pending.push({ value: child, depth: depth + 1, path: `${path}/${key}`.slice(0, 200) });
      }
    }
  }
}

function refuse(message: string): never {
  throw new SignetError('ERR_VALIDATION', message);
}
