// The MM communication buffer that carries one SMM variable request:
//
//   EFI_MM_COMMUNICATE_HEADER (v1, packed, LP64)     24 bytes
//     @0  EFI_GUID HeaderGuid   (gEfiSmmVariableProtocolGuid)
//     @16 UINTN    MessageLength (bytes of Data, i.e. everything after @24)
//   SMM_VARIABLE_COMMUNICATE_HEADER                   16 bytes
//     @24 UINTN      Function   (SMM_VARIABLE_FUNCTION_*)
//     @32 EFI_STATUS ReturnStatus
//   payload                                           @40
//
// or, recognised by its HeaderGuid, EFI_MM_COMMUNICATE_HEADER_V3 (packed):
//     @0 HeaderGuid = gEfiMmCommunicateHeaderV3Guid, @16 UINT64 BufferSize
//     (whole buffer), @24 UINT64 Reserved, @32 MessageGuid, @48 UINT64
//     MessageSize, @56 MessageData.
//
// Sources: edk2 MdePkg/Include/Protocol/MmCommunication.h,
// MdePkg/Include/Pi/PiMultiPhase.h, MdeModulePkg/Include/Guid/SmmVariableCommon.h.
import { DecodeError, Reader, Writer } from '../bytes.js';
import { GUIDS, guidBytes, guidEqual, guidText } from './guid.js';

export const MM_HEADER_V1_SIZE = 24;
export const MM_HEADER_V3_SIZE = 56;
export const SMM_VARIABLE_HEADER_SIZE = 16;

export const SmmVariableFunction = {
  GET_VARIABLE: 1,
  GET_NEXT_VARIABLE_NAME: 2,
  SET_VARIABLE: 3,
  QUERY_VARIABLE_INFO: 4,
  READY_TO_BOOT: 5,
  EXIT_BOOT_SERVICE: 6,
  GET_STATISTICS: 7,
  LOCK_VARIABLE: 8,
  VAR_CHECK_VARIABLE_PROPERTY_SET: 9,
  VAR_CHECK_VARIABLE_PROPERTY_GET: 10,
  GET_PAYLOAD_SIZE: 11,
  INIT_RUNTIME_VARIABLE_CACHE_CONTEXT: 12,
  SYNC_RUNTIME_CACHE: 13,
  GET_RUNTIME_CACHE_INFO: 14,
} as const;

const FUNCTION_NAMES = new Map<bigint, string>(
  Object.entries(SmmVariableFunction).map(([k, v]) => [BigInt(v), `SMM_VARIABLE_FUNCTION_${k}`]),
);

export function functionName(fn: bigint | number): string {
  const f = BigInt(fn);
  return FUNCTION_NAMES.get(f) ?? `SMM_VARIABLE_FUNCTION ${f}`;
}

/** The opcode of the fwsec envelope for smm-variable (as PTA_STMM_CMD_COMMUNICATE). */
export const MM_COMMUNICATE_OPCODE = 0;

export interface BuildOptions {
  /** 1 (EFI_MM_COMMUNICATE_HEADER, default) or 3 (EFI_MM_COMMUNICATE_HEADER_V3). */
  version?: 1 | 3;
  /** HeaderGuid (v1) or MessageGuid (v3); default gEfiSmmVariableProtocolGuid. */
  guid?: string;
  /** Replaces the computed MessageLength (v1) / MessageSize (v3), for wire checks. */
  messageLength?: bigint;
  /** Replaces the computed BufferSize (v3 only). */
  bufferSize?: bigint;
  /** ReturnStatus the caller leaves in the buffer (U-Boot calloc's it: 0). */
  returnStatus?: bigint;
}

/** A complete communication buffer: MM header, SMM variable header, payload. */
export function buildCommBuffer(fn: bigint | number, payload: Uint8Array, o: BuildOptions = {}): Uint8Array {
  const message = new Writer(SMM_VARIABLE_HEADER_SIZE + payload.length)
    .u64le(BigInt(fn))
    .u64le(o.returnStatus ?? 0n)
    .bytes(payload)
    .finish();
  return wrapMessage(message, o);
}

