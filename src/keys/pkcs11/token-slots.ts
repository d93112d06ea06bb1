import pkcs11js, { type Handle, type PKCS11 } from 'pkcs11js';
import type { TokenOptions } from './token.js';
import { hsmUnavailable } from './token-errors.js';

/** The slot holding the configured token; the error lists the tokens that are there. */
export function findTokenSlot(
  library: PKCS11,
  options: Pick<TokenOptions, 'tokenLabel' | 'slot' | 'module'>,
): Handle {
  const { tokenLabel, slot: wantedSlot, module } = options;
  let slots: Handle[];
  try {
    slots = library.C_GetSlotList(true);
  } catch (err) {
    throw hsmUnavailable(`cannot list the slots of PKCS#11 module ${module}`, err);
  }
  const present: string[] = [];
  for (const slot of slots) {
    let info: pkcs11js.TokenInfo;
    try {
      info = library.C_GetTokenInfo(slot);
    } catch {
      continue;
    }
    if ((info.flags & pkcs11js.CKF_TOKEN_INITIALIZED) === 0) continue;
    const label = info.label.trimEnd();
    present.push(label);
    if (label === tokenLabel && (wantedSlot === undefined || slotId(slot) === wantedSlot)) {
      return slot;
    }
  }
  const where = wantedSlot === undefined ? '' : ` in slot ${wantedSlot}`;
  throw hsmUnavailable(
    `PKCS#11 token '${tokenLabel}'${where} not found in module ${module} (tokens present: ${present.map((l) => `'${l}'`).join(', ') || 'none'})`,
  );
}

export function find(library: PKCS11, session: Handle, cls: number, id: Uint8Array): Handle[] {
  library.C_FindObjectsInit(session, [
    { type: pkcs11js.CKA_CLASS, value: cls },
    { type: pkcs11js.CKA_ID, value: Buffer.from(id) },
  ]);
  try {
    return library.C_FindObjects(session, 4);
  } finally {
    library.C_FindObjectsFinal(session);
  }
}

export function closeQuietly(library: PKCS11, session: Handle): void {
  try {
    library.C_CloseSession(session);
  } catch {
    // The session is already gone with the token.
  }
}

/** CK_SLOT_ID as the number that tools such as softhsm2-util and pkcs11-tool print. */
function slotId(slot: Handle): number {
  return slot.length >= 8 ? Number(slot.readBigUInt64LE(0)) : slot.readUInt32LE(0);
}

export const hex = (id: Uint8Array) => Buffer.from(id).toString('hex');
