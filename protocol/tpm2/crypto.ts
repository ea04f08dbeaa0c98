// The hash-based primitives TPM 2.0 defines over its hash algorithms
// (Part 1, 11.4): digests, HMAC, KDFa (SP800-108 counter mode with HMAC),
// names. Used identically by the client (to compute cpHash, session HMACs
// and names) and by the reference TPM. Primitives come from @noble/hashes.
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { concat, utf8 } from '../bytes.js';
import { ALG } from './constants.js';
import { TpmWriter, be32 } from './marshal.js';

type HashFn = typeof sha256;

const HASHES: Record<number, HashFn> = {
  [ALG.SHA1]: sha1 as HashFn,
  [ALG.SHA256]: sha256,
  [ALG.SHA384]: sha384 as unknown as HashFn,
  [ALG.SHA512]: sha512 as unknown as HashFn,
};

/** Hash algorithms this code can compute. */
export const HASH_ALGS: readonly number[] = [ALG.SHA1, ALG.SHA256, ALG.SHA384, ALG.SHA512];

export function isHashAlg(alg: number): boolean {
  return HASHES[alg] !== undefined;
}

function fn(alg: number): HashFn {
  const f = HASHES[alg];
  if (!f) throw new Error(`hash algorithm 0x${alg.toString(16)} not available`);
  return f;
}

export function hashSize(alg: number): number {
  return fn(alg).outputLen;
}

export function hash(alg: number, ...parts: Uint8Array[]): Uint8Array {
  const h = fn(alg).create();
  for (const p of parts) h.update(p);
  return h.digest();
}

export function hmac(alg: number, key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = nobleHmac.create(fn(alg), key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Label bytes as KDFa uses them: the text with its terminating zero. */
export function label(text: string): Uint8Array {
  return concat(utf8(text), new Uint8Array([0]));
}

/**
 * KDFa (Part 1, 11.4.10.2): SP800-108 counter mode with HMAC(hashAlg).
 * `lbl` is a string (a terminating zero is added) or raw bytes.
 */
export function kdfa(
  alg: number,
  key: Uint8Array,
  lbl: string | Uint8Array,
  contextU: Uint8Array,
  contextV: Uint8Array,
  bits: number,
): Uint8Array {
  const lb = typeof lbl === 'string' ? label(lbl) : lbl;
  const bytes = Math.ceil(bits / 8);
  const out = new Uint8Array(bytes);
  const size = hashSize(alg);
  let off = 0;
  for (let i = 1; off < bytes; i++) {
    const block = hmac(alg, key, be32(i), lb, contextU, contextV, be32(bits));
    out.set(block.subarray(0, Math.min(size, bytes - off)), off);
    off += size;
  }
  if (bits % 8) out[0]! &= (1 << (bits % 8)) - 1;
  return out;
}

/** Name of an entity whose name is its handle (permanent, PCR, session). */
export function handleAsName(handle: number): Uint8Array {
  return be32(handle);
}

/** Name = nameAlg || H_nameAlg(marshalled public area) (Part 1, 16). */
export function computeName(nameAlg: number, publicArea: Uint8Array): Uint8Array {
  if (nameAlg === ALG.NULL) return new Uint8Array(0);
  return concat(new TpmWriter(2).u16(nameAlg).finish(), hash(nameAlg, publicArea));
}

/** KDFe (Part 1, 11.4.10.3): SP800-56A concatenation KDF, H(counter || Z || label || partyU || partyV). */
export function kdfe(alg: number, z: Uint8Array, lbl: string, partyU: Uint8Array, partyV: Uint8Array, bits: number): Uint8Array {
  const bytes = Math.ceil(bits / 8);
  const out = new Uint8Array(bytes);
  const size = hashSize(alg);
  const lb = label(lbl);
  let off = 0;
  for (let i = 1; off < bytes; i++) {
    out.set(hash(alg, be32(i), z, lb, partyU, partyV).subarray(0, Math.min(size, bytes - off)), off);
    off += size;
  }
  if (bits % 8) out[0]! &= (1 << (bits % 8)) - 1;
  return out;
}
