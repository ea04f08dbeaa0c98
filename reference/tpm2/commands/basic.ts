// Part 3, 9 (Start-up), 10 (Testing), 16 (Random Number Generator) and
// 30 (Capability Commands).
import { ALG, CAP, CC, ECC_CURVE, HT, PT, PT_PCR, RH, RS_PW, SE, SU, TPMA_ALGORITHM, TPMA_CC, TPMA_NV, TPMA_PERMANENT, TPMA_STARTUP_CLEAR } from '../../../protocol/tpm2/constants.js';
import { HASH_ALGS } from '../../../protocol/tpm2/crypto.js';
import { TpmWriter } from '../../../protocol/tpm2/marshal.js';
import { RC, rcP } from '../../../protocol/tpm2/rc.js';
import { readPublicParmsOnly, writeCapabilityData, type CapabilityData, type TaggedProperty } from '../../../protocol/tpm2/structures.js';
import { define, fail, type CommandDef } from '../defs.js';
import { OBJECT_LIMITS } from '../objects.js';
import { PCR_ATTRIBUTES, PCR_COUNT, PCR_NO_INCREMENT, type Tpm } from '../tpm.js';
import { COMMANDS } from './index.js';

const EMPTY = new Uint8Array(0);
const none = (): Uint8Array => EMPTY;

/** TPM_ALG_IDs the reference implements, with their TPMA_ALGORITHM. */
export const IMPLEMENTED_ALGS: readonly { alg: number; attributes: number }[] = [
  { alg: ALG.RSA, attributes: TPMA_ALGORITHM.asymmetric | TPMA_ALGORITHM.object },
  { alg: ALG.SHA1, attributes: TPMA_ALGORITHM.hash },
  { alg: ALG.HMAC, attributes: TPMA_ALGORITHM.hash | TPMA_ALGORITHM.signing },
  { alg: ALG.AES, attributes: TPMA_ALGORITHM.symmetric },
  { alg: ALG.MGF1, attributes: TPMA_ALGORITHM.hash | TPMA_ALGORITHM.method },
  { alg: ALG.KEYEDHASH, attributes: TPMA_ALGORITHM.hash | TPMA_ALGORITHM.object },
  { alg: ALG.XOR, attributes: TPMA_ALGORITHM.symmetric | TPMA_ALGORITHM.hash },
  { alg: ALG.SHA256, attributes: TPMA_ALGORITHM.hash },
  { alg: ALG.SHA384, attributes: TPMA_ALGORITHM.hash },
  { alg: ALG.SHA512, attributes: TPMA_ALGORITHM.hash },
  { alg: ALG.NULL, attributes: 0 },
  { alg: ALG.RSASSA, attributes: TPMA_ALGORITHM.asymmetric | TPMA_ALGORITHM.signing },
  { alg: ALG.RSAPSS, attributes: TPMA_ALGORITHM.asymmetric | TPMA_ALGORITHM.signing },
  { alg: ALG.ECDSA, attributes: TPMA_ALGORITHM.asymmetric | TPMA_ALGORITHM.signing | TPMA_ALGORITHM.method },
  { alg: ALG.KDF1_SP800_108, attributes: TPMA_ALGORITHM.hash | TPMA_ALGORITHM.method },
  { alg: ALG.ECC, attributes: TPMA_ALGORITHM.asymmetric | TPMA_ALGORITHM.object },
  { alg: ALG.SYMCIPHER, attributes: TPMA_ALGORITHM.object },
  { alg: ALG.CFB, attributes: TPMA_ALGORITHM.symmetric | TPMA_ALGORITHM.encrypting },
];

export const IMPLEMENTED_CURVES = [ECC_CURVE.NIST_P256, ECC_CURVE.NIST_P384];

