// TPM_RC response codes (TCG TPM 2.0 Library Part 2, 6.6): values, names,
// and decoding of the format-1 parameter, handle and session numbers, so a
// message says `TPM_RC_VALUE + parameter 1 (0x1c4)` instead of 0x1c4.

export const RC = {
  SUCCESS: 0x000,
  BAD_TAG: 0x01e,
  /** The value TPM 1.2 and early TPM 2.0 drafts used for a bad tag. */
  BAD_TAG_TPM12: 0x030,
  // format 0 (VER1 = 0x100)
  INITIALIZE: 0x100,
  FAILURE: 0x101,
  SEQUENCE: 0x103,
  PRIVATE: 0x10b,
  HMAC: 0x119,
  DISABLED: 0x120,
  EXCLUSIVE: 0x121,
  AUTH_TYPE: 0x124,
  AUTH_MISSING: 0x125,
  POLICY: 0x126,
  PCR: 0x127,
  PCR_CHANGED: 0x128,
  UPGRADE: 0x12d,
  TOO_MANY_CONTEXTS: 0x12e,
  AUTH_UNAVAILABLE: 0x12f,
  REBOOT: 0x130,
  UNBALANCED: 0x131,
  COMMAND_SIZE: 0x142,
  COMMAND_CODE: 0x143,
  AUTHSIZE: 0x144,
  AUTH_CONTEXT: 0x145,
  NV_RANGE: 0x146,
  NV_SIZE: 0x147,
  NV_LOCKED: 0x148,
  NV_AUTHORIZATION: 0x149,
  NV_UNINITIALIZED: 0x14a,
  NV_SPACE: 0x14b,
  NV_DEFINED: 0x14c,
  BAD_CONTEXT: 0x150,
  CPHASH: 0x151,
  PARENT: 0x152,
  NEEDS_TEST: 0x153,
  NO_RESULT: 0x154,
  SENSITIVE: 0x155,
  // format 1 (FMT1 = 0x080)
  ASYMMETRIC: 0x081,
  ATTRIBUTES: 0x082,
  HASH: 0x083,
  VALUE: 0x084,
  HIERARCHY: 0x085,
  KEY_SIZE: 0x087,
  MGF: 0x088,
  MODE: 0x089,
  TYPE: 0x08a,
  HANDLE: 0x08b,
  KDF: 0x08c,
  RANGE: 0x08d,
  AUTH_FAIL: 0x08e,
  NONCE: 0x08f,
  PP: 0x090,
  SCHEME: 0x092,
  SIZE: 0x095,
  SYMMETRIC: 0x096,
  TAG: 0x097,
  SELECTOR: 0x098,
  INSUFFICIENT: 0x09a,
  SIGNATURE: 0x09b,
  KEY: 0x09c,
  POLICY_FAIL: 0x09d,
  INTEGRITY: 0x09f,
  TICKET: 0x0a0,
  RESERVED_BITS: 0x0a1,
  BAD_AUTH: 0x0a2,
  EXPIRED: 0x0a3,
  POLICY_CC: 0x0a4,
  BINDING: 0x0a5,
  CURVE: 0x0a6,
  ECC_POINT: 0x0a7,
  // warnings (WARN = 0x900)
  CONTEXT_GAP: 0x901,
  OBJECT_MEMORY: 0x902,
  SESSION_MEMORY: 0x903,
  MEMORY: 0x904,
  SESSION_HANDLES: 0x905,
  OBJECT_HANDLES: 0x906,
  LOCALITY: 0x907,
  YIELDED: 0x908,
  CANCELED: 0x909,
  TESTING: 0x90a,
  REFERENCE_H0: 0x910,
  REFERENCE_H1: 0x911,
  REFERENCE_H2: 0x912,
  REFERENCE_S0: 0x918,
  REFERENCE_S1: 0x919,
  REFERENCE_S2: 0x91a,
  NV_RATE: 0x920,
  LOCKOUT: 0x921,
  RETRY: 0x922,
  NV_UNAVAILABLE: 0x923,
} as const;
export type RcName = keyof typeof RC;

