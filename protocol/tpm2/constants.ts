// TPM 2.0 constants (TCG TPM 2.0 Library, Part 2: Structures, rev. 1.59)
// with printable names: structure tags, command codes, algorithms,
// capabilities, properties, handles and attribute bits. Pure data.

/** TPM_ST (Part 2, 6.9). */
export const ST = {
  RSP_COMMAND: 0x00c4,
  NULL: 0x8000,
  NO_SESSIONS: 0x8001,
  SESSIONS: 0x8002,
  ATTEST_NV: 0x8014,
  ATTEST_COMMAND_AUDIT: 0x8015,
  ATTEST_SESSION_AUDIT: 0x8016,
  ATTEST_CERTIFY: 0x8017,
  ATTEST_QUOTE: 0x8018,
  ATTEST_TIME: 0x8019,
  ATTEST_CREATION: 0x801a,
  ATTEST_NV_DIGEST: 0x801c,
  CREATION: 0x8021,
  VERIFIED: 0x8022,
  AUTH_SECRET: 0x8023,
  HASHCHECK: 0x8024,
  AUTH_SIGNED: 0x8025,
  FU_MANIFEST: 0x8029,
} as const;

/** TPM_SU (Part 2, 6.5). */
export const SU = { CLEAR: 0x0000, STATE: 0x0001 } as const;

/** TPM_SE (Part 2, 6.11). */
export const SE = { HMAC: 0x00, POLICY: 0x01, TRIAL: 0x03 } as const;

/** TPM_CC (Part 2, 6.5.2). */
export const CC = {
  NV_UndefineSpaceSpecial: 0x11f,
  EvictControl: 0x120,
  HierarchyControl: 0x121,
  NV_UndefineSpace: 0x122,
  ChangeEPS: 0x124,
  ChangePPS: 0x125,
  Clear: 0x126,
  ClearControl: 0x127,
  ClockSet: 0x128,
  HierarchyChangeAuth: 0x129,
  NV_DefineSpace: 0x12a,
  PCR_Allocate: 0x12b,
  PCR_SetAuthPolicy: 0x12c,
  PP_Commands: 0x12d,
  SetPrimaryPolicy: 0x12e,
  FieldUpgradeStart: 0x12f,
  ClockRateAdjust: 0x130,
  CreatePrimary: 0x131,
  NV_GlobalWriteLock: 0x132,
  GetCommandAuditDigest: 0x133,
  NV_Increment: 0x134,
  NV_SetBits: 0x135,
  NV_Extend: 0x136,
  NV_Write: 0x137,
  NV_WriteLock: 0x138,
  DictionaryAttackLockReset: 0x139,
  DictionaryAttackParameters: 0x13a,
  NV_ChangeAuth: 0x13b,
  PCR_Event: 0x13c,
  PCR_Reset: 0x13d,
  SequenceComplete: 0x13e,
  SetAlgorithmSet: 0x13f,
  SetCommandCodeAuditStatus: 0x140,
  FieldUpgradeData: 0x141,
  IncrementalSelfTest: 0x142,
  SelfTest: 0x143,
  Startup: 0x144,
  Shutdown: 0x145,
  StirRandom: 0x146,
  ActivateCredential: 0x147,
  Certify: 0x148,
  PolicyNV: 0x149,
  CertifyCreation: 0x14a,
  Duplicate: 0x14b,
  GetTime: 0x14c,
  GetSessionAuditDigest: 0x14d,
  NV_Read: 0x14e,
  NV_ReadLock: 0x14f,
  ObjectChangeAuth: 0x150,
  PolicySecret: 0x151,
  Rewrap: 0x152,
  Create: 0x153,
  ECDH_ZGen: 0x154,
  HMAC: 0x155,
  Import: 0x156,
  Load: 0x157,
  Quote: 0x158,
  RSA_Decrypt: 0x159,
  HMAC_Start: 0x15b,
  SequenceUpdate: 0x15c,
  Sign: 0x15d,
  Unseal: 0x15e,
  PolicySigned: 0x160,
  ContextLoad: 0x161,
  ContextSave: 0x162,
  ECDH_KeyGen: 0x163,
  EncryptDecrypt: 0x164,
  FlushContext: 0x165,
  LoadExternal: 0x167,
  MakeCredential: 0x168,
  NV_ReadPublic: 0x169,
  PolicyAuthorize: 0x16a,
  PolicyAuthValue: 0x16b,
  PolicyCommandCode: 0x16c,
  PolicyCounterTimer: 0x16d,
  PolicyCpHash: 0x16e,
  PolicyLocality: 0x16f,
  PolicyNameHash: 0x170,
  PolicyOR: 0x171,
  PolicyTicket: 0x172,
  ReadPublic: 0x173,
  RSA_Encrypt: 0x174,
  StartAuthSession: 0x176,
  VerifySignature: 0x177,
  ECC_Parameters: 0x178,
  FirmwareRead: 0x179,
  GetCapability: 0x17a,
  GetRandom: 0x17b,
  GetTestResult: 0x17c,
  Hash: 0x17d,
  PCR_Read: 0x17e,
  PolicyPCR: 0x17f,
  PolicyRestart: 0x180,
  ReadClock: 0x181,
  PCR_Extend: 0x182,
  PCR_SetAuthValue: 0x183,
  NV_Certify: 0x184,
  EventSequenceComplete: 0x185,
  HashSequenceStart: 0x186,
  PolicyPhysicalPresence: 0x187,
  PolicyDuplicationSelect: 0x188,
  PolicyGetDigest: 0x189,
  TestParms: 0x18a,
  Commit: 0x18b,
  PolicyPassword: 0x18c,
  ZGen_2Phase: 0x18d,
  EC_Ephemeral: 0x18e,
  PolicyNvWritten: 0x18f,
  PolicyTemplate: 0x190,
  CreateLoaded: 0x191,
  PolicyAuthorizeNV: 0x192,
  EncryptDecrypt2: 0x193,
  AC_GetCapability: 0x194,
  AC_Send: 0x195,
  Policy_AC_SendSelect: 0x196,
  CertifyX509: 0x197,
  ACT_SetTimeout: 0x198,
} as const;
export type CommandName = keyof typeof CC;

