// Trusted Services packed-c secure-storage messages (ITS and PS share them).
// Source of the layouts: trusted-services
// protocols/service/secure_storage/packed-c/secure_storage_proto.h (packed,
// little-endian). Variable data follows the fixed part raw, not as TLV.
import { DecodeError, Reader, Writer, U64_MAX } from '../bytes.js';

export const StorageOpcode = {
  SET: 0x100,
  GET: 0x101,
  GET_INFO: 0x102,
  REMOVE: 0x103,
  CREATE: 0x104,
  SET_EXTENDED: 0x105,
  GET_SUPPORT: 0x106,
} as const;
export type StorageOpcode = (typeof StorageOpcode)[keyof typeof StorageOpcode];

const OPCODE_NAMES = new Map<number, string>(
  Object.entries(StorageOpcode).map(([k, v]) => [v, k.toLowerCase()]),
);
export function storageOpcodeName(op: number): string {
  return OPCODE_NAMES.get(op) ?? `opcode 0x${op.toString(16)}`;
}

export const StorageFlag = {
  NONE: 0,
  WRITE_ONCE: 1 << 0,
  NO_CONFIDENTIALITY: 1 << 1,
  NO_REPLAY_PROTECTION: 1 << 2,
} as const;
export const STORAGE_DEFINED_FLAGS =
  StorageFlag.WRITE_ONCE | StorageFlag.NO_CONFIDENTIALITY | StorageFlag.NO_REPLAY_PROTECTION;

export const STORAGE_SUPPORT_SET_EXTENDED = 1 << 0;

/** `WRITE_ONCE|NO_CONFIDENTIALITY`, `NONE`, unknown bits as hex. */
export function storageFlagsName(flags: number): string {
  if (flags === 0) return 'NONE';
  const parts: string[] = [];
  for (const [name, bit] of Object.entries(StorageFlag)) {
    if (bit !== 0 && (flags & bit) !== 0) parts.push(name);
  }
  const unknown = (flags & ~STORAGE_DEFINED_FLAGS) >>> 0;
  if (unknown) parts.push(`0x${unknown.toString(16)}`);
  return parts.join('|');
}

/** Fixed-part sizes (bytes) of each packed struct. */
export const SIZES = {
  set: 20,
  get: 24,
  getInfo: 8,
  getInfoResponse: 20,
  remove: 8,
  create: 20,
  setExtended: 24,
  getSupportResponse: 4,
} as const;

export interface SetRequest {
  uid: bigint;
  flags: number;
  data: Uint8Array;
}
export interface GetRequest {
  uid: bigint;
  offset: bigint;
  size: bigint;
}
export interface StorageInfo {
  capacity: bigint;
  size: bigint;
  flags: number;
}
export interface CreateRequest {
  uid: bigint;
  capacity: bigint;
  flags: number;
}
export interface SetExtendedRequest {
  uid: bigint;
  offset: bigint;
  data: Uint8Array;
}

/**
 * `dataLength` overrides the length field for wire-level checks that send a
 * length inconsistent with the bytes that follow.
 */
export function encodeSet(r: SetRequest, dataLength?: bigint): Uint8Array {
  return new Writer(SIZES.set + r.data.length)
    .u64le(r.uid)
    .u64le(dataLength ?? BigInt(r.data.length))
    .u32le(r.flags)
    .bytes(r.data)
    .finish();
}

export function decodeSet(body: Uint8Array): SetRequest {
  const r = new Reader(body, 'set request');
  const uid = r.u64le('uid');
  const len = r.u64le('data_length');
  const flags = r.u32le('create_flags');
  return { uid, flags, data: readData(r, len) };
}

export function encodeGet(r: GetRequest): Uint8Array {
  return new Writer(SIZES.get).u64le(r.uid).u64le(r.offset).u64le(r.size).finish();
}

export function decodeGet(body: Uint8Array): GetRequest {
  const r = new Reader(body, 'get request');
  return { uid: r.u64le('uid'), offset: r.u64le('data_offset'), size: r.u64le('data_size') };
}

export function encodeUid(uid: bigint): Uint8Array {
  return new Writer(8).u64le(uid).finish();
}

export function decodeUid(body: Uint8Array, what: string): bigint {
  return new Reader(body, what).u64le('uid');
}

export function encodeInfo(i: StorageInfo): Uint8Array {
  return new Writer(SIZES.getInfoResponse).u64le(i.capacity).u64le(i.size).u32le(i.flags).finish();
}

export function decodeInfo(body: Uint8Array): StorageInfo {
  const r = new Reader(body, 'get_info response');
  return { capacity: r.u64le('capacity'), size: r.u64le('size'), flags: r.u32le('flags') };
}

export function encodeCreate(r: CreateRequest): Uint8Array {
  return new Writer(SIZES.create).u64le(r.uid).u64le(r.capacity).u32le(r.flags).finish();
}

export function decodeCreate(body: Uint8Array): CreateRequest {
  const r = new Reader(body, 'create request');
  return { uid: r.u64le('uid'), capacity: r.u64le('capacity'), flags: r.u32le('create_flags') };
}

export function encodeSetExtended(r: SetExtendedRequest, dataLength?: bigint): Uint8Array {
  return new Writer(SIZES.setExtended + r.data.length)
    .u64le(r.uid)
    .u64le(r.offset)
    .u64le(dataLength ?? BigInt(r.data.length))
    .bytes(r.data)
    .finish();
}

export function decodeSetExtended(body: Uint8Array): SetExtendedRequest {
  const r = new Reader(body, 'set_extended request');
  const uid = r.u64le('uid');
  const offset = r.u64le('data_offset');
  const len = r.u64le('data_length');
  return { uid, offset, data: readData(r, len) };
}

export function encodeSupport(flags: number): Uint8Array {
  return new Writer(4).u32le(flags).finish();
}

export function decodeSupport(body: Uint8Array): number {
  return new Reader(body, 'get_support response').u32le('support');
}

/** The data that follows a fixed part; a length beyond the buffer is malformed. */
function readData(r: Reader, len: bigint): Uint8Array {
  if (len > BigInt(r.remaining)) {
    throw new DecodeError(
      `data_length ${len === U64_MAX ? 'SIZE_MAX' : len} exceeds the ${r.remaining} byte(s) that follow`,
      r.offset,
    );
  }
  // trailing bytes past data_length are ignored, as the TS provider does
  return r.bytes(Number(len), 'data');
}
