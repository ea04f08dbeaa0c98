// Payloads of the SMM variable functions (after the 16-byte
// SMM_VARIABLE_COMMUNICATE_HEADER), LP64, not packed; every UINTN is 8 bytes
// (as Trusted Services hard-codes it). Offsets from edk2
// MdeModulePkg/Include/Guid/SmmVariableCommon.h and Protocol/VarCheck.h:
//
//   ACCESS_VARIABLE (Get, Set)    Guid@0 DataSize@16 NameSize@24 Attributes@32 Name@36, data @36+NameSize
//   GET_NEXT_VARIABLE_NAME, LOCK  Guid@0 NameSize@16 Name@24
//   QUERY_VARIABLE_INFO           MaxStorage@0 Remaining@8 MaxVariableSize@16 Attributes@24 (32 bytes)
//   VAR_CHECK_VARIABLE_PROPERTY   Guid@0 NameSize@16 VariableProperty@24 (24 bytes) Name@48
//   GET_PAYLOAD_SIZE              VariablePayloadSize@0 (8 bytes)
import { DecodeError, Reader, Writer, U64_MAX } from '../bytes.js';
import { guidBytes, guidText } from './guid.js';

export const ACCESS_VARIABLE_NAME_OFFSET = 36;
export const GET_NEXT_NAME_OFFSET = 24;
export const LOCK_NAME_OFFSET = 24;
export const QUERY_VARIABLE_INFO_SIZE = 32;
export const VAR_CHECK_NAME_OFFSET = 48;
export const VAR_CHECK_PROPERTY_SIZE = 24;
export const GET_PAYLOAD_SIZE_SIZE = 8;

export const ATTR = {
  NON_VOLATILE: 0x01,
  BOOTSERVICE_ACCESS: 0x02,
  RUNTIME_ACCESS: 0x04,
  HARDWARE_ERROR_RECORD: 0x08,
  AUTHENTICATED_WRITE_ACCESS: 0x10,
  TIME_BASED_AUTHENTICATED_WRITE_ACCESS: 0x20,
  APPEND_WRITE: 0x40,
  ENHANCED_AUTHENTICATED_ACCESS: 0x80,
} as const;

const SHORT: [number, string][] = [
  [ATTR.NON_VOLATILE, 'NV'],
  [ATTR.BOOTSERVICE_ACCESS, 'BS'],
  [ATTR.RUNTIME_ACCESS, 'RT'],
  [ATTR.HARDWARE_ERROR_RECORD, 'HR'],
  [ATTR.AUTHENTICATED_WRITE_ACCESS, 'AW'],
  [ATTR.TIME_BASED_AUTHENTICATED_WRITE_ACCESS, 'AT'],
  [ATTR.APPEND_WRITE, 'APPEND'],
  [ATTR.ENHANCED_AUTHENTICATED_ACCESS, 'EA'],
];

/** Attributes as UEFI shell tools print them: `NV|BS|RT`, `0` for none, unknown bits in hex. */
export function attrName(attrs: number): string {
  const a = attrs >>> 0;
  if (a === 0) return '0';
  const parts = SHORT.filter(([bit]) => (a & bit) !== 0).map(([, n]) => n);
  const unknown = (a & ~0xff) >>> 0;
  if (unknown) parts.push(`0x${unknown.toString(16)}`);
  return parts.join('|');
}

export const NV_BS_RT = ATTR.NON_VOLATILE | ATTR.BOOTSERVICE_ACCESS | ATTR.RUNTIME_ACCESS;
export const NV_BS = ATTR.NON_VOLATILE | ATTR.BOOTSERVICE_ACCESS;
export const BS_RT = ATTR.BOOTSERVICE_ACCESS | ATTR.RUNTIME_ACCESS;
export const NV_BS_RT_AT = NV_BS_RT | ATTR.TIME_BASED_AUTHENTICATED_WRITE_ACCESS;

/** A variable name as CHAR16 code units, NUL-terminated (StrSize bytes). */
export function encodeName(name: string): Uint8Array {
  const out = new Uint8Array((name.length + 1) * 2);
  const v = new DataView(out.buffer);
  for (let i = 0; i < name.length; i++) v.setUint16(i * 2, name.charCodeAt(i), true);
  return out;
}

/**
 * The name in the first `size` bytes of `bytes`, up to its NUL; undefined when
 * no CHAR16 NUL lies within them (an unterminated name).
 */
export function decodeName(bytes: Uint8Array, size = bytes.length): string | undefined {
  const n = Math.floor(Math.min(size, bytes.length) / 2);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let s = '';
  for (let i = 0; i < n; i++) {
    const c = v.getUint16(i * 2, true);
    if (c === 0) return s;
    s += String.fromCharCode(c);
  }
  return undefined;
}