/** Puts an MM header in front of `message` (the bytes the handler sees). */
export function wrapMessage(message: Uint8Array, o: BuildOptions = {}): Uint8Array {
  const guid = guidBytes(o.guid ?? GUIDS.SMM_VARIABLE);
  const len = o.messageLength ?? BigInt(message.length);
  if ((o.version ?? 1) === 3) {
    return new Writer(MM_HEADER_V3_SIZE + message.length)
      .bytes(guidBytes(GUIDS.MM_COMMUNICATE_HEADER_V3))
      .u64le(o.bufferSize ?? BigInt(MM_HEADER_V3_SIZE + message.length))
      .u64le(0n)
      .bytes(guid)
      .u64le(len)
      .bytes(message)
      .finish();
  }
  return new Writer(MM_HEADER_V1_SIZE + message.length).bytes(guid).u64le(len).bytes(message).finish();
}

export interface MmHeader {
  version: 1 | 3;
  /** The GUID naming the handler (v1 HeaderGuid, v3 MessageGuid), text form. */
  guid: string;
  /** Offset of the message in the buffer. */
  headerSize: number;
  /** MessageLength (v1) or MessageSize (v3) as declared. */
  messageLength: bigint;
  /** v3 BufferSize as declared (v1: MessageLength + 24). */
  bufferSize: bigint;
}

/** Reads the MM header; throws DecodeError when the buffer cannot hold it. */
export function decodeMmHeader(buf: Uint8Array): MmHeader {
  const r = new Reader(buf, 'MM communicate buffer');
  const first = r.bytes(16, 'HeaderGuid');
  if (guidEqual(first, guidBytes(GUIDS.MM_COMMUNICATE_HEADER_V3))) {
    const bufferSize = r.u64le('BufferSize');
    r.u64le('Reserved');
    const guid = guidText(r.bytes(16, 'MessageGuid'));
    const messageLength = r.u64le('MessageSize');
    return { version: 3, guid, headerSize: MM_HEADER_V3_SIZE, messageLength, bufferSize };
  }
  const messageLength = r.u64le('MessageLength');
  return {
    version: 1,
    guid: guidText(first),
    headerSize: MM_HEADER_V1_SIZE,
    messageLength,
    bufferSize: messageLength + BigInt(MM_HEADER_V1_SIZE),
  };
}

/**
 * The message bytes the header announces, as a view into `buf`; throws
 * DecodeError when the announced sizes do not fit the buffer (a v3 BufferSize
 * other than the bytes present counts as inconsistent).
 */
export function messageOf(buf: Uint8Array, h: MmHeader): Uint8Array {
  const avail = BigInt(buf.length - h.headerSize);
  if (h.version === 3 && h.bufferSize !== BigInt(buf.length)) {
    throw new DecodeError(`BufferSize ${h.bufferSize} is not the ${buf.length} bytes of the buffer`);
  }
  if (h.messageLength > avail) {
    throw new DecodeError(`message length ${h.messageLength} exceeds the ${avail} byte(s) after the MM header`);
  }
  return buf.subarray(h.headerSize, h.headerSize + Number(h.messageLength));
}

export interface SmmVariableHeader {
  fn: bigint;
  returnStatus: bigint;
  payload: Uint8Array;
}

export function decodeSmmVariableHeader(message: Uint8Array): SmmVariableHeader {
  const r = new Reader(message, 'SMM_VARIABLE_COMMUNICATE_HEADER');
  const fn = r.u64le('Function');
  const returnStatus = r.u64le('ReturnStatus');
  return { fn, returnStatus, payload: r.rest() };
}

/** A parsed answer: the service's ReturnStatus and its payload, as left in the buffer. */
export interface CommAnswer {
  header: MmHeader;
  fn: bigint;
  returnStatus: bigint;
  payload: Uint8Array;
}

/** Decodes the buffer a service answered; throws DecodeError on a truncated one. */
export function decodeCommBuffer(buf: Uint8Array): CommAnswer {
  const header = decodeMmHeader(buf);
  const message = messageOf(buf, header);
  const s = decodeSmmVariableHeader(message);
  return { header, fn: s.fn, returnStatus: s.returnStatus, payload: s.payload };
}