/** TPM_ALG_ID (Part 2, 6.3; values from the TCG Algorithm Registry). */
export const ALG = {
  ERROR: 0x0000,
  RSA: 0x0001,
  TDES: 0x0003,
  SHA1: 0x0004,
  HMAC: 0x0005,
  AES: 0x0006,
  MGF1: 0x0007,
  KEYEDHASH: 0x0008,
  XOR: 0x000a,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  NULL: 0x0010,
  SM3_256: 0x0012,
  SM4: 0x0013,
  RSASSA: 0x0014,
  RSAES: 0x0015,
  RSAPSS: 0x0016,
  OAEP: 0x0017,
  ECDSA: 0x0018,
  ECDH: 0x0019,
  ECDAA: 0x001a,
  SM2: 0x001b,
  ECSCHNORR: 0x001c,
  ECMQV: 0x001d,
  KDF1_SP800_56A: 0x0020,
  KDF2: 0x0021,
  KDF1_SP800_108: 0x0022,
  ECC: 0x0023,
  SYMCIPHER: 0x0025,
  CAMELLIA: 0x0026,
  SHA3_256: 0x0027,
  SHA3_384: 0x0028,
  SHA3_512: 0x0029,
  CMAC: 0x003f,
  CTR: 0x0040,
  OFB: 0x0041,
  CBC: 0x0042,
  CFB: 0x0043,
  ECB: 0x0044,
} as const;

/** TPMA_ALGORITHM bits (Part 2, 8.2). */
export const TPMA_ALGORITHM = {
  asymmetric: 0x1,
  symmetric: 0x2,
  hash: 0x4,
  object: 0x8,
  signing: 0x100,
  encrypting: 0x200,
  method: 0x400,
} as const;

/** TPM_ECC_CURVE (Part 2, 6.4). */
export const ECC_CURVE = {
  NONE: 0x0000,
  NIST_P192: 0x0001,
  NIST_P224: 0x0002,
  NIST_P256: 0x0003,
  NIST_P384: 0x0004,
  NIST_P521: 0x0005,
  BN_P256: 0x0010,
  BN_P638: 0x0011,
  SM2_P256: 0x0020,
} as const;

/** TPM_CAP (Part 2, 6.12). */
export const CAP = {
  ALGS: 0x0,
  HANDLES: 0x1,
  COMMANDS: 0x2,
  PP_COMMANDS: 0x3,
  AUDIT_COMMANDS: 0x4,
  PCRS: 0x5,
  TPM_PROPERTIES: 0x6,
  PCR_PROPERTIES: 0x7,
  ECC_CURVES: 0x8,
  AUTH_POLICIES: 0x9,
  ACT: 0xa,
  VENDOR_PROPERTY: 0x100,
} as const;