/** A name for messages: quoted, non-printable code units escaped. */
export function showName(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…(${name.length} chars)` : name);
}

const sizeText = (v: bigint) => (v === U64_MAX ? 'SIZE_MAX' : String(v));

// ---- SMM_VARIABLE_COMMUNICATE_ACCESS_VARIABLE ---------------------------------

export interface AccessVariable {
  guid: string;
  /** DataSize and NameSize as on the wire (UINTN). */
  dataSize: bigint;
  nameSize: bigint;
  attributes: number;
  /** Bytes after the fixed part (name, then data, then anything else). */
  tail: Uint8Array;
}

export interface AccessVariableRequest {
  guid: string;
  name: string | Uint8Array;
  attributes: number;
  data?: Uint8Array;
  /** DataSize field; default the data length (GetVariable: the room for data). */
  dataSize?: bigint;
  /** NameSize field; default the encoded name length. */
  nameSize?: bigint;
  /** Bytes of room after the name for the answer's data (GetVariable). */
  room?: number;
}

export function encodeAccessVariable(r: AccessVariableRequest): Uint8Array {
  const name = typeof r.name === 'string' ? encodeName(r.name) : r.name;
  const data = r.data ?? new Uint8Array(0);
  const w = new Writer(ACCESS_VARIABLE_NAME_OFFSET + name.length + data.length + (r.room ?? 0));
  w.bytes(guidBytes(r.guid))
    .u64le(r.dataSize ?? BigInt(data.length))
    .u64le(r.nameSize ?? BigInt(name.length))
    .u32le(r.attributes)
    .bytes(name)
    .bytes(data);
  if (r.room) w.zeros(r.room);
  return w.finish();
}

export function decodeAccessVariable(payload: Uint8Array): AccessVariable {
  const r = new Reader(payload, 'SMM_VARIABLE_COMMUNICATE_ACCESS_VARIABLE');
  const guid = guidText(r.bytes(16, 'Guid'));
  const dataSize = r.u64le('DataSize');
  const nameSize = r.u64le('NameSize');
  const attributes = r.u32le('Attributes');
  return { guid, dataSize, nameSize, attributes, tail: r.rest() };
}

/**
 * Name and data of an access-variable payload, checked against the payload:
 * NameSize + DataSize must fit (no wrap-around), the name must end in a CHAR16
 * NUL at NameSize - 2. `dataNeeded` false (GetVariable) only requires the
 * name to fit. Throws DecodeError naming the inconsistency.
 */
export function accessVariableParts(a: AccessVariable, dataNeeded = true): { nameBytes: Uint8Array; name: string; data: Uint8Array } {
  const room = BigInt(a.tail.length);
  if (a.nameSize > room) throw new DecodeError(`NameSize ${sizeText(a.nameSize)} exceeds the ${room} byte(s) after the fixed part`);
  if (dataNeeded && a.dataSize > room - a.nameSize) {
    throw new DecodeError(`NameSize ${a.nameSize} + DataSize ${sizeText(a.dataSize)} exceed the ${room} byte(s) after the fixed part`);
  }
  const nameBytes = a.tail.subarray(0, Number(a.nameSize));
  const name = checkedName(nameBytes);
  const dataLen = dataNeeded ? Number(a.dataSize) : 0;
  return { nameBytes, name, data: a.tail.subarray(nameBytes.length, nameBytes.length + dataLen) };
}

/** The name of a NameSize-byte field: even size >= 2, last CHAR16 NUL, no NUL before it... */
export function checkedName(nameBytes: Uint8Array): string {
  if (nameBytes.length < 2 || nameBytes.length % 2 !== 0) {
    throw new DecodeError(`NameSize ${nameBytes.length} is not a whole number of CHAR16 (at least one)`);
  }
  const v = new DataView(nameBytes.buffer, nameBytes.byteOffset, nameBytes.byteLength);
  if (v.getUint16(nameBytes.length - 2, true) !== 0) throw new DecodeError('the name is not NUL-terminated within NameSize');
  return decodeName(nameBytes)!;
}

// ---- SMM_VARIABLE_COMMUNICATE_GET_NEXT_VARIABLE_NAME (and LOCK_VARIABLE) -------

export interface NameGuid {
  guid: string;
  nameSize: bigint;
  tail: Uint8Array;
}

export interface GetNextRequest {
  guid: string;
  name: string | Uint8Array;
  /** NameSize field; default the name buffer size. */
  nameSize?: bigint;
  /** Size of the name buffer (room for the answer); default the encoded name. */
  bufferSize?: number;
}

export function encodeGetNext(r: GetNextRequest): Uint8Array {
  const name = typeof r.name === 'string' ? encodeName(r.name) : r.name;
  const size = Math.max(r.bufferSize ?? name.length, name.length);
  const w = new Writer(GET_NEXT_NAME_OFFSET + size);
  w.bytes(guidBytes(r.guid)).u64le(r.nameSize ?? BigInt(size)).bytes(name).zeros(size - name.length);
  return w.finish();
}

export function decodeNameGuid(payload: Uint8Array, what = 'SMM_VARIABLE_COMMUNICATE_GET_NEXT_VARIABLE_NAME'): NameGuid {
  const r = new Reader(payload, what);
  const guid = guidText(r.bytes(16, 'Guid'));
  const nameSize = r.u64le('NameSize');
  return { guid, nameSize, tail: r.rest() };
}

export const encodeLockVariable = (guid: string, name: string) => encodeGetNext({ guid, name });

// ---- SMM_VARIABLE_COMMUNICATE_QUERY_VARIABLE_INFO ------------------------------

export interface VariableInfo {
  maximumVariableStorageSize: bigint;
  remainingVariableStorageSize: bigint;
  maximumVariableSize: bigint;
  attributes: number;
}

export function encodeQueryInfo(q: VariableInfo): Uint8Array {
  return new Writer(QUERY_VARIABLE_INFO_SIZE)
    .u64le(q.maximumVariableStorageSize)
    .u64le(q.remainingVariableStorageSize)
    .u64le(q.maximumVariableSize)
    .u32le(q.attributes)
    .zeros(4)
    .finish();
}

export function decodeQueryInfo(payload: Uint8Array): VariableInfo {
  const r = new Reader(payload, 'SMM_VARIABLE_COMMUNICATE_QUERY_VARIABLE_INFO');
  const maximumVariableStorageSize = r.u64le('MaximumVariableStorageSize');
  const remainingVariableStorageSize = r.u64le('RemainingVariableStorageSize');
  const maximumVariableSize = r.u64le('MaximumVariableSize');
  const attributes = r.u32le('Attributes');
  return { maximumVariableStorageSize, remainingVariableStorageSize, maximumVariableSize, attributes };
}

// ---- VAR_CHECK_VARIABLE_PROPERTY -------------------------------------------------

export const VAR_CHECK_VARIABLE_PROPERTY_REVISION = 0x0001;
export const VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY = 0x0001;

export interface VarCheckProperty {
  revision: number;
  property: number;
  attributes: number;
  minSize: bigint;
  maxSize: bigint;
}

export function encodeVarCheckProperty(p: VarCheckProperty): Uint8Array {
  return new Writer(VAR_CHECK_PROPERTY_SIZE)
    .u16le(p.revision)
    .u16le(p.property)
    .u32le(p.attributes)
    .u64le(p.minSize)
    .u64le(p.maxSize)
    .finish();
}

export function decodeVarCheckProperty(bytes: Uint8Array): VarCheckProperty {
  const r = new Reader(bytes, 'VAR_CHECK_VARIABLE_PROPERTY');
  return { revision: r.u16le('Revision'), property: r.u16le('Property'), attributes: r.u32le('Attributes'), minSize: r.u64le('MinSize'), maxSize: r.u64le('MaxSize') };
}

export interface VarCheckRequest {
  guid: string;
  name: string | Uint8Array;
  property?: VarCheckProperty;
  nameSize?: bigint;
}

export function encodeVarCheck(r: VarCheckRequest): Uint8Array {
  const name = typeof r.name === 'string' ? encodeName(r.name) : r.name;
  const prop = r.property ?? { revision: 0, property: 0, attributes: 0, minSize: 0n, maxSize: 0n };
  return new Writer(VAR_CHECK_NAME_OFFSET + name.length)
    .bytes(guidBytes(r.guid))
    .u64le(r.nameSize ?? BigInt(name.length))
    .bytes(encodeVarCheckProperty(prop))
    .bytes(name)
    .finish();
}

export interface VarCheckPayload {
  guid: string;
  nameSize: bigint;
  property: VarCheckProperty;
  tail: Uint8Array;
}

export function decodeVarCheck(payload: Uint8Array): VarCheckPayload {
  const r = new Reader(payload, 'SMM_VARIABLE_COMMUNICATE_VAR_CHECK_VARIABLE_PROPERTY');
  const guid = guidText(r.bytes(16, 'Guid'));
  const nameSize = r.u64le('NameSize');
  const property = decodeVarCheckProperty(r.bytes(VAR_CHECK_PROPERTY_SIZE, 'VariableProperty'));
  return { guid, nameSize, property, tail: r.rest() };
}

// ---- GET_PAYLOAD_SIZE -------------------------------------------------------------

export function decodePayloadSize(payload: Uint8Array): bigint {
  return new Reader(payload, 'SMM_VARIABLE_COMMUNICATE_GET_PAYLOAD_SIZE').u64le('VariablePayloadSize');
}

export function encodePayloadSize(size: bigint): Uint8Array {
  return new Writer(8).u64le(size).finish();
}
