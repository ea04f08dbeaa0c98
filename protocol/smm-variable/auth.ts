// Time-based authenticated variables and signature lists (UEFI 2.10 8.2
// SetVariable "Using the EFI_VARIABLE_AUTHENTICATION_2 descriptor", 32.4.1
// Signature Database; edk2 MdePkg/Include/Uefi/UefiMultiPhase.h,
// Guid/WinCertificate.h, Guid/ImageAuthentication.h):
//
//   EFI_TIME (16)  Year u16@0 Month@2 Day@3 Hour@4 Minute@5 Second@6 Pad1@7
//                  Nanosecond u32@8 TimeZone i16@12 Daylight@14 Pad2@15
//   EFI_VARIABLE_AUTHENTICATION_2 = EFI_TIME TimeStamp @0 +
//   WIN_CERTIFICATE_UEFI_GUID AuthInfo @16:
//                  Hdr.dwLength u32@16 (covers Hdr + CertType + CertData)
//                  Hdr.wRevision u16@20 = 0x0200
//                  Hdr.wCertificateType u16@22 = WIN_CERT_TYPE_EFI_GUID 0x0EF1
//                  CertType GUID@24 = EFI_CERT_TYPE_PKCS7_GUID, CertData@40
//   new variable data at 16 + dwLength.
//
//   EFI_SIGNATURE_LIST: SignatureType GUID@0, SignatureListSize u32@16,
//   SignatureHeaderSize u32@20, SignatureSize u32@24, header@28, then
//   EFI_SIGNATURE_DATA entries (SignatureOwner GUID + SignatureData).
import { DecodeError, Reader, Writer, concat } from '../bytes.js';
import { GUIDS, guidBytes, guidText } from './guid.js';
import { encodeName } from './payloads.js';

export const EFI_TIME_SIZE = 16;
export const WIN_CERT_REVISION = 0x0200;
export const WIN_CERT_TYPE_EFI_GUID = 0x0ef1;
/** OFFSET_OF(EFI_VARIABLE_AUTHENTICATION_2, AuthInfo.CertData). */
export const AUTH2_CERT_DATA_OFFSET = 40;
/** OFFSET_OF(WIN_CERTIFICATE_UEFI_GUID, CertData): the smallest valid dwLength. */
export const WIN_CERT_UEFI_GUID_HEADER = 24;

export interface EfiTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  pad1?: number;
  nanosecond?: number;
  timeZone?: number;
  daylight?: number;
  pad2?: number;
}

export function encodeEfiTime(t: EfiTime): Uint8Array {
  const w = new Writer(EFI_TIME_SIZE);
  w.u16le(t.year).u8(t.month).u8(t.day).u8(t.hour).u8(t.minute).u8(t.second).u8(t.pad1 ?? 0);
  w.u32le(t.nanosecond ?? 0);
  w.u16le((t.timeZone ?? 0) & 0xffff).u8(t.daylight ?? 0).u8(t.pad2 ?? 0);
  return w.finish();
}

export function decodeEfiTime(bytes: Uint8Array): EfiTime {
  const r = new Reader(bytes, 'EFI_TIME');
  const year = r.u16le('Year');
  const month = r.u8('Month');
  const day = r.u8('Day');
  const hour = r.u8('Hour');
  const minute = r.u8('Minute');
  const second = r.u8('Second');
  const pad1 = r.u8('Pad1');
  const nanosecond = r.u32le('Nanosecond');
  const tz = r.u16le('TimeZone');
  const daylight = r.u8('Daylight');
  const pad2 = r.u8('Pad2');
  return { year, month, day, hour, minute, second, pad1, nanosecond, timeZone: tz >= 0x8000 ? tz - 0x10000 : tz, daylight, pad2 };
}

/** Y/M/D h:m:s comparison as AuthService.c does it (the other fields must be 0). */
export function compareEfiTime(a: EfiTime, b: EfiTime): number {
  for (const k of ['year', 'month', 'day', 'hour', 'minute', 'second'] as const) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return 0;
}