/** TPM_PT (Part 2, 6.13): fixed (0x100 group) and variable (0x200 group) properties. */
export const PT = {
  NONE: 0x000,
  FAMILY_INDICATOR: 0x100,
  LEVEL: 0x101,
  REVISION: 0x102,
  DAY_OF_YEAR: 0x103,
  YEAR: 0x104,
  MANUFACTURER: 0x105,
  VENDOR_STRING_1: 0x106,
  VENDOR_STRING_2: 0x107,
  VENDOR_STRING_3: 0x108,
  VENDOR_STRING_4: 0x109,
  VENDOR_TPM_TYPE: 0x10a,
  FIRMWARE_VERSION_1: 0x10b,
  FIRMWARE_VERSION_2: 0x10c,
  INPUT_BUFFER: 0x10d,
  HR_TRANSIENT_MIN: 0x10e,
  HR_PERSISTENT_MIN: 0x10f,
  HR_LOADED_MIN: 0x110,
  ACTIVE_SESSIONS_MAX: 0x111,
  PCR_COUNT: 0x112,
  PCR_SELECT_MIN: 0x113,
  CONTEXT_GAP_MAX: 0x114,
  NV_COUNTERS_MAX: 0x116,
  NV_INDEX_MAX: 0x117,
  MEMORY: 0x118,
  CLOCK_UPDATE: 0x119,
  CONTEXT_HASH: 0x11a,
  CONTEXT_SYM: 0x11b,
  CONTEXT_SYM_SIZE: 0x11c,
  ORDERLY_COUNT: 0x11d,
  MAX_COMMAND_SIZE: 0x11e,
  MAX_RESPONSE_SIZE: 0x11f,
  MAX_DIGEST: 0x120,
  MAX_OBJECT_CONTEXT: 0x121,
  MAX_SESSION_CONTEXT: 0x122,
  PS_FAMILY_INDICATOR: 0x123,
  PS_LEVEL: 0x124,
  PS_REVISION: 0x125,
  PS_DAY_OF_YEAR: 0x126,
  PS_YEAR: 0x127,
  SPLIT_MAX: 0x128,
  TOTAL_COMMANDS: 0x129,
  LIBRARY_COMMANDS: 0x12a,
  VENDOR_COMMANDS: 0x12b,
  NV_BUFFER_MAX: 0x12c,
  MODES: 0x12d,
  MAX_CAP_BUFFER: 0x12e,
  PERMANENT: 0x200,
  STARTUP_CLEAR: 0x201,
  HR_NV_INDEX: 0x202,
  HR_LOADED: 0x203,
  HR_LOADED_AVAIL: 0x204,
  HR_ACTIVE: 0x205,
  HR_ACTIVE_AVAIL: 0x206,
  HR_TRANSIENT_AVAIL: 0x207,
  HR_PERSISTENT: 0x208,
  HR_PERSISTENT_AVAIL: 0x209,
  NV_COUNTERS: 0x20a,
  NV_COUNTERS_AVAIL: 0x20b,
  ALGORITHM_SET: 0x20c,
  LOADED_CURVES: 0x20d,
  LOCKOUT_COUNTER: 0x20e,
  MAX_AUTH_FAIL: 0x20f,
  LOCKOUT_INTERVAL: 0x210,
  LOCKOUT_RECOVERY: 0x211,
  NV_WRITE_RECOVERY: 0x212,
  AUDIT_COUNTER_0: 0x213,
  AUDIT_COUNTER_1: 0x214,
} as const;

/** TPM_PT_PCR (Part 2, 6.14). */
export const PT_PCR = {
  SAVE: 0x00,
  EXTEND_L0: 0x01,
  RESET_L0: 0x02,
  EXTEND_L1: 0x03,
  RESET_L1: 0x04,
  EXTEND_L2: 0x05,
  RESET_L2: 0x06,
  EXTEND_L3: 0x07,
  RESET_L3: 0x08,
  EXTEND_L4: 0x09,
  RESET_L4: 0x0a,
  NO_INCREMENT: 0x11,
  DRTM_RESET: 0x12,
  POLICY: 0x13,
  AUTH: 0x14,
} as const;