const MAX_CAP_DATA = 1024 - 8;
const LIMITS: Record<number, number> = {
  [CAP.ALGS]: Math.floor(MAX_CAP_DATA / 6),
  [CAP.HANDLES]: Math.floor(MAX_CAP_DATA / 4),
  [CAP.COMMANDS]: Math.floor(MAX_CAP_DATA / 4),
  [CAP.PP_COMMANDS]: Math.floor(MAX_CAP_DATA / 4),
  [CAP.AUDIT_COMMANDS]: Math.floor(MAX_CAP_DATA / 4),
  [CAP.PCRS]: 16,
  [CAP.TPM_PROPERTIES]: Math.floor(MAX_CAP_DATA / 8),
  [CAP.PCR_PROPERTIES]: Math.floor(MAX_CAP_DATA / 8),
  [CAP.ECC_CURVES]: Math.floor(MAX_CAP_DATA / 2),
};

function page<T>(all: T[], count: number, limit: number): { items: T[]; more: boolean } {
  const n = Math.min(count, limit);
  return { items: all.slice(0, n), more: all.length > n };
}

const ascii4 = (s: string) => {
  const b = new TextEncoder().encode(s.padEnd(4, '\0').slice(0, 4));
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
};

/** TPMA_CC of an implemented command. */
export function commandAttributes(def: CommandDef, index: number): number {
  let a = def.cc & 0xffff;
  void index;
  if (def.nv) a |= TPMA_CC.nv;
  if (def.flushed) a |= TPMA_CC.flushed;
  a |= (def.handles.length & 7) << 25;
  if (def.rHandle) a |= TPMA_CC.rHandle;
  return a >>> 0;
}

