// EFI_GUID: Data1 (u32), Data2 (u16), Data3 (u16) little-endian, then the 8
// bytes of Data4 as they are (UEFI 2.10 Appendix A). Text form is the usual
// 8-4-4-4-12 lowercase hex. Pure, no I/O.
import { DecodeError } from '../bytes.js';

const RE = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i;

/** 16 wire bytes of a GUID given in text form. */
export function guidBytes(text: string): Uint8Array {
  const m = RE.exec(text);
  if (!m) throw new DecodeError(`not a GUID: ${JSON.stringify(text)}`);
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setUint32(0, parseInt(m[1]!, 16), true);
  v.setUint16(4, parseInt(m[2]!, 16), true);
  v.setUint16(6, parseInt(m[3]!, 16), true);
  const tail = m[4]! + m[5]!;
  for (let i = 0; i < 8; i++) out[8 + i] = parseInt(tail.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Text form of 16 wire bytes. */
export function guidText(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new DecodeError(`a GUID is 16 bytes, got ${bytes.length}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  let tail = '';
  for (let i = 8; i < 16; i++) tail += h(bytes[i]!, 2);
  return `${h(v.getUint32(0, true), 8)}-${h(v.getUint16(4, true), 4)}-${h(v.getUint16(6, true), 4)}-${tail.slice(0, 4)}-${tail.slice(4)}`;
}

export function guidEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== 16 || b.length !== 16) return false;
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** GUIDs the variable service and its clients use (sources in docs/smm-variable.md). */
export const GUIDS = {
  /** gEfiSmmVariableProtocolGuid: HeaderGuid of every SMM variable request; also PTA_STMM_UUID. */
  SMM_VARIABLE: 'ed32d533-99e6-4209-9cc0-2d72cdd998a7',
  /** gEfiMmCommunicateHeaderV3Guid: marks an EFI_MM_COMMUNICATE_HEADER_V3. */
  MM_COMMUNICATE_HEADER_V3: '68e8c853-2ba9-4dd7-9ac0-91e16155c935',
  /** gVarCheckPolicyLibMmiHandlerGuid: variable policy, a different MM handler. */
  VAR_CHECK_POLICY: 'da1b0d11-d1a7-46c4-9dc9-f3714875c6eb',
  /** EFI_GLOBAL_VARIABLE: PK, KEK, SetupMode, SecureBoot, Boot####, ... */
  GLOBAL_VARIABLE: '8be4df61-93ca-11d2-aa0d-00e098032b8c',
  /** EFI_IMAGE_SECURITY_DATABASE_GUID: db, dbx, dbt. */
  IMAGE_SECURITY_DATABASE: 'd719b2cb-3d3a-4596-a3bc-dad00e67656f',
  /** EFI_CERT_TYPE_PKCS7_GUID: WIN_CERTIFICATE_UEFI_GUID.CertType of AUTHENTICATION_2. */
  CERT_TYPE_PKCS7: '4aafd29d-68df-49ee-8aa9-347d375665a7',
  /** EFI_CERT_X509_GUID: signature list of DER X.509 certificates. */
  CERT_X509: 'a5c059a1-94e4-4aa7-87b5-ab155c2bf072',
  /** EFI_CERT_SHA256_GUID: signature list of SHA-256 hashes. */
  CERT_SHA256: 'c1c41626-504c-4092-aca9-41f936934328',
  /** EFI_CERT_RSA2048_GUID: signature list of raw RSA-2048 moduli. */
  CERT_RSA2048: '3c5766e8-269c-4e34-aa14-ed776e85b3b6',
  /** EFI_HARDWARE_ERROR_VARIABLE: HwErrRec####. */
  HARDWARE_ERROR_VARIABLE: '414e6bdd-e47b-47cc-b244-bb61020cf516',
} as const;