/** TPM_HT (Part 2, 7.2): the top byte of a handle. */
export const HT = {
  PCR: 0x00,
  NV_INDEX: 0x01,
  HMAC_SESSION: 0x02,
  LOADED_SESSION: 0x02,
  POLICY_SESSION: 0x03,
  SAVED_SESSION: 0x03,
  PERMANENT: 0x40,
  TRANSIENT: 0x80,
  PERSISTENT: 0x81,
} as const;

/** TPM_RH / TPM_RS (Part 2, 7.4). */
export const RH = {
  OWNER: 0x40000001,
  NULL: 0x40000007,
  UNASSIGNED: 0x40000008,
  PW: 0x40000009,
  LOCKOUT: 0x4000000a,
  ENDORSEMENT: 0x4000000b,
  PLATFORM: 0x4000000c,
  PLATFORM_NV: 0x4000000d,
} as const;
export const RS_PW = 0x40000009;

/** First handle of each range (Part 2, 7.5). */
export const HR = {
  PCR: 0x00000000,
  NV_INDEX: 0x01000000,
  HMAC_SESSION: 0x02000000,
  POLICY_SESSION: 0x03000000,
  TRANSIENT: 0x80000000,
  PERSISTENT: 0x81000000,
} as const;

/** TPMA_OBJECT bits (Part 2, 8.3). */
export const TPMA_OBJECT = {
  fixedTPM: 0x2,
  stClear: 0x4,
  fixedParent: 0x10,
  sensitiveDataOrigin: 0x20,
  userWithAuth: 0x40,
  adminWithPolicy: 0x80,
  noDA: 0x400,
  encryptedDuplication: 0x800,
  restricted: 0x10000,
  decrypt: 0x20000,
  sign: 0x40000,
  x509sign: 0x80000,
} as const;
/** Bits of TPMA_OBJECT that are reserved (must be zero). */
export const TPMA_OBJECT_RESERVED = 0xfff0f309;

/** TPMA_SESSION bits (Part 2, 8.4). */
export const TPMA_SESSION = {
  continueSession: 0x01,
  auditExclusive: 0x02,
  auditReset: 0x04,
  decrypt: 0x20,
  encrypt: 0x40,
  audit: 0x80,
} as const;

/** TPMA_LOCALITY bits (Part 2, 8.5). */
export const TPMA_LOCALITY = { ZERO: 0x01, ONE: 0x02, TWO: 0x04, THREE: 0x08, FOUR: 0x10 } as const;

/** TPMA_PERMANENT bits (Part 2, 8.6). */
export const TPMA_PERMANENT = {
  ownerAuthSet: 0x1,
  endorsementAuthSet: 0x2,
  lockoutAuthSet: 0x4,
  disableClear: 0x100,
  inLockout: 0x200,
  tpmGeneratedEPS: 0x400,
} as const;

/** TPMA_STARTUP_CLEAR bits (Part 2, 8.7). */
export const TPMA_STARTUP_CLEAR = {
  phEnable: 0x1,
  shEnable: 0x2,
  ehEnable: 0x4,
  phEnableNV: 0x8,
  orderly: 0x80000000,
} as const;

/** TPMA_CC fields (Part 2, 8.9). */
export const TPMA_CC = {
  commandIndex: 0x0000ffff,
  nv: 0x00400000,
  extensive: 0x00800000,
  flushed: 0x01000000,
  cHandles: 0x0e000000,
  rHandle: 0x10000000,
  V: 0x20000000,
} as const;

/** TPMA_NV bits (Part 2, 13.4) and TPM_NT (13.4: bits 4..7). */
export const TPMA_NV = {
  PPWRITE: 0x1,
  OWNERWRITE: 0x2,
  AUTHWRITE: 0x4,
  POLICYWRITE: 0x8,
  TPM_NT: 0xf0,
  POLICY_DELETE: 0x400,
  WRITELOCKED: 0x800,
  WRITEALL: 0x1000,
  WRITEDEFINE: 0x2000,
  WRITE_STCLEAR: 0x4000,
  GLOBALLOCK: 0x8000,
  PPREAD: 0x10000,
  OWNERREAD: 0x20000,
  AUTHREAD: 0x40000,
  POLICYREAD: 0x80000,
  NO_DA: 0x2000000,
  ORDERLY: 0x4000000,
  CLEAR_STCLEAR: 0x8000000,
  READLOCKED: 0x10000000,
  WRITTEN: 0x20000000,
  PLATFORMCREATE: 0x40000000,
  READ_STCLEAR: 0x80000000,
} as const;
/** Reserved TPMA_NV bits (must be zero). */
export const TPMA_NV_RESERVED = 0x01f00300;

