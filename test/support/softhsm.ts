import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pkcs11js, { type Handle, type PKCS11 } from 'pkcs11js';
import { acquireModule, releaseModule } from '../../src/keys/pkcs11/loaded-modules.js';
import { parseKeyRef } from '../../src/keys/pkcs11/key-ref.js';
import { requireExternal } from './requirements.js';
import { tempDir } from './temp.js';

const exec = promisify(execFile);

/** Where Debian (and others) put the SoftHSM2 PKCS#11 module. */
const MODULE_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib64/pkcs11/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
];

export const SOFTHSM_MODULE = MODULE_CANDIDATES.find((path) => existsSync(path)) ?? '';

/** SoftHSM2 (Debian package softhsm2): skipped locally when missing, a failure in CI. */
export function softHsmAvailable(): Promise<boolean> {
  return requireExternal('SoftHSM2 (Debian package softhsm2)', async () => {
    await exec('softhsm2-util', ['--version']);
    if (!SOFTHSM_MODULE) throw new Error(`libsofthsm2.so not in ${MODULE_CANDIDATES.join(', ')}`);
  });
}

export interface SoftHsmTokens {
  module: string;
  pin: string;
  /** Initializes a new token in the throwaway token directory. */
  initToken(label: string): Promise<void>;
  /** Moves the token files away (the token is gone), and back. */
  unplug(): void;
  plugBack(): void;
  remove(): void;
}

/**
 * A throwaway SoftHSM2 token directory. SoftHSM reads SOFTHSM2_CONF when the
 * module is initialized, so this sets it for the current (test) process.
 */
export function createSoftHsmTokens(): SoftHsmTokens {
  const dir = tempDir('signet-softhsm-');
  const tokens = join(dir.path, 'tokens');
  const away = join(dir.path, 'tokens-away');
  mkdirSync(tokens);
  const conf = join(dir.path, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  const pin = '246813';
  return {
    module: SOFTHSM_MODULE,
    pin,
    initToken: async (label) => {
      const args = ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '97531'];
      await exec('softhsm2-util', args, { env: { ...process.env, SOFTHSM2_CONF: conf } });
    },
    unplug: () => renameSync(tokens, away),
    plugBack: () => renameSync(away, tokens),
    remove: () => dir.remove(),
  };
}

export interface PrivateKeyInspection {
  extractable: boolean;
  sensitive: boolean;
  neverExtractable: boolean;
  alwaysSensitive: boolean;
  /** The CKR_… answer to reading CKA_VALUE (the private key itself). */
  readValue: string;
  /** The CKR_… answer to wrapping the key under a fresh AES key. */
  wrap: string;
  /** The CKR_… answer to setting CKA_EXTRACTABLE to true. */
  makeExtractable: string;
}

/**
 * Looks at the private key named by `privateKeyRef` through its own PKCS#11
 * session (not through Signet's backend) and tries to get it out.
 */
export function inspectPrivateKey(
  tokens: SoftHsmTokens,
  privateKeyRef: string,
): PrivateKeyInspection {
  const { token, id } = parseKeyRef(privateKeyRef, 'inspected');
  const library = acquireModule(tokens.module);
  let session: Handle | undefined;
  try {
    const slot = library
      .C_GetSlotList(true)
      .find((s) => library.C_GetTokenInfo(s).label.trimEnd() === token);
    if (!slot) throw new Error(`no token ${token}`);
    session = library.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    login(library, session, tokens.pin);
    library.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_ID, value: Buffer.from(id) },
    ]);
    const [key] = library.C_FindObjects(session, 1);
    library.C_FindObjectsFinal(session);
    if (!key) throw new Error(`no private key ${privateKeyRef}`);
    const flags = library.C_GetAttributeValue(session, key, [
      { type: pkcs11js.CKA_EXTRACTABLE },
      { type: pkcs11js.CKA_SENSITIVE },
      { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
      { type: pkcs11js.CKA_ALWAYS_SENSITIVE },
    ]);
    const [extractable, sensitive, neverExtractable, alwaysSensitive] = flags.map(
      (attribute) => (attribute.value as Buffer)[0] === 1,
    );
    const s = session;
    const wrappingKey = library.C_GenerateKey(s, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
      { type: pkcs11js.CKA_WRAP, value: true },
      { type: pkcs11js.CKA_TOKEN, value: false },
    ]);
    return {
      extractable: extractable ?? true,
      sensitive: sensitive ?? false,
      neverExtractable: neverExtractable ?? false,
      alwaysSensitive: alwaysSensitive ?? false,
      readValue: answer(() => library.C_GetAttributeValue(s, key, [{ type: pkcs11js.CKA_VALUE }])),
      wrap: answer(() =>
        library.C_WrapKey(
          s,
          { mechanism: pkcs11js.CKM_AES_KEY_WRAP_PAD },
          wrappingKey,
          key,
          Buffer.alloc(4096),
        ),
      ),
      makeExtractable: answer(() =>
        library.C_SetAttributeValue(s, key, [{ type: pkcs11js.CKA_EXTRACTABLE, value: true }]),
      ),
    };
  } finally {
    if (session) library.C_CloseSession(session);
    releaseModule(tokens.module);
  }
}

function login(library: PKCS11, session: Handle, pin: string): void {
  try {
    library.C_Login(session, pkcs11js.CKU_USER, pin);
  } catch (err) {
    if ((err as { code?: number }).code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw err;
  }
}

function answer(call: () => unknown): string {
  try {
    call();
    return 'CKR_OK';
  } catch (err) {
    return err instanceof pkcs11js.Pkcs11Error ? err.message : String(err);
  }
}
