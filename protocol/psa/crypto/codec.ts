// Trusted Services packed-c crypto messages: a fixed packed little-endian
// struct per opcode, then TLV records for variable-length data. Layouts
// from trusted-services protocols/service/crypto/packed-c/*.h (TS 1.2.0):
//
//   TLV record (components/common/tlv/tlv.h): tag u16 BE | length u16 BE | value
//   ts_crypto_key_attributes: u32 type, key_bits, lifetime, id; u32 usage, alg (24 bytes)
//
// Decoders follow the TS provider: a body shorter than its fixed part is
// malformed; TLV records whose tag is not expected are skipped; a request
// record that is absent means an empty value (TS "default for missing
// parameter"). Stricter than TS: a TLV record that runs past the end of the
// body is malformed (TS treats it as absent). A response record that is
// absent is malformed: the service must say what it produced.
import { DecodeError, Reader, Writer } from '../../bytes.js';
import { CryptoOpcode as Op } from './constants.js';

export const TLV_HEADER = 4;
export const TLV_MAX_VALUE = 0xffff;
export const ATTRIBUTES_SIZE = 24;

export interface KeyAttributes {
  type: number;
  bits: number;
  lifetime: number;
  id: number;
  usage: number;
  alg: number;
}

export const EMPTY_ATTRIBUTES: KeyAttributes = { type: 0, bits: 0, lifetime: 0, id: 0, usage: 0, alg: 0 };

export function writeAttributes(w: Writer, a: KeyAttributes): Writer {
  return w.u32le(a.type).u32le(a.bits).u32le(a.lifetime).u32le(a.id).u32le(a.usage).u32le(a.alg);
}

export function readAttributes(r: Reader): KeyAttributes {
  return {
    type: r.u32le('attributes.type'),
    bits: r.u32le('attributes.key_bits'),
    lifetime: r.u32le('attributes.lifetime'),
    id: r.u32le('attributes.id'),
    usage: r.u32le('attributes.policy.usage'),
    alg: r.u32le('attributes.policy.alg'),
  };
}

export interface TlvRecord {
  tag: number;
  value: Uint8Array;
}

export function encodeTlv(records: readonly TlvRecord[]): Uint8Array {
  const w = new Writer();
  for (const r of records) {
    if (r.value.length > TLV_MAX_VALUE) {
      throw new RangeError(`TLV record ${r.tag} of ${r.value.length} bytes exceeds the 16-bit length field`);
    }
    w.u16be(r.tag).u16be(r.value.length).bytes(r.value);
  }
  return w.finish();
}

/** All records of a TLV sequence; a record running past the end is malformed. */
export function decodeTlv(bytes: Uint8Array, what = 'TLV records'): TlvRecord[] {
  const r = new Reader(bytes, what);
  const out: TlvRecord[] = [];
  while (r.remaining > 0) {
    if (r.remaining < TLV_HEADER) throw new DecodeError(`${what}: ${r.remaining} trailing byte(s) are not a TLV header`, r.offset);
    const tag = r.u16be('tag');
    const len = r.u16be('length');
    if (len > r.remaining) throw new DecodeError(`${what}: record ${tag} announces ${len} bytes, ${r.remaining} left`, r.offset);
    out.push({ tag, value: r.bytes(len, `record ${tag}`) });
  }
  return out;
}

// ---------------------------------------------------------------- layouts

type FieldKind = 'u32' | 'u64' | 'attrs';
type FieldType<K> = K extends 'u32' ? number : K extends 'u64' ? bigint : KeyAttributes;

export interface Layout {
  readonly fixed: readonly (readonly [string, FieldKind])[];
  readonly tlv: readonly (readonly [string, number])[];
}

export type Fields<L extends Layout> = {
  [F in L['fixed'][number] as F[0]]: FieldType<F[1]>;
} & {
  [T in L['tlv'][number] as T[0]]: Uint8Array;
};

const fixedSize = (l: Layout) => l.fixed.reduce((n, [, k]) => n + (k === 'u32' ? 4 : k === 'u64' ? 8 : ATTRIBUTES_SIZE), 0);

const lay = <F extends readonly (readonly [string, FieldKind])[], T extends readonly (readonly [string, number])[]>(
  fixed: F,
  tlv: T,
) => ({ fixed, tlv }) as const;