function properties(t: Tpm): TaggedProperty[] {
  const c = t.config;
  const p = t.perm;
  const persistentCount = t.persistent.size;
  let counters = 0;
  for (const ix of t.nv.values()) if (((ix.pub.attributes >>> 4) & 0xf) === 1) counters++;
  const list: [number, number][] = [
    [PT.FAMILY_INDICATOR, ascii4('2.0')],
    [PT.LEVEL, 0],
    [PT.REVISION, 159],
    [PT.DAY_OF_YEAR, 1],
    [PT.YEAR, 2025],
    [PT.MANUFACTURER, ascii4(c.manufacturer)],
    [PT.VENDOR_STRING_1, ascii4(c.vendorString.slice(0, 4))],
    [PT.VENDOR_STRING_2, ascii4(c.vendorString.slice(4, 8))],
    [PT.VENDOR_STRING_3, ascii4(c.vendorString.slice(8, 12))],
    [PT.VENDOR_STRING_4, ascii4(c.vendorString.slice(12, 16))],
    [PT.VENDOR_TPM_TYPE, 1],
    [PT.FIRMWARE_VERSION_1, 0x00010000],
    [PT.FIRMWARE_VERSION_2, 0],
    [PT.INPUT_BUFFER, c.inputBuffer],
    [PT.HR_TRANSIENT_MIN, c.maxLoadedObjects],
    [PT.HR_PERSISTENT_MIN, c.maxPersistent],
    [PT.HR_LOADED_MIN, c.maxLoadedSessions],
    [PT.ACTIVE_SESSIONS_MAX, c.maxActiveSessions],
    [PT.PCR_COUNT, PCR_COUNT],
    [PT.PCR_SELECT_MIN, 3],
    [PT.CONTEXT_GAP_MAX, 0xffff],
    [PT.NV_COUNTERS_MAX, 0],
    [PT.NV_INDEX_MAX, c.maxNvIndexSize],
    [PT.MEMORY, 0x6],
    [PT.CLOCK_UPDATE, 0x1000],
    [PT.CONTEXT_HASH, ALG.SHA256],
    [PT.CONTEXT_SYM, ALG.AES],
    [PT.CONTEXT_SYM_SIZE, 128],
    [PT.ORDERLY_COUNT, 255],
    [PT.MAX_COMMAND_SIZE, c.maxCommandSize],
    [PT.MAX_RESPONSE_SIZE, c.maxResponseSize],
    [PT.MAX_DIGEST, 64],
    [PT.MAX_OBJECT_CONTEXT, 1344],
    [PT.MAX_SESSION_CONTEXT, 512],
    [PT.PS_FAMILY_INDICATOR, 1],
    [PT.PS_LEVEL, 0],
    [PT.PS_REVISION, 0x105],
    [PT.PS_DAY_OF_YEAR, 0],
    [PT.PS_YEAR, 0],
    [PT.SPLIT_MAX, 0],
    [PT.TOTAL_COMMANDS, COMMANDS.size],
    [PT.LIBRARY_COMMANDS, COMMANDS.size],
    [PT.VENDOR_COMMANDS, 0],
    [PT.NV_BUFFER_MAX, c.nvBufferMax],
    [PT.MODES, 0],
    [PT.MAX_CAP_BUFFER, 1024],
    [
      PT.PERMANENT,
      (p.ownerAuth.length ? TPMA_PERMANENT.ownerAuthSet : 0) |
        (p.endorsementAuth.length ? TPMA_PERMANENT.endorsementAuthSet : 0) |
        (p.lockoutAuth.length ? TPMA_PERMANENT.lockoutAuthSet : 0) |
        (p.disableClear ? TPMA_PERMANENT.disableClear : 0) |
        (p.failedTries >= p.maxTries ? TPMA_PERMANENT.inLockout : 0) |
        TPMA_PERMANENT.tpmGeneratedEPS,
    ],
    [
      PT.STARTUP_CLEAR,
      ((t.clear.phEnable ? TPMA_STARTUP_CLEAR.phEnable : 0) |
        (t.clear.shEnable ? TPMA_STARTUP_CLEAR.shEnable : 0) |
        (t.clear.ehEnable ? TPMA_STARTUP_CLEAR.ehEnable : 0) |
        (p.phEnableNV ? TPMA_STARTUP_CLEAR.phEnableNV : 0) |
        (p.orderlyState !== 0xffff ? TPMA_STARTUP_CLEAR.orderly : 0)) >>>
        0,
    ],
    [PT.HR_NV_INDEX, t.nv.size],
    [PT.HR_LOADED, t.sessions.size],
    [PT.HR_LOADED_AVAIL, c.maxLoadedSessions - t.sessions.size],
    [PT.HR_ACTIVE, t.activeSessionCount()],
    [PT.HR_ACTIVE_AVAIL, c.maxActiveSessions - t.activeSessionCount()],
    [PT.HR_TRANSIENT_AVAIL, c.maxLoadedObjects - t.objects.size],
    [PT.HR_PERSISTENT, persistentCount],
    [PT.HR_PERSISTENT_AVAIL, c.maxPersistent - persistentCount],
    [PT.NV_COUNTERS, counters],
    [PT.NV_COUNTERS_AVAIL, Math.max(0, c.maxNvIndices - t.nv.size)],
    [PT.ALGORITHM_SET, 0],
    [PT.LOADED_CURVES, IMPLEMENTED_CURVES.length],
    [PT.LOCKOUT_COUNTER, p.failedTries],
    [PT.MAX_AUTH_FAIL, p.maxTries],
    [PT.LOCKOUT_INTERVAL, p.recoveryTime],
    [PT.LOCKOUT_RECOVERY, p.lockoutRecovery],
    [PT.NV_WRITE_RECOVERY, 0],
    [PT.AUDIT_COUNTER_0, 0],
    [PT.AUDIT_COUNTER_1, 0],
  ];
  return list.map(([property, value]) => ({ property, value: value >>> 0 }));
}

function pcrProperty(tag: number): Uint8Array | undefined {
  const sel = new Uint8Array(3);
  const set = (p: number) => (sel[p >> 3]! |= 1 << (p & 7));
  for (let p = 0; p < PCR_COUNT; p++) {
    const a = PCR_ATTRIBUTES[p]!;
    let on = false;
    if (tag === PT_PCR.SAVE) on = a.save;
    else if (tag >= PT_PCR.EXTEND_L0 && tag <= PT_PCR.RESET_L4) {
      const loc = (tag - 1) >> 1;
      on = ((tag - 1) & 1 ? a.reset : a.extend) & (1 << loc) ? true : false;
    } else if (tag === PT_PCR.NO_INCREMENT) on = PCR_NO_INCREMENT.has(p);
    else if (tag === PT_PCR.DRTM_RESET) on = (a.reset & 0x10) !== 0;
    else if (tag === PT_PCR.POLICY || tag === PT_PCR.AUTH) on = false;
    else return undefined;
    if (on) set(p);
  }
  return sel;
}

