/**
 * @peculiar/x509 depends on tsyringe, which refuses to load unless a Reflect
 * metadata polyfill is present. It only reads and writes metadata on its own
 * classes, so a minimal WeakMap store is enough and spares a dependency.
 * Installed only when no polyfill (such as reflect-metadata) is there already.
 */
type MetadataStore = WeakMap<object, Map<unknown, unknown>>;
type ReflectWithMetadata = typeof Reflect & Record<string, unknown>;

const reflect = Reflect as ReflectWithMetadata;

if (typeof reflect['getMetadata'] !== 'function') {
  const store: MetadataStore = new WeakMap();
  const own = (target: object, create: boolean): Map<unknown, unknown> | undefined => {
    let map = store.get(target);
    if (!map && create) {
      map = new Map();
      store.set(target, map);
    }
    return map;
  };
  const getOwnMetadata = (key: unknown, target: object): unknown => own(target, false)?.get(key);
  const getMetadata = (key: unknown, target: object): unknown => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const map = own(t, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  };
  const defineMetadata = (key: unknown, value: unknown, target: object): void => {
    own(target, true)?.set(key, value);
  };
  Object.assign(reflect, { getOwnMetadata, getMetadata, defineMetadata });
}

export {};