export const NT = { ORDINARY: 0x0, COUNTER: 0x1, BITS: 0x2, EXTEND: 0x4, PIN_FAIL: 0x8, PIN_PASS: 0x9 } as const;

export const nvType = (attributes: number): number => (attributes >>> 4) & 0xf;

/** TPM_GENERATED_VALUE (Part 2, 6.2): the first four bytes of TPM-generated attestation data. */
export const TPM_GENERATED_VALUE = 0xff544347;

// ---------------------------------------------------------------- names

function inverse(table: Record<string, number>): Map<number, string> {
  const m = new Map<number, string>();
  for (const [k, v] of Object.entries(table)) if (!m.has(v)) m.set(v, k);
  return m;
}

const CC_NAMES = inverse(CC);
const ALG_NAMES = inverse(ALG);
const CAP_NAMES = inverse(CAP);
const PT_NAMES = inverse(PT);
const ST_NAMES = inverse(ST);
const RH_NAMES = inverse({ ...RH });
const CURVE_NAMES = inverse(ECC_CURVE);

const h = (v: number, w = 0) => `0x${(v >>> 0).toString(16).padStart(w, '0')}`;

/** `TPM2_GetRandom (0x17b)`. */
export function ccName(cc: number): string {
  const n = CC_NAMES.get(cc);
  return n ? `TPM2_${n} (${h(cc)})` : `TPM_CC ${h(cc)}`;
}
/** `TPM2_GetRandom`, without the code. */
export function ccShort(cc: number): string {
  const n = CC_NAMES.get(cc);
  return n ? `TPM2_${n}` : `TPM_CC_${h(cc)}`;
}
export function algName(alg: number): string {
  return `TPM_ALG_${ALG_NAMES.get(alg) ?? h(alg, 4)}`;
}
export function capName(cap: number): string {
  return `TPM_CAP_${CAP_NAMES.get(cap) ?? h(cap)}`;
}
export function ptName(pt: number): string {
  return `TPM_PT_${PT_NAMES.get(pt) ?? h(pt)}`;
}
export function stName(st: number): string {
  return `TPM_ST_${ST_NAMES.get(st) ?? h(st, 4)}`;
}
export function curveName(c: number): string {
  return `TPM_ECC_${CURVE_NAMES.get(c) ?? h(c, 4)}`;
}

/** A handle in words: `TPM_RH_OWNER`, `PCR 16`, `NV index 0x01500000`, `transient 0x80000001`. */
export function handleName(handle: number): string {
  const hnd = handle >>> 0;
  const rh = RH_NAMES.get(hnd);
  if (rh) return rh === 'PW' ? 'TPM_RS_PW' : `TPM_RH_${rh}`;
  switch (hnd >>> 24) {
    case HT.PCR:
      return `PCR ${hnd}`;
    case HT.NV_INDEX:
      return `NV index ${h(hnd, 8)}`;
    case HT.HMAC_SESSION:
      return `HMAC session ${h(hnd, 8)}`;
    case HT.POLICY_SESSION:
      return `policy session ${h(hnd, 8)}`;
    case HT.TRANSIENT:
      return `transient ${h(hnd, 8)}`;
    case HT.PERSISTENT:
      return `persistent ${h(hnd, 8)}`;
    default:
      return `handle ${h(hnd, 8)}`;
  }
}

export function attributeNames(value: number, table: Record<string, number>): string {
  const names: string[] = [];
  let rest = value >>> 0;
  for (const [k, v] of Object.entries(table)) {
    if (v !== 0 && (v & (v - 1)) === 0 && (rest & v) === v) {
      names.push(k);
      rest &= ~v;
    }
  }
  if (rest) names.push(h(rest));
  return names.length ? names.join('|') : '0';
}

/** Hash algorithms and their digest sizes. */
export const DIGEST_SIZE: Readonly<Record<number, number>> = {
  [ALG.SHA1]: 20,
  [ALG.SHA256]: 32,
  [ALG.SHA384]: 48,
  [ALG.SHA512]: 64,
  [ALG.SM3_256]: 32,
  [ALG.SHA3_256]: 32,
  [ALG.SHA3_384]: 48,
  [ALG.SHA3_512]: 64,
};

export function digestSize(alg: number): number {
  return DIGEST_SIZE[alg] ?? 0;
}
