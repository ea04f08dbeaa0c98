// Part 3, 31 (Non-volatile Storage), 24 (Hierarchy Commands) and 25
// (Dictionary Attack Functions).
import { CC, NT, RH, TPMA_NV, nvType } from '../../../protocol/tpm2/constants.js';
import { hash, hashSize } from '../../../protocol/tpm2/crypto.js';
import { TpmWriter } from '../../../protocol/tpm2/marshal.js';
import { RC, rcH, rcP } from '../../../protocol/tpm2/rc.js';
import { stripZeros } from '../../../protocol/tpm2/session.js';
import { nvName, readNvPublic2b, writeNvPublic, type NvPublic } from '../../../protocol/tpm2/structures.js';
import { define, fail, type CommandDef, type NvIndex } from '../defs.js';
import type { Tpm } from '../tpm.js';

const EMPTY = new Uint8Array(0);
const N = TPMA_NV;
const has = (a: number, b: number) => (a & b) !== 0;

function index(t: Tpm, h: number): NvIndex {
  return t.nv.get(h)!;
}

function writeAccess(authHandle: number, nvHandle: number, a: number): number {
  if (has(a, N.WRITELOCKED)) return RC.NV_LOCKED;
  if (authHandle === RH.OWNER) return has(a, N.OWNERWRITE) ? 0 : RC.NV_AUTHORIZATION;
  if (authHandle === RH.PLATFORM) return has(a, N.PPWRITE) ? 0 : RC.NV_AUTHORIZATION;
  return authHandle === nvHandle ? 0 : RC.NV_AUTHORIZATION;
}

function readAccess(authHandle: number, nvHandle: number, a: number): number {
  if (has(a, N.READLOCKED)) return RC.NV_LOCKED;
  if (authHandle === RH.OWNER) {
    if (!has(a, N.OWNERREAD)) return RC.NV_AUTHORIZATION;
  } else if (authHandle === RH.PLATFORM) {
    if (!has(a, N.PPREAD)) return RC.NV_AUTHORIZATION;
  } else if (authHandle !== nvHandle) return RC.NV_AUTHORIZATION;
  return has(a, N.WRITTEN) ? 0 : RC.NV_UNINITIALIZED;
}

async function store(t: Tpm, ix: NvIndex, data: Uint8Array, setWritten = true): Promise<void> {
  let a = ix.pub.attributes;
  if (setWritten) a |= N.WRITTEN;
  // WRITEDEFINE: the first write locks the index for good
  ix.pub = { ...ix.pub, attributes: a >>> 0 };
  ix.data = data;
  await t.saveNvIndex(ix);
}

function u64(b: Uint8Array): bigint {
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
}
function be64(v: bigint): Uint8Array {
  return new TpmWriter(8).u64(v).finish();
}

const NV_AUTH = [{ type: 'nvAuth' as const, auth: 'user' as const }, { type: 'nvIndex' as const }];