const PERMANENT_HANDLES = [RH.OWNER, RH.NULL, RS_PW, RH.LOCKOUT, RH.ENDORSEMENT, RH.PLATFORM, RH.PLATFORM_NV];

function handlesOfType(t: Tpm, ht: number): number[] {
  switch (ht) {
    case HT.TRANSIENT:
      return [...t.objects.keys()];
    case HT.PERSISTENT:
      return [...t.persistent.keys()];
    case HT.NV_INDEX:
      return [...t.nv.keys()];
    case HT.LOADED_SESSION:
      return [...t.sessions.keys()];
    case HT.SAVED_SESSION:
      return [...t.reset.savedSessions.keys()];
    case HT.PCR:
      return Array.from({ length: PCR_COUNT }, (_, i) => i);
    case HT.PERMANENT:
      return PERMANENT_HANDLES;
    default:
      return [];
  }
}

function capability(t: Tpm, cap: number, property: number, count: number): { more: boolean; data: CapabilityData } {
  const limit = LIMITS[cap] ?? 0;
  switch (cap) {
    case CAP.ALGS: {
      const from = property & 0xffff;
      const r = page(IMPLEMENTED_ALGS.filter((a) => a.alg >= from), count, limit);
      return { more: r.more, data: { capability: CAP.ALGS, algs: r.items } };
    }
    case CAP.HANDLES: {
      const ht = property >>> 24;
      if (![HT.TRANSIENT, HT.PERSISTENT, HT.NV_INDEX, HT.LOADED_SESSION, HT.SAVED_SESSION, HT.PCR, HT.PERMANENT].includes(ht as never)) {
        fail(rcP(RC.HANDLE, 2));
      }
      let list = handlesOfType(t, ht).map((h) => h >>> 0);
      if (ht === HT.LOADED_SESSION || ht === HT.SAVED_SESSION) {
        // sessions are listed by index: loaded ones with their own handle (0x02 HMAC, 0x03 policy),
        // saved ones as 0x02000000 + index whatever their type (as the reference implementation)
        const from = property & 0xffffff;
        list = list
          .map((h) => (ht === HT.SAVED_SESSION ? (0x02000000 | (h & 0xffffff)) >>> 0 : h))
          .filter((h) => (h & 0xffffff) >= from)
          .sort((a, b) => (a & 0xffffff) - (b & 0xffffff));
      } else list = list.filter((h) => h >= property >>> 0).sort((a, b) => a - b);
      const r = page(list, count, limit);
      return { more: r.more, data: { capability: CAP.HANDLES, handles: r.items } };
    }
    case CAP.COMMANDS: {
      const defs = [...COMMANDS.values()].filter((d) => d.cc >= property >>> 0).sort((a, b) => a.cc - b.cc);
      const r = page(defs.map((d, i) => commandAttributes(d, i)), count, limit);
      return { more: r.more, data: { capability: CAP.COMMANDS, commands: r.items } };
    }
    case CAP.PP_COMMANDS:
    case CAP.AUDIT_COMMANDS:
      return { more: false, data: { capability: cap, codes: [] } };
    case CAP.PCRS:
      if (property !== 0) fail(rcP(RC.VALUE, 2));
      return {
        more: false,
        data: { capability: CAP.PCRS, pcrs: [...t.pcrs.keys()].sort((a, b) => a - b).map((hash) => ({ hash, select: new Uint8Array([0xff, 0xff, 0xff]) })) },
      };
    case CAP.TPM_PROPERTIES: {
      const all = properties(t).filter((p) => p.property >= property >>> 0);
      const r = page(all, count, limit);
      return { more: r.more, data: { capability: CAP.TPM_PROPERTIES, properties: r.items } };
    }
    case CAP.PCR_PROPERTIES: {
      const all: { tag: number; select: Uint8Array }[] = [];
      for (let tag = property >>> 0; tag <= PT_PCR.AUTH; tag++) {
        const sel = pcrProperty(tag);
        if (sel) all.push({ tag, select: sel });
      }
      const r = page(all, count, limit);
      return { more: r.more, data: { capability: CAP.PCR_PROPERTIES, pcrProperties: r.items } };
    }
    case CAP.ECC_CURVES: {
      const r = page(IMPLEMENTED_CURVES.filter((c) => c >= (property & 0xffff)), count, limit);
      return { more: r.more, data: { capability: CAP.ECC_CURVES, curves: r.items } };
    }
    default:
      return fail(rcP(RC.VALUE, 1));
  }
}