const id = lay([['id', 'u32']] as const, [] as const);
const none = lay([] as const, [] as const);
const keyAlg = lay([['id', 'u32'], ['alg', 'u32']] as const, [] as const);
const op = lay([['op', 'u32']] as const, [] as const);
const opData = lay([['op', 'u32']] as const, [['data', 1]] as const);
const data = lay([] as const, [['data', 1]] as const);

/** Request layouts by opcode (the `_in` structs and `_IN_TAG_` records). */
export const REQUEST = {
  [Op.GENERATE_KEY]: lay([['attributes', 'attrs']] as const, [] as const),
  [Op.DESTROY_KEY]: id,
  [Op.EXPORT_KEY]: id,
  [Op.EXPORT_PUBLIC_KEY]: id,
  [Op.IMPORT_KEY]: lay([['attributes', 'attrs']] as const, [['data', 1]] as const),
  [Op.SIGN_HASH]: lay([['id', 'u32'], ['alg', 'u32']] as const, [['hash', 1]] as const),
  [Op.VERIFY_HASH]: lay([['id', 'u32'], ['alg', 'u32']] as const, [['hash', 1], ['signature', 2]] as const),
  [Op.ASYMMETRIC_DECRYPT]: lay([['id', 'u32'], ['alg', 'u32']] as const, [['input', 1], ['salt', 2]] as const),
  [Op.ASYMMETRIC_ENCRYPT]: lay([['id', 'u32'], ['alg', 'u32']] as const, [['input', 1], ['salt', 2]] as const),
  [Op.GENERATE_RANDOM]: lay([['size', 'u32']] as const, [] as const),
  [Op.COPY_KEY]: lay([['source', 'u32'], ['attributes', 'attrs']] as const, [] as const),
  [Op.PURGE_KEY]: id,
  [Op.GET_KEY_ATTRIBUTES]: id,
  [Op.SIGN_MESSAGE]: lay([['id', 'u32'], ['alg', 'u32']] as const, [['hash', 1]] as const),
  [Op.VERIFY_MESSAGE]: lay([['id', 'u32'], ['alg', 'u32']] as const, [['hash', 1], ['signature', 2]] as const),
  [Op.VERIFY_PKCS7_SIGNATURE]: lay([] as const, [['signature', 1], ['hash', 2], ['certificate', 3]] as const),
  [Op.GET_UEFI_PRIV_AUTH_VAR_FINGERPRINT]: lay([] as const, [['signature', 1]] as const),
  [Op.HASH_SETUP]: lay([['alg', 'u32']] as const, [] as const),
  [Op.HASH_UPDATE]: opData,
  [Op.HASH_FINISH]: op,
  [Op.HASH_ABORT]: op,
  [Op.HASH_VERIFY]: lay([['op', 'u32']] as const, [['hash', 1]] as const),
  [Op.HASH_CLONE]: op,
  [Op.CIPHER_ENCRYPT_SETUP]: keyAlg,
  [Op.CIPHER_DECRYPT_SETUP]: keyAlg,
  [Op.CIPHER_GENERATE_IV]: op,
  [Op.CIPHER_SET_IV]: lay([['op', 'u32']] as const, [['iv', 1]] as const),
  [Op.CIPHER_UPDATE]: opData,
  [Op.CIPHER_FINISH]: op,
  [Op.CIPHER_ABORT]: op,
  [Op.KEY_DERIVATION_SETUP]: lay([['alg', 'u32']] as const, [] as const),
  [Op.KEY_DERIVATION_GET_CAPACITY]: op,
  [Op.KEY_DERIVATION_SET_CAPACITY]: lay([['op', 'u32'], ['capacity', 'u32']] as const, [] as const),
  [Op.KEY_DERIVATION_INPUT_BYTES]: lay([['op', 'u32'], ['step', 'u32']] as const, [['data', 1]] as const),
  [Op.KEY_DERIVATION_INPUT_KEY]: lay([['op', 'u32'], ['step', 'u32'], ['id', 'u32']] as const, [] as const),
  [Op.KEY_DERIVATION_OUTPUT_BYTES]: lay([['op', 'u32'], ['length', 'u32']] as const, [] as const),
  [Op.KEY_DERIVATION_OUTPUT_KEY]: lay([['op', 'u32'], ['attributes', 'attrs']] as const, [] as const),
  [Op.KEY_DERIVATION_ABORT]: op,
  [Op.KEY_DERIVATION_KEY_AGREEMENT]: lay([['op', 'u32'], ['step', 'u32'], ['id', 'u32']] as const, [['peer', 1]] as const),
  [Op.KEY_DERIVATION_RAW_KEY_AGREEMENT]: lay([['alg', 'u32'], ['id', 'u32']] as const, [['peer', 1]] as const),
  [Op.KEY_DERIVATION_INPUT_INTEGER]: lay([['op', 'u32'], ['step', 'u32'], ['value', 'u64']] as const, [] as const),
  [Op.MAC_SIGN_SETUP]: keyAlg,
  [Op.MAC_VERIFY_SETUP]: keyAlg,
  [Op.MAC_UPDATE]: opData,
  [Op.MAC_SIGN_FINISH]: op,
  [Op.MAC_VERIFY_FINISH]: lay([['op', 'u32']] as const, [['mac', 1]] as const),
  [Op.MAC_ABORT]: op,
  [Op.AEAD_ENCRYPT_SETUP]: keyAlg,
  [Op.AEAD_DECRYPT_SETUP]: keyAlg,
  [Op.AEAD_GENERATE_NONCE]: op,
  [Op.AEAD_SET_NONCE]: lay([['op', 'u32']] as const, [['nonce', 1]] as const),
  [Op.AEAD_SET_LENGTHS]: lay([['op', 'u32'], ['adLength', 'u32'], ['plaintextLength', 'u32']] as const, [] as const),
  [Op.AEAD_UPDATE_AD]: opData,
  [Op.AEAD_UPDATE]: opData,
  [Op.AEAD_FINISH]: op,
  [Op.AEAD_VERIFY]: lay([['op', 'u32']] as const, [['tag', 1]] as const),
  [Op.AEAD_ABORT]: op,
} as const;

