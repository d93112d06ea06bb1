/**
 * The `wait` preference of RFC 7240 (`Prefer: wait=5`): how many seconds the
 * client is willing to wait for the final answer instead of a 202. Other
 * preferences are ignored, as the RFC allows; a malformed one is ignored too
 * (a preference is a hint, never a reason to refuse the request).
 */
export function preferredWaitSeconds(header: string | string[] | undefined): number {
  if (header === undefined) return 0;
  const values = Array.isArray(header) ? header : [header];
  for (const value of values) {
    for (const preference of value.split(',')) {
      const [token] = preference.split(';');
      const match = /^\s*wait\s*=\s*"?(\d{1,9})"?\s*$/i.exec(token ?? '');
      if (match?.[1]) return Number(match[1]);
    }
  }
  return 0;
}