export const BASIC: CommandDef[] = [
  define({
    cc: CC.Startup,
    handles: [],
    noSessions: true,
    nv: true,
    parse: (p) => p.next((r) => r.u16('startupType')),
    run: async (t, _h, type) => {
      if (type !== SU.CLEAR && type !== SU.STATE) fail(rcP(RC.VALUE, 1));
      await t.startup(type);
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.Shutdown,
    handles: [],
    nv: true,
    parse: (p) => p.next((r) => r.u16('shutdownType')),
    run: async (t, _h, type) => {
      if (type !== SU.CLEAR && type !== SU.STATE) fail(rcP(RC.VALUE, 1));
      await t.shutdown(type);
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.SelfTest,
    handles: [],
    parse: (p) =>
      p.next((r) => {
        const v = r.u8('fullTest');
        if (v > 1) r.fail(RC.VALUE, `fullTest ${v} is not YES or NO`);
        return v;
      }),
    run: (t) => {
      t.selfTested = true;
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.IncrementalSelfTest,
    handles: [],
    parse: (p) =>
      p.next((r) => {
        const n = r.u32('toTest.count');
        if (n > 64) r.fail(RC.SIZE, 'toTest.count is larger than MAX_ALG_LIST_SIZE');
        return Array.from({ length: n }, () => r.u16('alg'));
      }),
    run: () => ({ params: new TpmWriter(4).u32(0).finish() }),
  }),
  define({
    cc: CC.GetTestResult,
    handles: [],
    encrypt: true,
    parse: none,
    run: (t) => ({ params: new TpmWriter(8).tpm2b(EMPTY).u32(t.failureMode ? RC.FAILURE : RC.SUCCESS).finish() }),
  }),
  define({
    cc: CC.GetRandom,
    handles: [],
    encrypt: true,
    parse: (p) => p.next((r) => r.u16('bytesRequested')),
    run: (t, _h, n) => ({ params: new TpmWriter(80).tpm2b(t.random(Math.min(n, 64))).finish() }),
  }),
  define({
    cc: CC.StirRandom,
    handles: [],
    decrypt: true,
    parse: (p) => p.next((r) => r.tpm2b('inData', 128)),
    run: () => ({ params: EMPTY }),
  }),
  define({
    cc: CC.TestParms,
    handles: [],
    parse: (p) => p.next((r) => readPublicParmsOnly(r, 'parameters', OBJECT_LIMITS)),
    run: () => ({ params: EMPTY }),
  }),
  define({
    cc: CC.GetCapability,
    handles: [],
    parse: (p) => ({ cap: p.next((r) => r.u32('capability')), property: p.next((r) => r.u32('property')), count: p.next((r) => r.u32('propertyCount')) }),
    run: (t, _h, i) => {
      const { more, data } = capability(t, i.cap, i.property, i.count);
      const w = new TpmWriter(256).u8(more ? 1 : 0);
      writeCapabilityData(w, data);
      return { params: w.finish() };
    },
  }),
];

export { HASH_ALGS, SE, TPMA_NV };