export function efiTimeFromDate(d: Date): EfiTime {
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

export function showEfiTime(t: EfiTime): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(t.year, 4)}-${p(t.month)}-${p(t.day)} ${p(t.hour)}:${p(t.minute)}:${p(t.second)}`;
}

export interface Authentication2 {
  timeStamp: EfiTime;
  timeStampBytes: Uint8Array;
  dwLength: number;
  wRevision: number;
  wCertificateType: number;
  certType: string;
  /** DER PKCS#7 SignedData (or a ContentInfo wrapping it). */
  certData: Uint8Array;
  /** The new variable content that follows the descriptor. */
  payload: Uint8Array;
}

export interface Auth2Fields {
  timeStamp: EfiTime | Uint8Array;
  certData: Uint8Array;
  dwLength?: number;
  wRevision?: number;
  wCertificateType?: number;
  certType?: string;
}

/** EFI_VARIABLE_AUTHENTICATION_2 followed by `payload`. */
export function encodeAuthentication2(f: Auth2Fields, payload: Uint8Array): Uint8Array {
  const ts = f.timeStamp instanceof Uint8Array ? f.timeStamp : encodeEfiTime(f.timeStamp);
  return new Writer(AUTH2_CERT_DATA_OFFSET + f.certData.length + payload.length)
    .bytes(ts)
    .u32le(f.dwLength ?? WIN_CERT_UEFI_GUID_HEADER + f.certData.length)
    .u16le(f.wRevision ?? WIN_CERT_REVISION)
    .u16le(f.wCertificateType ?? WIN_CERT_TYPE_EFI_GUID)
    .bytes(guidBytes(f.certType ?? GUIDS.CERT_TYPE_PKCS7))
    .bytes(f.certData)
    .bytes(payload)
    .finish();
}

/** Splits variable data into descriptor and payload; DecodeError when dwLength does not fit. */
export function decodeAuthentication2(data: Uint8Array): Authentication2 {
  const r = new Reader(data, 'EFI_VARIABLE_AUTHENTICATION_2');
  const timeStampBytes = r.bytes(EFI_TIME_SIZE, 'TimeStamp');
  const dwLength = r.u32le('AuthInfo.Hdr.dwLength');
  const wRevision = r.u16le('AuthInfo.Hdr.wRevision');
  const wCertificateType = r.u16le('AuthInfo.Hdr.wCertificateType');
  const certType = guidText(r.bytes(16, 'AuthInfo.CertType'));
  if (dwLength < WIN_CERT_UEFI_GUID_HEADER) throw new DecodeError(`dwLength ${dwLength} is below the ${WIN_CERT_UEFI_GUID_HEADER}-byte WIN_CERTIFICATE_UEFI_GUID header`);
  if (dwLength > data.length - EFI_TIME_SIZE) throw new DecodeError(`dwLength ${dwLength} exceeds the ${data.length - EFI_TIME_SIZE} byte(s) after the TimeStamp`);
  const certData = data.subarray(AUTH2_CERT_DATA_OFFSET, EFI_TIME_SIZE + dwLength);
  return {
    timeStamp: decodeEfiTime(timeStampBytes),
    timeStampBytes,
    dwLength,
    wRevision,
    wCertificateType,
    certType,
    certData,
    payload: data.subarray(EFI_TIME_SIZE + dwLength),
  };
}

/**
 * The bytes that are signed (hashed) for a time-based authenticated write:
 * VariableName without its NUL ‖ VendorGuid ‖ Attributes (UINT32, as passed,
 * APPEND included) ‖ TimeStamp ‖ new data.
 */
export function authSignedBytes(name: string, guid: string, attributes: number, timeStamp: EfiTime | Uint8Array, payload: Uint8Array): Uint8Array {
  const n = encodeName(name);
  const ts = timeStamp instanceof Uint8Array ? timeStamp : encodeEfiTime(timeStamp);
  return concat(n.subarray(0, n.length - 2), guidBytes(guid), new Writer(4).u32le(attributes).finish(), ts, payload);
}

// ---- EFI_SIGNATURE_LIST ----------------------------------------------------------

export const SIGNATURE_LIST_HEADER = 28;

export interface SignatureData {
  owner: string;
  data: Uint8Array;
}

export interface SignatureList {
  type: string;
  header: Uint8Array;
  /** SignatureSize: 16 + the size of each entry's data. */
  signatureSize: number;
  signatures: SignatureData[];
}

export function encodeSignatureList(l: { type: string; header?: Uint8Array; signatures: SignatureData[]; signatureSize?: number }): Uint8Array {
  const header = l.header ?? new Uint8Array(0);
  const size = l.signatureSize ?? 16 + (l.signatures[0]?.data.length ?? 0);
  const w = new Writer();
  w.bytes(guidBytes(l.type)).u32le(SIGNATURE_LIST_HEADER + header.length + size * l.signatures.length).u32le(header.length).u32le(size).bytes(header);
  for (const s of l.signatures) {
    if (16 + s.data.length !== size) throw new DecodeError(`signature data of ${s.data.length} bytes does not match SignatureSize ${size}`);
    w.bytes(guidBytes(s.owner)).bytes(s.data);
  }
  return w.finish();
}

/** Every list in a signature database; DecodeError on any inconsistent size. */
export function decodeSignatureLists(bytes: Uint8Array): SignatureList[] {
  const out: SignatureList[] = [];
  let off = 0;
  while (off < bytes.length) {
    const r = new Reader(bytes.subarray(off), 'EFI_SIGNATURE_LIST');
    const type = guidText(r.bytes(16, 'SignatureType'));
    const listSize = r.u32le('SignatureListSize');
    const headerSize = r.u32le('SignatureHeaderSize');
    const sigSize = r.u32le('SignatureSize');
    if (listSize < SIGNATURE_LIST_HEADER || listSize > bytes.length - off) {
      throw new DecodeError(`SignatureListSize ${listSize} does not fit the ${bytes.length - off} byte(s) left`, off);
    }
    if (sigSize < 16) throw new DecodeError(`SignatureSize ${sigSize} is below the 16-byte SignatureOwner`, off);
    const body = listSize - SIGNATURE_LIST_HEADER - headerSize;
    if (headerSize > listSize - SIGNATURE_LIST_HEADER || body % sigSize !== 0) {
      throw new DecodeError(`SignatureListSize ${listSize} is not 28 + SignatureHeaderSize ${headerSize} + n × SignatureSize ${sigSize}`, off);
    }
    const header = r.bytes(headerSize, 'SignatureHeader');
    const signatures: SignatureData[] = [];
    for (let i = 0; i < body / sigSize; i++) {
      const owner = guidText(r.bytes(16, 'SignatureOwner'));
      signatures.push({ owner, data: r.bytes(sigSize - 16, 'SignatureData') });
    }
    out.push({ type, header, signatureSize: sigSize, signatures });
    off += listSize;
  }
  return out;
}
