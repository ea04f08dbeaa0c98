// Storage keys of the reference's secure world, all derived from the
// hardware unique key (HUK) with HKDF-SHA256 and a label per use, the way
// OP-TEE derives its secure storage key from the HUK (huk_subkey_derive).
// The RPMB authentication key itself is derived exactly as OP-TEE does
// (protocol/rpmb/optee.ts deriveOpteeRpmbKey).
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../../protocol/bytes.js';

export function deriveStorageKey(huk: Uint8Array, label: string): Uint8Array {
  return hkdf(sha256, huk, undefined, utf8(`fwsec reference: ${label}`), 32);
}