export const NV: CommandDef[] = [
  define({
    cc: CC.NV_DefineSpace,
    handles: [{ type: 'provision', auth: 'user' }],
    decrypt: true,
    nv: true,
    parse: (p, t) => ({ auth: p.next((r) => r.tpm2b('auth', 64)), pub: p.next((r) => readNvPublic2b(r, 'publicInfo', t.config.maxNvIndexSize)) }),
    run: async (t, [authHandle], i) => {
      const pub = i.pub;
      const a = pub.attributes;
      const nameSize = hashSize(pub.nameAlg);
      if (has(a, N.POLICY_DELETE)) fail(rcP(RC.ATTRIBUTES, 2), 'NV_UndefineSpaceSpecial is not implemented');
      if (pub.authPolicy.length !== 0 && pub.authPolicy.length !== nameSize) fail(rcP(RC.SIZE, 2));
      const auth = stripZeros(i.auth);
      if (auth.length > nameSize) fail(rcP(RC.SIZE, 1));
      if (authHandle === RH.PLATFORM && !t.perm.phEnableNV) fail(rcH(RC.HIERARCHY, 1));
      const type = nvType(a);
      if (![NT.ORDINARY, NT.COUNTER, NT.BITS, NT.EXTEND].includes(type as never)) fail(rcP(RC.ATTRIBUTES, 2), 'PIN indices are not implemented');
      if (type === NT.ORDINARY && pub.dataSize > t.config.maxNvIndexSize) fail(rcP(RC.SIZE, 2));
      if (type === NT.EXTEND && pub.dataSize !== nameSize) fail(rcP(RC.SIZE, 2));
      if ((type === NT.COUNTER || type === NT.BITS) && pub.dataSize !== 8) fail(rcP(RC.SIZE, 2));
      if (type === NT.COUNTER && has(a, N.CLEAR_STCLEAR)) fail(rcP(RC.ATTRIBUTES, 2));
      if (has(a, N.WRITTEN) || has(a, N.WRITELOCKED) || has(a, N.READLOCKED)) fail(rcP(RC.ATTRIBUTES, 2));
      if (!has(a, N.OWNERREAD) && !has(a, N.PPREAD) && !has(a, N.AUTHREAD) && !has(a, N.POLICYREAD)) fail(rcP(RC.ATTRIBUTES, 2));
      if (!has(a, N.OWNERWRITE) && !has(a, N.PPWRITE) && !has(a, N.AUTHWRITE) && !has(a, N.POLICYWRITE)) fail(rcP(RC.ATTRIBUTES, 2));
      if (has(a, N.CLEAR_STCLEAR) && has(a, N.WRITEDEFINE)) fail(rcP(RC.ATTRIBUTES, 2));
      if (has(a, N.PLATFORMCREATE) !== (authHandle === RH.PLATFORM)) fail(rcH(RC.ATTRIBUTES, 1));
      if (pub.dataSize > t.config.nvBufferMax && has(a, N.WRITEALL)) fail(rcP(RC.SIZE, 2));
      if (t.nv.has(pub.nvIndex)) fail(RC.NV_DEFINED);
      if (t.nv.size >= t.config.maxNvIndices || t.nvUsedBytes() + pub.dataSize > t.config.nvSpace) fail(RC.NV_SPACE);
      const ix: NvIndex = { pub, auth, data: new Uint8Array(pub.dataSize).fill(0xff) };
      t.nv.set(pub.nvIndex, ix);
      await t.saveNvIndex(ix);
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.NV_UndefineSpace,
    handles: [{ type: 'provision', auth: 'user' }, { type: 'nvIndex' }],
    nv: true,
    parse: () => undefined,
    run: async (t, [authHandle, h]) => {
      const ix = index(t, h!);
      if (has(ix.pub.attributes, N.POLICY_DELETE)) fail(rcH(RC.ATTRIBUTES, 2));
      if (authHandle === RH.OWNER && has(ix.pub.attributes, N.PLATFORMCREATE)) fail(RC.NV_AUTHORIZATION);
      if (nvType(ix.pub.attributes) === NT.COUNTER && has(ix.pub.attributes, N.WRITTEN)) {
        const v = u64(ix.data);
        if (v > t.perm.maxCounter) {
          t.perm.maxCounter = v;
          await t.savePerm();
        }
      }
      t.nv.delete(h!);
      await t.store.deleteNv(h!);
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.NV_ReadPublic,
    handles: [{ type: 'nvIndex' }],
    encrypt: true,
    parse: () => undefined,
    run: (t, [h]) => {
      const ix = index(t, h!);
      const w = new TpmWriter(128).sized((x) => writeNvPublic(x, ix.pub)).tpm2b(nvName(ix.pub));
      return { params: w.finish() };
    },
  }),
  define({
    cc: CC.NV_Write,
    handles: NV_AUTH,
    decrypt: true,
    nv: true,
    parse: (p, t) => ({ data: p.next((r) => r.tpm2b('data', t.config.nvBufferMax)), offset: p.next((r) => r.u16('offset')) }),
    run: async (t, [auth, h], i) => {
      const ix = index(t, h!);
      const a = ix.pub.attributes;
      const rc = writeAccess(auth!, h!, a);
      if (rc) fail(rc);
      if (nvType(a) !== NT.ORDINARY) fail(RC.ATTRIBUTES, 'NV_Write needs an ordinary index');
      if (i.offset > ix.pub.dataSize) fail(rcP(RC.VALUE, 2));
      if (i.data.length > ix.pub.dataSize - i.offset) fail(RC.NV_RANGE);
      if (has(a, N.WRITEALL) && i.data.length < ix.pub.dataSize) fail(RC.NV_RANGE);
      const data = ix.data.slice();
      data.set(i.data, i.offset);
      await store(t, ix, data);
      if (has(a, N.WRITEDEFINE)) await lock(t, ix, N.WRITELOCKED);
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.NV_Read,
    handles: NV_AUTH,
    encrypt: true,
    parse: (p) => ({ size: p.next((r) => r.u16('size')), offset: p.next((r) => r.u16('offset')) }),
    run: (t, [auth, h], i) => {
      const ix = index(t, h!);
      const rc = readAccess(auth!, h!, ix.pub.attributes);
      if (rc) fail(rc);
      if (i.size > t.config.nvBufferMax) fail(rcP(RC.VALUE, 1), 'size is larger than TPM_PT_NV_BUFFER_MAX');
      if (i.offset > ix.pub.dataSize) fail(rcP(RC.VALUE, 2));
      if (i.size > ix.pub.dataSize - i.offset) fail(RC.NV_RANGE);
      return { params: new TpmWriter(i.size + 2).tpm2b(ix.data.slice(i.offset, i.offset + i.size)).finish() };
    },
  }),
  define({
    cc: CC.NV_Increment,
    handles: NV_AUTH,
    nv: true,
    parse: () => undefined,
    run: async (t, [auth, h]) => {
      const ix = index(t, h!);
      const rc = writeAccess(auth!, h!, ix.pub.attributes);
      if (rc) fail(rc);
      if (nvType(ix.pub.attributes) !== NT.COUNTER) fail(rcH(RC.ATTRIBUTES, 2));
      // a counter starts at the largest count any counter index ever had (0 for the reference's first)
      const v = has(ix.pub.attributes, N.WRITTEN) ? u64(ix.data) : maxCount(t);
      await store(t, ix, be64(v + 1n));
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.NV_Extend,
    handles: NV_AUTH,
    decrypt: true,
    nv: true,
    parse: (p, t) => p.next((r) => r.tpm2b('data', t.config.nvBufferMax)),
    run: async (t, [auth, h], data) => {
      const ix = index(t, h!);
      const rc = writeAccess(auth!, h!, ix.pub.attributes);
      if (rc) fail(rc);
      if (nvType(ix.pub.attributes) !== NT.EXTEND) fail(rcH(RC.ATTRIBUTES, 2));
      const alg = ix.pub.nameAlg;
      const old = has(ix.pub.attributes, N.WRITTEN) ? ix.data.subarray(0, hashSize(alg)) : new Uint8Array(hashSize(alg));
      await store(t, ix, hash(alg, old, data));
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.NV_SetBits,
    handles: NV_AUTH,
    nv: true,
    parse: (p) => p.next((r) => r.u64('bits')),
    run: async (t, [auth, h], bits) => {
      const ix = index(t, h!);
      const rc = writeAccess(auth!, h!, ix.pub.attributes);
      if (rc) fail(rc);
      if (nvType(ix.pub.attributes) !== NT.BITS) fail(rcH(RC.ATTRIBUTES, 2));
      const old = has(ix.pub.attributes, N.WRITTEN) ? u64(ix.data) : 0n;
      await store(t, ix, be64(old | bits));
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.NV_WriteLock,
    handles: NV_AUTH,
    nv: true,
    parse: () => undefined,
    run: async (t, [auth, h]) => {
      const ix = index(t, h!);
      const a = ix.pub.attributes;
      const rc = writeAccess(auth!, h!, a);
      if (rc === RC.NV_AUTHORIZATION) fail(rc);
      if (rc) return { params: EMPTY };
      if (!has(a, N.WRITEDEFINE) && !has(a, N.WRITE_STCLEAR)) fail(rcH(RC.ATTRIBUTES, 2));
      await lock(t, ix, N.WRITELOCKED);
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.NV_ReadLock,
    handles: NV_AUTH,
    nv: true,
    parse: () => undefined,
    run: async (t, [auth, h]) => {
      const ix = index(t, h!);
      const a = ix.pub.attributes;
      const rc = readAccess(auth!, h!, a);
      if (rc === RC.NV_AUTHORIZATION) fail(rc);
      if (rc === RC.NV_LOCKED) return { params: EMPTY };
      if (!has(a, N.READ_STCLEAR)) fail(rcH(RC.ATTRIBUTES, 2));
      await lock(t, ix, N.READLOCKED);
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.NV_ChangeAuth,
    handles: [{ type: 'nvIndex', auth: 'admin' }],
    decrypt: true,
    nv: true,
    parse: (p) => p.next((r) => r.tpm2b('newAuth', 64)),
    run: async (t, [h], newAuth) => {
      const ix = index(t, h!);
      const auth = stripZeros(newAuth);
      if (auth.length > hashSize(ix.pub.nameAlg)) fail(rcP(RC.SIZE, 1));
      ix.auth = auth.slice();
      await t.saveNvIndex(ix);
      return { params: EMPTY };
    },
  }),
  // ---------------------------------------------------------------- hierarchy
  define({
    cc: CC.HierarchyChangeAuth,
    handles: [{ type: 'hierarchyAuth', auth: 'user' }],
    decrypt: true,
    nv: true,
    parse: (p) => p.next((r) => r.tpm2b('newAuth', 64)),
    run: async (t, [h], newAuth) => {
      const auth = stripZeros(newAuth).slice();
      if (auth.length > 32) fail(rcP(RC.SIZE, 1), 'newAuth is larger than the context integrity digest (SHA-256)');
      if (h === RH.OWNER) t.perm.ownerAuth = auth;
      else if (h === RH.ENDORSEMENT) t.perm.endorsementAuth = auth;
      else if (h === RH.LOCKOUT) t.perm.lockoutAuth = auth;
      else t.clear.platformAuth = auth;
      if (h === RH.PLATFORM) await t.clearOrderly();
      else await t.savePerm();
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.Clear,
    handles: [{ type: 'clear', auth: 'user' }],
    nv: true,
    parse: () => undefined,
    run: async (t) => {
      const p = t.perm;
      if (p.disableClear) fail(RC.DISABLED);
      p.sps = t.random(64);
      p.shProof = t.random(64);
      p.ehProof = t.random(64);
      t.clear.shEnable = true;
      t.clear.ehEnable = true;
      p.ownerAuth = EMPTY;
      p.endorsementAuth = EMPTY;
      p.lockoutAuth = EMPTY;
      p.ownerPolicy = { alg: 0x10, digest: EMPTY };
      p.endorsementPolicy = { alg: 0x10, digest: EMPTY };
      p.lockoutPolicy = { alg: 0x10, digest: EMPTY };
      for (const [h, o] of [...t.objects]) if (o.kind === 'key' && (o.hierarchy === RH.OWNER || o.hierarchy === RH.ENDORSEMENT)) t.objects.delete(h);
      for (const [h, rec] of [...t.persistent]) {
        if (rec.hierarchy === RH.OWNER || rec.hierarchy === RH.ENDORSEMENT) {
          t.persistent.delete(h);
          t.forgetPersistent(h);
          await t.store.deletePersistent(h);
        }
      }
      for (const [h, ix] of [...t.nv]) {
        if (!has(ix.pub.attributes, N.PLATFORMCREATE)) {
          t.nv.delete(h);
          await t.store.deleteNv(h);
        }
      }
      p.failedTries = 0;
      p.maxTries = t.config.daMaxTries;
      p.recoveryTime = t.config.daRecoveryTime;
      p.lockoutRecovery = t.config.daLockoutRecovery;
      p.lockoutAuthEnabled = true;
      p.resetCount = 0;
      t.reset.restartCount = 0;
      t.reset.clearCount = 0;
      t.primaryCache.clear();
      t.pcrChanged(0);
      p.orderlyState = 0xffff;
      p.savedState = EMPTY;
      await t.savePerm();
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.ClearControl,
    handles: [{ type: 'clear', auth: 'user' }],
    nv: true,
    parse: (p) =>
      p.next((r) => {
        const v = r.u8('disable');
        if (v > 1) r.fail(RC.VALUE, 'disable is not YES or NO');
        return v === 1;
      }),
    run: async (t, [auth], disable) => {
      if (auth === RH.LOCKOUT && !disable) fail(RC.AUTH_FAIL, 'only platform authorization may clear disableClear');
      t.perm.disableClear = disable;
      await t.savePerm();
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.HierarchyControl,
    handles: [{ type: 'hierarchy', auth: 'user' }],
    nv: true,
    parse: (p) => ({
      enable: p.next((r) => {
        const h = r.u32('enable');
        if (![RH.OWNER, RH.ENDORSEMENT, RH.PLATFORM, RH.PLATFORM_NV].includes(h as never)) r.fail(RC.VALUE, 'enable is not a TPMI_RH_ENABLES');
        return h;
      }),
      state: p.next((r) => {
        const v = r.u8('state');
        if (v > 1) r.fail(RC.VALUE, 'state is not YES or NO');
        return v === 1;
      }),
    }),
    run: async (t, [auth], i) => {
      const c = t.clear;
      if ((i.enable === RH.PLATFORM || i.enable === RH.PLATFORM_NV) && auth !== RH.PLATFORM) fail(RC.AUTH_TYPE);
      if (i.enable === RH.OWNER && ((auth !== RH.PLATFORM && auth !== RH.OWNER) || (!c.shEnable && i.state && auth !== RH.PLATFORM))) fail(RC.AUTH_TYPE);
      if (i.enable === RH.ENDORSEMENT && ((auth !== RH.PLATFORM && auth !== RH.ENDORSEMENT) || (!c.ehEnable && i.state && auth !== RH.PLATFORM))) fail(RC.AUTH_TYPE);
      const cur = i.enable === RH.OWNER ? c.shEnable : i.enable === RH.ENDORSEMENT ? c.ehEnable : i.enable === RH.PLATFORM ? c.phEnable : t.perm.phEnableNV;
      if (cur !== i.state) {
        await t.clearOrderly();
        if (i.enable === RH.OWNER) c.shEnable = i.state;
        else if (i.enable === RH.ENDORSEMENT) c.ehEnable = i.state;
        else if (i.enable === RH.PLATFORM) c.phEnable = i.state;
        else {
          t.perm.phEnableNV = i.state;
          await t.savePerm();
        }
        if (!i.state && i.enable !== RH.PLATFORM_NV) for (const [h, o] of [...t.objects]) if (o.kind === 'key' && o.hierarchy === i.enable) t.objects.delete(h);
      }
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.DictionaryAttackLockReset,
    handles: [{ type: 'lockout', auth: 'user' }],
    nv: true,
    parse: () => undefined,
    run: async (t) => {
      t.perm.failedTries = 0;
      await t.savePerm();
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.DictionaryAttackParameters,
    handles: [{ type: 'lockout', auth: 'user' }],
    nv: true,
    parse: (p) => ({ maxTries: p.next((r) => r.u32('newMaxTries')), recoveryTime: p.next((r) => r.u32('newRecoveryTime')), lockoutRecovery: p.next((r) => r.u32('lockoutRecovery')) }),
    run: async (t, _h, i) => {
      t.perm.maxTries = i.maxTries;
      t.perm.recoveryTime = i.recoveryTime;
      t.perm.lockoutRecovery = i.lockoutRecovery;
      await t.savePerm();
      return { params: EMPTY };
    },
  }),
];

async function lock(t: Tpm, ix: NvIndex, bit: number): Promise<void> {
  ix.pub = { ...ix.pub, attributes: (ix.pub.attributes | bit) >>> 0 };
  await t.saveNvIndex(ix);
}

/** The value a counter index starts from: the largest count of any counter (NvReadMaxCount). */
function maxCount(t: Tpm): bigint {
  let m = t.perm.maxCounter;
  for (const ix of t.nv.values()) if (nvType(ix.pub.attributes) === NT.COUNTER && has(ix.pub.attributes, N.WRITTEN)) m = m > u64(ix.data) ? m : u64(ix.data);
  return m;
}

export type { NvPublic };
