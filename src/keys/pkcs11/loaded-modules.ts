import { accessSync, constants } from 'node:fs';
import pkcs11js, { type PKCS11 } from 'pkcs11js';
import { SignetError } from '../../domain/errors.js';
import { returnValueOf } from './token-errors.js';

interface Entry {
  library: PKCS11;
  users: number;
}

/**
 * PKCS#11 allows one C_Initialize per library and process, so backends that
 * use the same module share it; the last one to let go finalizes it.
 */
const loaded = new Map<string, Entry>();

export function acquireModule(path: string): PKCS11 {
  const existing = loaded.get(path);
  if (existing) {
    existing.users += 1;
    return existing.library;
  }
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw moduleError(path, `cannot read ${path} (${(err as NodeJS.ErrnoException).code})`);
  }
  const library = new pkcs11js.PKCS11();
  try {
    library.load(path);
  } catch (err) {
    throw moduleError(path, `${path} is not a loadable PKCS#11 module (${(err as Error).message})`);
  }
  try {
    library.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (err) {
    if (returnValueOf(err)?.code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      library.close();
      throw new SignetError(
        'ERR_HSM_UNAVAILABLE',
        `the PKCS#11 module ${path} did not initialize (${returnValueOf(err)?.name ?? String(err)})`,
        { retryable: true, cause: err },
      );
    }
  }
  loaded.set(path, { library, users: 1 });
  return library;
}

/**
 * Finalizes and initializes the module again, so that it looks for its tokens
 * anew (SoftHSM, like many modules, scans for tokens only in C_Initialize).
 * Only done for a sole user: it ends every session of the module in this process.
 * Returns false when it was not done; throws when C_Initialize fails.
 */
export function reinitializeModule(path: string): boolean {
  const entry = loaded.get(path);
  if (!entry || entry.users !== 1) return false;
  try {
    entry.library.C_Finalize();
  } catch {
    // Already finalized (an earlier attempt failed half-way): initializing is what matters.
  }
  entry.library.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  return true;
}

export function releaseModule(path: string): void {
  const entry = loaded.get(path);
  if (!entry) return;
  entry.users -= 1;
  if (entry.users > 0) return;
  loaded.delete(path);
  try {
    entry.library.C_Finalize();
  } finally {
    entry.library.close();
  }
}

function moduleError(path: string, reason: string): SignetError {
  return new SignetError('ERR_CONFIG_INVALID', `invalid config: keys.pkcs11.module: ${reason}`, {
    detail: { key: 'keys.pkcs11.module', reason, module: path },
  });
}
