// EFI_STATUS (64-bit UINTN, edk2 MdePkg/Include/Base.h: ENCODE_ERROR(n) =
// MAX_BIT | n) and the Arm MM / SPM return codes that PTA_STMM reports in
// value[1].a (edk2 ArmPkg/Include/IndustryStandard/ArmMmSvc.h), with names,
// so every message says EFI_ACCESS_DENIED (0x800000000000000f) and never a
// bare number. EFI_STATUS is kept as a bigint: 2^63 | n is not a safe
// JavaScript number.

const ERR = 1n << 63n;

export const EFI = {
  SUCCESS: 0n,
  LOAD_ERROR: ERR | 1n,
  INVALID_PARAMETER: ERR | 2n,
  UNSUPPORTED: ERR | 3n,
  BAD_BUFFER_SIZE: ERR | 4n,
  BUFFER_TOO_SMALL: ERR | 5n,
  NOT_READY: ERR | 6n,
  DEVICE_ERROR: ERR | 7n,
  WRITE_PROTECTED: ERR | 8n,
  OUT_OF_RESOURCES: ERR | 9n,
  VOLUME_CORRUPTED: ERR | 10n,
  VOLUME_FULL: ERR | 11n,
  NO_MEDIA: ERR | 12n,
  MEDIA_CHANGED: ERR | 13n,
  NOT_FOUND: ERR | 14n,
  ACCESS_DENIED: ERR | 15n,
  NO_RESPONSE: ERR | 16n,
  NO_MAPPING: ERR | 17n,
  TIMEOUT: ERR | 18n,
  NOT_STARTED: ERR | 19n,
  ALREADY_STARTED: ERR | 20n,
  ABORTED: ERR | 21n,
  ICMP_ERROR: ERR | 22n,
  TFTP_ERROR: ERR | 23n,
  PROTOCOL_ERROR: ERR | 24n,
  INCOMPATIBLE_VERSION: ERR | 25n,
  SECURITY_VIOLATION: ERR | 26n,
  CRC_ERROR: ERR | 27n,
  END_OF_MEDIA: ERR | 28n,
  END_OF_FILE: ERR | 31n,
  INVALID_LANGUAGE: ERR | 32n,
  COMPROMISED_DATA: ERR | 33n,
  WARN_UNKNOWN_GLYPH: 1n,
  WARN_DELETE_FAILURE: 2n,
  WARN_WRITE_FAILURE: 3n,
  WARN_BUFFER_TOO_SMALL: 4n,
  WARN_STALE_DATA: 5n,
} as const;

export type EfiStatusName = keyof typeof EFI;

const EFI_NAMES = new Map<bigint, string>(Object.entries(EFI).map(([k, v]) => [v, `EFI_${k}`]));

export function isEfiError(s: bigint): boolean {
  return (s & ERR) !== 0n;
}

/** `EFI_ACCESS_DENIED (0x800000000000000f)`; unknown values keep their hex. */
export function efiStatusName(s: bigint): string {
  const hexText = `0x${BigInt.asUintN(64, s).toString(16)}`;
  const name = EFI_NAMES.get(s);
  return name ? `${name} (${hexText})` : `unknown EFI_STATUS ${hexText}`;
}

/** The bare symbol (`EFI_ACCESS_DENIED`) or the hex value. */
export function efiStatusSymbol(s: bigint): string {
  return EFI_NAMES.get(s) ?? `0x${BigInt.asUintN(64, s).toString(16)}`;
}

/** ARM_SVC_SPM_RET_*: the MM (SPM) layer's own answer, outside the buffer. */
export const SPM_RET = {
  SUCCESS: 0,
  NOT_SUPPORTED: -1,
  INVALID_PARAMS: -2,
  DENIED: -3,
  NO_MEMORY: -5,
} as const;

const SPM_NAMES = new Map<number, string>(Object.entries(SPM_RET).map(([k, v]) => [v, `ARM_SVC_SPM_RET_${k}`]));

/** `ARM_SVC_SPM_RET_INVALID_PARAMS (-2)`. */
export function spmRetName(code: number): string {
  const name = SPM_NAMES.get(code);
  return name ? `${name} (${code})` : `unknown MM return code ${code}`;
}

/**
 * How U-Boot (lib/efi_loader/efi_variable_tee.c) and Linux tee_stmm_efi turn
 * a non-zero PTA_STMM value[1].a into the EFI_STATUS the caller sees.
 */
export function spmRetToEfi(code: number): bigint {
  switch (code) {
    case SPM_RET.SUCCESS:
      return EFI.SUCCESS;
    case SPM_RET.INVALID_PARAMS:
      return EFI.INVALID_PARAMETER;
    case SPM_RET.DENIED:
      return EFI.ACCESS_DENIED;
    case SPM_RET.NO_MEMORY:
      return EFI.OUT_OF_RESOURCES;
    default:
      return EFI.ACCESS_DENIED;
  }
}
