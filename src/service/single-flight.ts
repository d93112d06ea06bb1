/**
 * Calls that start while an identical one is in flight share its result
 * instead of doing the work again. Nothing is kept once it settles, so every
 * caller gets an answer at least as fresh as the moment the shared call began
 * (the worker's batch of requests asks for the signing key and its validation
 * once, not once per request).
 */
export function singleFlight<K, T>(run: (key: K) => Promise<T>): (key: K) => Promise<T> {
  const inFlight = new Map<K, Promise<T>>();
  return (key) => {
    let shared = inFlight.get(key);
    if (!shared) {
      shared = run(key).finally(() => inFlight.delete(key));
      inFlight.set(key, shared);
    }
    return shared;
  };
}