/** Response layouts by opcode, for a PSA_SUCCESS answer (`_out` structs and `_OUT_TAG_` records). */
export const RESPONSE = {
  [Op.GENERATE_KEY]: id,
  [Op.DESTROY_KEY]: none,
  [Op.EXPORT_KEY]: data,
  [Op.EXPORT_PUBLIC_KEY]: data,
  [Op.IMPORT_KEY]: id,
  [Op.SIGN_HASH]: lay([] as const, [['signature', 1]] as const),
  [Op.VERIFY_HASH]: none,
  [Op.ASYMMETRIC_DECRYPT]: lay([] as const, [['output', 1]] as const),
  [Op.ASYMMETRIC_ENCRYPT]: lay([] as const, [['output', 1]] as const),
  [Op.GENERATE_RANDOM]: data,
  [Op.COPY_KEY]: id,
  [Op.PURGE_KEY]: none,
  [Op.GET_KEY_ATTRIBUTES]: lay([['attributes', 'attrs']] as const, [] as const),
  [Op.SIGN_MESSAGE]: lay([] as const, [['signature', 1]] as const),
  [Op.VERIFY_MESSAGE]: none,
  [Op.VERIFY_PKCS7_SIGNATURE]: none,
  [Op.GET_UEFI_PRIV_AUTH_VAR_FINGERPRINT]: lay([] as const, [['identifier', 1]] as const),
  [Op.HASH_SETUP]: op,
  [Op.HASH_UPDATE]: none,
  [Op.HASH_FINISH]: lay([] as const, [['hash', 1]] as const),
  [Op.HASH_ABORT]: none,
  [Op.HASH_VERIFY]: none,
  [Op.HASH_CLONE]: op,
  [Op.CIPHER_ENCRYPT_SETUP]: op,
  [Op.CIPHER_DECRYPT_SETUP]: op,
  [Op.CIPHER_GENERATE_IV]: lay([] as const, [['iv', 1]] as const),
  [Op.CIPHER_SET_IV]: none,
  [Op.CIPHER_UPDATE]: data,
  [Op.CIPHER_FINISH]: data,
  [Op.CIPHER_ABORT]: none,
  [Op.KEY_DERIVATION_SETUP]: op,
  [Op.KEY_DERIVATION_GET_CAPACITY]: lay([['capacity', 'u32']] as const, [] as const),
  [Op.KEY_DERIVATION_SET_CAPACITY]: none,
  [Op.KEY_DERIVATION_INPUT_BYTES]: none,
  [Op.KEY_DERIVATION_INPUT_KEY]: none,
  [Op.KEY_DERIVATION_OUTPUT_BYTES]: data,
  [Op.KEY_DERIVATION_OUTPUT_KEY]: id,
  [Op.KEY_DERIVATION_ABORT]: none,
  [Op.KEY_DERIVATION_KEY_AGREEMENT]: none,
  [Op.KEY_DERIVATION_RAW_KEY_AGREEMENT]: lay([] as const, [['output', 1]] as const),
  [Op.KEY_DERIVATION_INPUT_INTEGER]: none,
  [Op.MAC_SIGN_SETUP]: op,
  [Op.MAC_VERIFY_SETUP]: op,
  [Op.MAC_UPDATE]: none,
  [Op.MAC_SIGN_FINISH]: lay([] as const, [['mac', 1]] as const),
  [Op.MAC_VERIFY_FINISH]: none,
  [Op.MAC_ABORT]: none,
  [Op.AEAD_ENCRYPT_SETUP]: op,
  [Op.AEAD_DECRYPT_SETUP]: op,
  [Op.AEAD_GENERATE_NONCE]: lay([] as const, [['nonce', 1]] as const),
  [Op.AEAD_SET_NONCE]: none,
  [Op.AEAD_SET_LENGTHS]: none,
  [Op.AEAD_UPDATE_AD]: none,
  [Op.AEAD_UPDATE]: data,
  [Op.AEAD_FINISH]: lay([] as const, [['ciphertext', 1], ['tag', 2]] as const),
  [Op.AEAD_VERIFY]: lay([] as const, [['plaintext', 1]] as const),
  [Op.AEAD_ABORT]: none,
} as const;