export const RC_FMT1 = 0x080;
export const RC_VER1 = 0x100;
export const RC_WARN = 0x900;
export const RC_P = 0x040;
export const RC_S = 0x800;

const NAMES = new Map<number, string>();
for (const [k, v] of Object.entries(RC)) if (!NAMES.has(v)) NAMES.set(v, k);

/** A format-1 code for parameter `n` (1-15): `rcP(RC.VALUE, 1)` = 0x1C4. */
export function rcP(base: number, n: number): number {
  return (base | RC_P | ((n & 0xf) << 8)) >>> 0;
}
/** A format-1 code for handle `n` (1-7): `rcH(RC.HANDLE, 1)` = 0x18B. */
export function rcH(base: number, n: number): number {
  return (base | ((n & 0x7) << 8)) >>> 0;
}
/** A format-1 code for session `n` (1-7): `rcS(RC.BAD_AUTH, 1)` = 0x9A2. */
export function rcS(base: number, n: number): number {
  return (base | RC_S | ((n & 0x7) << 8)) >>> 0;
}

export type RcLayer = 'tpm' | 'tss';

export interface DecodedRc {
  rc: number;
  /** The code without its parameter/handle/session number. */
  base: number;
  format: 'success' | 'format-0' | 'format-1' | 'warning' | 'vendor' | 'tpm1.2' | 'layered';
  /** Name without the TPM_RC_ prefix, e.g. VALUE. */
  name: string;
  parameter?: number;
  handle?: number;
  session?: number;
}

/** Splits a response code into its base code and the parameter, handle or session it names. */
export function decodeRc(rcIn: number): DecodedRc {
  const rc = rcIn >>> 0;
  if (rc === 0) return { rc, base: 0, format: 'success', name: 'SUCCESS' };
  if (rc >>> 16 !== 0) {
    // a TSS layer code (e.g. 0x000B0143 from a resource manager)
    const inner = decodeRc(rc & 0xffff);
    return { ...inner, rc, format: 'layered', name: `layer ${rc >>> 16}: ${inner.name}` };
  }
  if (rc & RC_FMT1) {
    const base = RC_FMT1 | (rc & 0x3f);
    const n = (rc >>> 8) & 0xf;
    const name = NAMES.get(base) ?? `FMT1_ERROR_${(rc & 0x3f).toString(16)}`;
    if (rc & RC_P) return { rc, base, format: 'format-1', name, parameter: n };
    if (n & 0x8) return { rc, base, format: 'format-1', name, session: n & 0x7 };
    return n ? { rc, base, format: 'format-1', name, handle: n } : { rc, base, format: 'format-1', name };
  }
  if (!(rc & RC_VER1)) {
    return { rc, base: rc, format: 'tpm1.2', name: NAMES.get(rc) ?? `TPM12_${rc.toString(16)}` };
  }
  if (rc & 0x400) return { rc, base: rc, format: 'vendor', name: `VENDOR_${rc.toString(16)}` };
  if (rc & 0x800) return { rc, base: rc, format: 'warning', name: NAMES.get(rc) ?? `WARNING_${(rc & 0x7f).toString(16)}` };
  return { rc, base: rc, format: 'format-0', name: NAMES.get(rc) ?? `ERROR_${(rc & 0x7f).toString(16)}` };
}

/** `TPM_RC_VALUE + parameter 1 (0x1c4)`, `TPM_RC_SUCCESS (0x0)`, `TPM_RC_BAD_AUTH + session 1 (0x9a2)`. */
export function rcName(rc: number): string {
  const d = decodeRc(rc);
  const where =
    d.parameter !== undefined
      ? ` + parameter ${d.parameter}`
      : d.handle !== undefined
        ? ` + handle ${d.handle}`
        : d.session !== undefined
          ? ` + session ${d.session}`
          : '';
  const name = d.format === 'layered' ? d.name : `TPM_RC_${d.name}`;
  return `${name}${where} (0x${(rc >>> 0).toString(16)})`;
}

/** True for warnings a caller should simply retry (the TPM was busy). */
export function isRetryable(rc: number): boolean {
  return rc === RC.RETRY || rc === RC.TESTING || rc === RC.YIELDED || rc === RC.NV_RATE;
}