export type RequestOpcode = keyof typeof REQUEST;
export type Request<O extends RequestOpcode> = Fields<(typeof REQUEST)[O]>;
export type Response<O extends RequestOpcode> = Fields<(typeof RESPONSE)[O]>;

/** Size of an opcode's fixed request part (what a request must at least hold). */
export function requestFixedSize(opcode: number): number | undefined {
  const l = (REQUEST as Record<number, Layout>)[opcode];
  return l ? fixedSize(l) : undefined;
}

function encodeWith(l: Layout, v: Record<string, unknown>): Uint8Array {
  const w = new Writer(64);
  for (const [name, kind] of l.fixed) {
    const x = v[name];
    if (kind === 'u32') w.u32le(x as number);
    else if (kind === 'u64') w.u64le(x as bigint);
    else writeAttributes(w, x as KeyAttributes);
  }
  const recs: TlvRecord[] = [];
  for (const [name, tag] of l.tlv) {
    const x = v[name] as Uint8Array | undefined;
    if (x !== undefined) recs.push({ tag, value: x });
  }
  w.bytes(encodeTlv(recs));
  return w.finish();
}

function decodeWith(l: Layout, body: Uint8Array, what: string, requireRecords: boolean): Record<string, unknown> {
  const r = new Reader(body, what);
  const out: Record<string, unknown> = {};
  for (const [name, kind] of l.fixed) {
    out[name] = kind === 'u32' ? r.u32le(name) : kind === 'u64' ? r.u64le(name) : readAttributes(r);
  }
  const recs = l.tlv.length ? decodeTlv(r.rest(), `${what} records`) : (r.rest(), []);
  for (const [name, tag] of l.tlv) {
    const rec = recs.find((x) => x.tag === tag);
    if (!rec && requireRecords) throw new DecodeError(`${what}: record ${tag} (${name}) is missing`);
    out[name] = rec ? rec.value : new Uint8Array(0);
  }
  return out;
}

/**
 * Encodes a request. TLV fields left undefined are omitted (the provider
 * reads them as empty); pass an empty array to send an empty record.
 */
export function encodeRequest<O extends RequestOpcode>(opcode: O, v: Partial<Request<O>>): Uint8Array {
  return encodeWith(REQUEST[opcode], v as Record<string, unknown>);
}

export function decodeRequest<O extends RequestOpcode>(opcode: O, body: Uint8Array): Request<O> {
  return decodeWith(REQUEST[opcode], body, `request 0x${opcode.toString(16)}`, false) as Request<O>;
}

export function encodeResponse<O extends RequestOpcode>(opcode: O, v: Response<O>): Uint8Array {
  return encodeWith(RESPONSE[opcode], v as Record<string, unknown>);
}

export function decodeResponse<O extends RequestOpcode>(opcode: O, body: Uint8Array): Response<O> {
  return decodeWith(RESPONSE[opcode], body, `response 0x${opcode.toString(16)}`, true) as Response<O>;
}

export function isRequestOpcode(op: number): op is RequestOpcode {
  return Object.hasOwn(REQUEST, op);
}
