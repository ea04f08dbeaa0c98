// Part 3, 31 Non-volatile Storage: defining indices (attribute and size
// rules), reading and writing with owner and index authorization, counter,
// extend and bits indices, write/read locks, WRITTEN and the name change it
// causes, persistence across TPM Reset, and TPM_PT_NV_BUFFER_MAX checked
// against behaviour (tpm2-tools#1002, flightctl#3126).
import { createHash } from 'node:crypto';
import { ALG, HT, NT, PT, RH, SU, TPMA_NV } from '../../protocol/tpm2/constants.js';
import { RC, rcH, rcP, rcS } from '../../protocol/tpm2/rc.js';
import { marshalNvPublic, type NvPublic } from '../../protocol/tpm2/structures.js';
import { pw } from '../../clients/tpm2.js';
import { NV_RW, P2, P3, concat, tpmCheck, u16, utf8, type Tx } from './common.js';

const N = TPMA_NV;
const DEFINE = '31.3 TPM2_NV_DefineSpace';
const UNDEFINE = '31.4 TPM2_NV_UndefineSpace';
const READPUB = '31.6 TPM2_NV_ReadPublic';
const WRITE = '31.7 TPM2_NV_Write';
const INCREMENT = '31.8 TPM2_NV_Increment';
const EXTEND = '31.9 TPM2_NV_Extend';
const SETBITS = '31.10 TPM2_NV_SetBits';
const WRITELOCK = '31.11 TPM2_NV_WriteLock';
const READ = '31.13 TPM2_NV_Read';
const READLOCK = '31.14 TPM2_NV_ReadLock';

const nt = (t: number) => (t << 4) >>> 0;
const sha256 = (...p: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const x of p) h.update(x);
  return new Uint8Array(h.digest());
};
const nameOf = (pub: NvPublic) => concat(u16(ALG.SHA256), sha256(marshalNvPublic(pub)));
const be64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);

/** NV_DefineSpace that is expected to fail (undefined again if it did not). */
async function defineRc(x: Tx, pub: Omit<NvPublic, 'nvIndex'>, authValue: Uint8Array = new Uint8Array(0), authHandle: number = RH.OWNER): Promise<number> {
  const full = { ...pub, nvIndex: x.nvHandle() };
  const r = await x.c.nvDefineSpace(authHandle, authValue, full, authHandle === RH.OWNER ? x.ownerAuth() : x.platformAuth());
  if (r.rc === RC.SUCCESS) x.defer(() => x.c.nvUndefineSpace(authHandle, full.nvIndex, authHandle === RH.OWNER ? x.ownerAuth() : x.platformAuth()));
  return r.rc;
}

const ordinary = (attributes: number, dataSize: number): Omit<NvPublic, 'nvIndex'> => ({ nameAlg: ALG.SHA256, attributes, authPolicy: new Uint8Array(0), dataSize });

export default [
  tpmCheck({
    id: 'tpm2.nv.define-readpublic',
    title: 'TPM2_NV_ReadPublic returns the defined public area and its name',
    spec: P3,
    clause: READPUB,
    level: 'MUST',
    requirement: 'After TPM2_NV_DefineSpace, NV_ReadPublic (no authorization) returns the public area as defined (nvIndex, nameAlg, attributes, authPolicy, dataSize) and nvName = nameAlg || H(TPMS_NV_PUBLIC).',
    run: async (x) => {
      const pub = await x.nv(NV_RW, 24);
      const r = await x.c.nvReadPublic(pub.nvIndex);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_NV_ReadPublic');
      x.bytes(marshalNvPublic(r.public!), marshalNvPublic(pub), 'public area');
      x.bytes(r.name, nameOf(pub), 'nvName against nameAlg || SHA-256(public area)');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.define-twice',
    title: 'defining an index that exists answers TPM_RC_NV_DEFINED',
    spec: P3,
    clause: DEFINE,
    level: 'MUST',
    requirement: 'TPM2_NV_DefineSpace of an nvIndex that is already defined fails with TPM_RC_NV_DEFINED (0x14C).',
    run: async (x) => {
      const pub = await x.nv(NV_RW, 8);
      x.rc((await x.c.nvDefineSpace(RH.OWNER, new Uint8Array(0), pub, x.ownerAuth())).rc, RC.NV_DEFINED, 'second TPM2_NV_DefineSpace of the same index');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.write-read',
    title: 'data written at an offset reads back',
    spec: P3,
    clause: WRITE,
    level: 'MUST',
    requirement: 'TPM2_NV_Write(data, offset) stores data at offset; TPM2_NV_Read(size, offset) returns exactly the bytes stored (owner authorization).',
    run: async (x) => {
      const pub = await x.nv(NV_RW, 32);
      x.rc((await x.c.nvWrite(RH.OWNER, pub.nvIndex, utf8('0123456789abcdef'), 0, x.ownerAuth())).rc, RC.SUCCESS, 'TPM2_NV_Write(16 bytes at 0)');
      x.rc((await x.c.nvWrite(RH.OWNER, pub.nvIndex, utf8('XYZ'), 4, x.ownerAuth())).rc, RC.SUCCESS, 'TPM2_NV_Write(3 bytes at 4)');
      const r = await x.c.nvRead(RH.OWNER, pub.nvIndex, 10, 2, x.ownerAuth());
      x.rc(r.rc, RC.SUCCESS, 'TPM2_NV_Read(10 bytes at 2)');
      x.bytes(r.data, utf8('23XYZ789ab'), 'bytes read');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.written-changes-name',
    title: 'the first write sets TPMA_NV_WRITTEN and changes the index name',
    spec: P3,
    clause: WRITE,
    level: 'MUST',
    requirement: 'The first successful write sets TPMA_NV_WRITTEN; since the name is computed over the public area, nvName changes to nameAlg || H(public area with WRITTEN) (ESAPI recomputes names on this rule).',
    run: async (x) => {
      const pub = await x.nv(NV_RW, 8);
      const before = await x.c.nvReadPublic(pub.nvIndex);
      x.t.expectEqual(before.public!.attributes & N.WRITTEN, 0, 'WRITTEN before any write');
      x.ok(await x.c.nvWrite(RH.OWNER, pub.nvIndex, utf8('w'), 0, x.ownerAuth()), 'TPM2_NV_Write');
      const after = await x.c.nvReadPublic(pub.nvIndex);
      x.t.expectEqual(after.public!.attributes & N.WRITTEN, N.WRITTEN, 'WRITTEN after the write', (v) => `0x${v.toString(16)}`);
      x.bytes(after.name, nameOf({ ...pub, attributes: (pub.attributes | N.WRITTEN) >>> 0 }), 'nvName after the write');
      x.t.assert(!Buffer.from(after.name!).equals(Buffer.from(before.name!)), 'the name did not change');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.read-unwritten',
    title: 'reading an index never written answers TPM_RC_NV_UNINITIALIZED',
    spec: P3,
    clause: READ,
    level: 'MUST',
    requirement: 'TPM2_NV_Read of an index whose TPMA_NV_WRITTEN is CLEAR fails with TPM_RC_NV_UNINITIALIZED (0x14A).',
    run: async (x) => {
      const pub = await x.nv(NV_RW, 8);
      x.rc((await x.c.nvRead(RH.OWNER, pub.nvIndex, 4, 0, x.ownerAuth())).rc, RC.NV_UNINITIALIZED, 'TPM2_NV_Read before any write');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.write-range',
    title: 'writing past the end answers TPM_RC_NV_RANGE; an offset past the end TPM_RC_VALUE',
    spec: P3,
    clause: WRITE,
    level: 'MUST',
    requirement: 'If offset + size exceeds dataSize, TPM2_NV_Write fails with TPM_RC_NV_RANGE (0x146); if offset itself exceeds dataSize it fails with TPM_RC_VALUE + TPM_RC_P + TPM_RC_2 (0x2C4).',
    run: async (x) => {
      const pub = await x.nv(NV_RW, 8);
      x.rc((await x.c.nvWrite(RH.OWNER, pub.nvIndex, new Uint8Array(4), 6, x.ownerAuth())).rc, RC.NV_RANGE, 'TPM2_NV_Write(4 bytes at 6) on an 8-byte index');
      x.rc((await x.c.nvWrite(RH.OWNER, pub.nvIndex, new Uint8Array(1), 9, x.ownerAuth())).rc, rcP(RC.VALUE, 2), 'TPM2_NV_Write at offset 9 of an 8-byte index');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.read-range',
    title: 'reading past the end answers TPM_RC_NV_RANGE',
    spec: P3,
    clause: READ,
    level: 'MUST',
    requirement: 'If offset + size exceeds dataSize, TPM2_NV_Read fails with TPM_RC_NV_RANGE (0x146); an offset past the end fails with TPM_RC_VALUE + TPM_RC_P + TPM_RC_2 (0x2C4).',
    run: async (x) => {
      const pub = await x.nv(NV_RW, 8);
      x.ok(await x.c.nvWrite(RH.OWNER, pub.nvIndex, new Uint8Array(8), 0, x.ownerAuth()), 'TPM2_NV_Write');
      x.rc((await x.c.nvRead(RH.OWNER, pub.nvIndex, 4, 6, x.ownerAuth())).rc, RC.NV_RANGE, 'TPM2_NV_Read(4 bytes at 6)');
      x.rc((await x.c.nvRead(RH.OWNER, pub.nvIndex, 0, 9, x.ownerAuth())).rc, rcP(RC.VALUE, 2), 'TPM2_NV_Read at offset 9');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.buffer-max-honoured',
    title: 'NV_Write and NV_Read move TPM_PT_NV_BUFFER_MAX bytes and refuse one more',
    spec: P3,
    clause: WRITE,
    level: 'MUST',
    requirement: 'TPM_PT_NV_BUFFER_MAX bytes can be written and read in one command; NV_Write data of one byte more fails to unmarshal (TPM_RC_SIZE + TPM_RC_P + TPM_RC_1, 0x1D5) and NV_Read of one byte more fails with TPM_RC_VALUE + TPM_RC_P + TPM_RC_1 (0x1C4) (a TPM reporting a larger buffer than it honours breaks tpm2_nvread, flightctl#3126).',
    run: async (x) => {
      const max = await x.prop(PT.NV_BUFFER_MAX);
      const limit = await x.prop(PT.NV_INDEX_MAX);
      const cmd = await x.prop(PT.MAX_COMMAND_SIZE);
      if (max + 1 > limit) x.t.unsupported(`TPM_PT_NV_INDEX_MAX (${limit}) is not larger than TPM_PT_NV_BUFFER_MAX (${max})`);
      if (max + 1 + 40 > cmd) x.t.unsupported(`TPM_PT_NV_BUFFER_MAX + 1 does not fit in a ${cmd}-byte command`);
      const pub = await x.nv(NV_RW, max + 1);
      const data = new Uint8Array(max).map((_, i) => i & 0xff);
      x.rc((await x.c.nvWrite(RH.OWNER, pub.nvIndex, data, 0, x.ownerAuth())).rc, RC.SUCCESS, `TPM2_NV_Write of ${max} bytes (TPM_PT_NV_BUFFER_MAX)`);
      const r = await x.c.nvRead(RH.OWNER, pub.nvIndex, max, 0, x.ownerAuth());
      x.rc(r.rc, RC.SUCCESS, `TPM2_NV_Read of ${max} bytes`);
      x.bytes(r.data, data, 'data read back');
      x.rc((await x.c.nvWrite(RH.OWNER, pub.nvIndex, new Uint8Array(max + 1), 0, x.ownerAuth())).rc, rcP(RC.SIZE, 1), `TPM2_NV_Write of ${max + 1} bytes`);
      x.rc((await x.c.nvRead(RH.OWNER, pub.nvIndex, max + 1, 0, x.ownerAuth())).rc, rcP(RC.VALUE, 1), `TPM2_NV_Read of ${max + 1} bytes`);
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.index-max-honoured',
    title: 'an ordinary index of TPM_PT_NV_INDEX_MAX bytes can be defined, one byte more cannot',
    spec: P3,
    clause: DEFINE,
    level: 'MUST',
    requirement: 'TPM_PT_NV_INDEX_MAX is the largest NV index: defining an ordinary index of that size succeeds (given free space) and one of size + 1 fails with TPM_RC_SIZE + TPM_RC_P + TPM_RC_2 (0x2D5).',
    run: async (x) => {
      const max = await x.prop(PT.NV_INDEX_MAX);
      x.rc(await defineRc(x, ordinary(NV_RW, max)), [RC.SUCCESS, RC.NV_SPACE], `TPM2_NV_DefineSpace of ${max} bytes`);
      x.rc(await defineRc(x, ordinary(NV_RW, max + 1)), rcP(RC.SIZE, 2), `TPM2_NV_DefineSpace of ${max + 1} bytes`);
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.writeall',
    title: 'a TPMA_NV_WRITEALL index takes only whole writes',
    spec: P3,
    clause: WRITE,
    level: 'MUST',
    requirement: 'With TPMA_NV_WRITEALL, a write of fewer bytes than dataSize fails with TPM_RC_NV_RANGE (0x146) and a write of the whole index succeeds.',
    run: async (x) => {
      const pub = await x.nv(NV_RW | N.WRITEALL, 16);
      x.rc((await x.c.nvWrite(RH.OWNER, pub.nvIndex, new Uint8Array(8), 0, x.ownerAuth())).rc, RC.NV_RANGE, 'partial TPM2_NV_Write');
      x.rc((await x.c.nvWrite(RH.OWNER, pub.nvIndex, new Uint8Array(16).fill(1), 0, x.ownerAuth())).rc, RC.SUCCESS, 'whole TPM2_NV_Write');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.index-auth',
    title: 'an index authorizes itself with its authValue',
    spec: P3,
    clause: WRITE,
    level: 'MUST',
    requirement: 'With TPMA_NV_AUTHWRITE/AUTHREAD, authHandle = nvIndex and the index authValue authorize writes and reads; a wrong password fails with TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 (0x9A2) for a TPMA_NV_NO_DA index.',
    run: async (x) => {
      const pub = await x.nv(NV_RW, 8, { authValue: utf8('ix-pw') });
      x.rc((await x.c.nvWrite(pub.nvIndex, pub.nvIndex, utf8('ab'), 0, pw('ix-pw'))).rc, RC.SUCCESS, 'TPM2_NV_Write with the index password');
      x.rc((await x.c.nvWrite(pub.nvIndex, pub.nvIndex, utf8('cd'), 0, pw('no'))).rc, rcS(RC.BAD_AUTH, 1), 'TPM2_NV_Write with a wrong password');
      const r = await x.c.nvRead(pub.nvIndex, pub.nvIndex, 2, 0, pw('ix-pw'));
      x.rc(r.rc, RC.SUCCESS, 'TPM2_NV_Read with the index password');
      x.bytes(r.data, utf8('ab'), 'data (the failed write changed nothing)');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.owner-write-not-allowed',
    title: 'owner authorization on an index without OWNERWRITE answers TPM_RC_NV_AUTHORIZATION',
    spec: P3,
    clause: WRITE,
    level: 'MUST',
    requirement: 'If authHandle is TPM_RH_OWNER and TPMA_NV_OWNERWRITE is CLEAR, TPM2_NV_Write fails with TPM_RC_NV_AUTHORIZATION (0x149).',
    run: async (x) => {
      const pub = await x.nv(N.AUTHWRITE | N.AUTHREAD | N.OWNERREAD | N.NO_DA, 8);
      x.rc((await x.c.nvWrite(RH.OWNER, pub.nvIndex, utf8('x'), 0, x.ownerAuth())).rc, RC.NV_AUTHORIZATION, 'TPM2_NV_Write with owner authorization');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.authread-not-allowed',
    title: 'index authorization of a read without AUTHREAD answers TPM_RC_AUTH_UNAVAILABLE',
    spec: P3,
    clause: READ,
    level: 'MUST',
    requirement: 'If TPMA_NV_AUTHREAD is CLEAR, the index authValue is not available for reads: TPM2_NV_Read with authHandle = nvIndex fails with TPM_RC_AUTH_UNAVAILABLE (0x12F).',
    run: async (x) => {
      const pub = await x.nv(N.OWNERWRITE | N.OWNERREAD | N.AUTHWRITE | N.NO_DA, 8);
      x.ok(await x.c.nvWrite(RH.OWNER, pub.nvIndex, utf8('x'), 0, x.ownerAuth()), 'TPM2_NV_Write');
      x.rc((await x.c.nvRead(pub.nvIndex, pub.nvIndex, 1, 0, pw())).rc, RC.AUTH_UNAVAILABLE, 'TPM2_NV_Read authorized by the index');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.counter',
    title: 'an NV counter increments by one from its first value',
    spec: P3,
    clause: INCREMENT,
    level: 'MUST',
    requirement: 'A TPM_NT_COUNTER index (dataSize 8) is unreadable until the first TPM2_NV_Increment (TPM_RC_NV_UNINITIALIZED); each increment adds 1 to the 64-bit big-endian value.',
    run: async (x) => {
      const pub = await x.nv(NV_RW | nt(NT.COUNTER), 8);
      x.rc((await x.c.nvRead(RH.OWNER, pub.nvIndex, 8, 0, x.ownerAuth())).rc, RC.NV_UNINITIALIZED, 'TPM2_NV_Read before the first increment');
      x.rc((await x.c.nvIncrement(RH.OWNER, pub.nvIndex, x.ownerAuth())).rc, RC.SUCCESS, 'first TPM2_NV_Increment');
      const a = be64((await x.c.nvRead(RH.OWNER, pub.nvIndex, 8, 0, x.ownerAuth())).data!);
      for (let i = 1; i <= 3; i++) x.ok(await x.c.nvIncrement(RH.OWNER, pub.nvIndex, x.ownerAuth()), `TPM2_NV_Increment #${i + 1}`);
      const b = be64((await x.c.nvRead(RH.OWNER, pub.nvIndex, 8, 0, x.ownerAuth())).data!);
      x.t.expectEqual(b, a + 3n, 'counter after three more increments', (v) => String(v));
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.counter-monotonic',
    title: 'a new counter starts at or above the highest value any counter had',
    spec: P3,
    clause: '31.2 NV Counters',
    level: 'MUST',
    requirement: 'When a counter index is first incremented its value is at least the largest count of any counter that existed on the TPM (so deleting and re-creating a counter cannot roll it back).',
    run: async (x) => {
      const a = await x.nv(NV_RW | nt(NT.COUNTER), 8);
      for (let i = 0; i < 5; i++) x.ok(await x.c.nvIncrement(RH.OWNER, a.nvIndex, x.ownerAuth()), 'TPM2_NV_Increment');
      const high = be64((await x.c.nvRead(RH.OWNER, a.nvIndex, 8, 0, x.ownerAuth())).data!);
      x.ok(await x.c.nvUndefineSpace(RH.OWNER, a.nvIndex, x.ownerAuth()), 'TPM2_NV_UndefineSpace of the first counter');
      const b = await x.nv(NV_RW | nt(NT.COUNTER), 8);
      x.ok(await x.c.nvIncrement(RH.OWNER, b.nvIndex, x.ownerAuth()), 'TPM2_NV_Increment of the new counter');
      const v = be64((await x.c.nvRead(RH.OWNER, b.nvIndex, 8, 0, x.ownerAuth())).data!);
      x.t.assert(v > high, `the new counter started at ${v}, the deleted one had reached ${high}`, { expected: `> ${high}`, actual: String(v) });
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.counter-write-refused',
    title: 'TPM2_NV_Write of a counter answers TPM_RC_ATTRIBUTES',
    spec: P3,
    clause: WRITE,
    level: 'MUST',
    requirement: 'Counter, bits and extend indices cannot be written with TPM2_NV_Write: TPM_RC_ATTRIBUTES (0x082).',
    run: async (x) => {
      const pub = await x.nv(NV_RW | nt(NT.COUNTER), 8);
      x.rc((await x.c.nvWrite(RH.OWNER, pub.nvIndex, new Uint8Array(8), 0, x.ownerAuth())).rc, RC.ATTRIBUTES, 'TPM2_NV_Write of a counter');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.increment-ordinary-refused',
    title: 'TPM2_NV_Increment of an ordinary index answers TPM_RC_ATTRIBUTES for handle 2',
    spec: P3,
    clause: INCREMENT,
    level: 'MUST',
    requirement: 'NV_Increment needs a TPM_NT_COUNTER index; on an ordinary index it fails with TPM_RC_ATTRIBUTES + TPM_RC_H + TPM_RC_2 (0x282).',
    run: async (x) => {
      const pub = await x.nv(NV_RW, 8);
      x.rc((await x.c.nvIncrement(RH.OWNER, pub.nvIndex, x.ownerAuth())).rc, rcH(RC.ATTRIBUTES, 2), 'TPM2_NV_Increment of an ordinary index');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.extend',
    title: 'an extend index holds H(old || data) from a zero start',
    spec: P3,
    clause: EXTEND,
    level: 'MUST',
    requirement: 'For a TPM_NT_EXTEND index (dataSize = nameAlg digest), the first TPM2_NV_Extend sets H(0...0 || data) and each further one H(value || data).',
    run: async (x) => {
      const pub = await x.nv(NV_RW | nt(NT.EXTEND), 32);
      x.ok(await x.c.nvExtend(RH.OWNER, pub.nvIndex, utf8('one'), x.ownerAuth()), 'TPM2_NV_Extend("one")');
      const v1 = sha256(new Uint8Array(32), utf8('one'));
      x.bytes((await x.c.nvRead(RH.OWNER, pub.nvIndex, 32, 0, x.ownerAuth())).data, v1, 'value after one extend');
      x.ok(await x.c.nvExtend(RH.OWNER, pub.nvIndex, utf8('two'), x.ownerAuth()), 'TPM2_NV_Extend("two")');
      x.bytes((await x.c.nvRead(RH.OWNER, pub.nvIndex, 32, 0, x.ownerAuth())).data, sha256(v1, utf8('two')), 'value after two extends');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.bits',
    title: 'TPM2_NV_SetBits ORs bits into a bit-field index',
    spec: P3,
    clause: SETBITS,
    level: 'MUST',
    requirement: 'A TPM_NT_BITS index starts at zero and each TPM2_NV_SetBits ORs its value into the 64-bit field.',
    run: async (x) => {
      const pub = await x.nv(NV_RW | nt(NT.BITS), 8);
      x.ok(await x.c.nvSetBits(RH.OWNER, pub.nvIndex, 0x5n, x.ownerAuth()), 'TPM2_NV_SetBits(0x5)');
      x.ok(await x.c.nvSetBits(RH.OWNER, pub.nvIndex, 0x100000000n, x.ownerAuth()), 'TPM2_NV_SetBits(0x100000000)');
      x.t.expectEqual(be64((await x.c.nvRead(RH.OWNER, pub.nvIndex, 8, 0, x.ownerAuth())).data!), 0x100000005n, 'bits', (v) => `0x${v.toString(16)}`);
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.define-size-rules',
    title: 'counter, bits and extend indices must have their fixed sizes',
    spec: P3,
    clause: DEFINE,
    level: 'MUST',
    requirement: 'Counter and bits indices have dataSize 8 and extend indices the nameAlg digest size; others fail with TPM_RC_SIZE + TPM_RC_P + TPM_RC_2 (0x2D5).',
    run: async (x) => {
      x.rc(await defineRc(x, ordinary(NV_RW | nt(NT.COUNTER), 4)), rcP(RC.SIZE, 2), 'counter of 4 bytes');
      x.rc(await defineRc(x, ordinary(NV_RW | nt(NT.BITS), 16)), rcP(RC.SIZE, 2), 'bits index of 16 bytes');
      x.rc(await defineRc(x, ordinary(NV_RW | nt(NT.EXTEND), 20)), rcP(RC.SIZE, 2), 'SHA-256 extend index of 20 bytes');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.define-attribute-rules',
    title: 'inconsistent NV attributes are refused with TPM_RC_ATTRIBUTES',
    spec: P3,
    clause: DEFINE,
    level: 'MUST',
    requirement: 'TPM2_NV_DefineSpace fails with TPM_RC_ATTRIBUTES + TPM_RC_P + TPM_RC_2 (0x2C2) for: no read authorization attribute; no write authorization attribute; WRITTEN, WRITELOCKED or READLOCKED set; CLEAR_STCLEAR with WRITEDEFINE; a counter with CLEAR_STCLEAR. PLATFORMCREATE under owner authorization fails with TPM_RC_ATTRIBUTES + TPM_RC_H + TPM_RC_1 (0x182).',
    run: async (x) => {
      const cases: [string, number, number][] = [
        ['no read attribute', N.OWNERWRITE | N.NO_DA, rcP(RC.ATTRIBUTES, 2)],
        ['no write attribute', N.OWNERREAD | N.NO_DA, rcP(RC.ATTRIBUTES, 2)],
        ['WRITTEN set', NV_RW | N.WRITTEN, rcP(RC.ATTRIBUTES, 2)],
        ['WRITELOCKED set', NV_RW | N.WRITELOCKED, rcP(RC.ATTRIBUTES, 2)],
        ['READLOCKED set', NV_RW | N.READLOCKED, rcP(RC.ATTRIBUTES, 2)],
        ['CLEAR_STCLEAR with WRITEDEFINE', NV_RW | N.CLEAR_STCLEAR | N.WRITEDEFINE, rcP(RC.ATTRIBUTES, 2)],
        ['counter with CLEAR_STCLEAR', NV_RW | nt(NT.COUNTER) | N.CLEAR_STCLEAR, rcP(RC.ATTRIBUTES, 2)],
        ['PLATFORMCREATE under owner authorization', NV_RW | N.PLATFORMCREATE, rcH(RC.ATTRIBUTES, 1)],
      ];
      for (const [what, attrs, rc] of cases) {
        x.rc(await defineRc(x, ordinary(attrs >>> 0, 8)), rc, `TPM2_NV_DefineSpace with ${what}`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.define-reserved-bits',
    title: 'reserved TPMA_NV bits answer TPM_RC_RESERVED_BITS for parameter 2',
    spec: P2,
    clause: '13.4 TPMA_NV (NV Index Attributes)',
    level: 'MUST',
    requirement: 'Bits 8, 9 and 20-24 of TPMA_NV are reserved; a public area with bit 20 set fails to unmarshal with TPM_RC_RESERVED_BITS + TPM_RC_P + TPM_RC_2 (0x2E1).',
    run: async (x) => {
      x.rc(await defineRc(x, ordinary((NV_RW | 0x100000) >>> 0, 8)), rcP(RC.RESERVED_BITS, 2), 'TPM2_NV_DefineSpace with TPMA_NV bit 20');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.define-auth-too-long',
    title: 'an NV authValue longer than the nameAlg digest answers TPM_RC_SIZE for parameter 1',
    spec: P3,
    clause: DEFINE,
    level: 'MUST',
    requirement: 'The index authValue may not exceed the digest size of its nameAlg: 33 bytes for SHA-256 fail with TPM_RC_SIZE + TPM_RC_P + TPM_RC_1 (0x1D5).',
    run: async (x) => {
      x.rc(await defineRc(x, ordinary(NV_RW, 8), new Uint8Array(33).fill(1)), rcP(RC.SIZE, 1), 'TPM2_NV_DefineSpace with a 33-byte auth');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.define-policy-size',
    title: 'an NV authPolicy of the wrong size answers TPM_RC_SIZE for parameter 2',
    spec: P3,
    clause: DEFINE,
    level: 'MUST',
    requirement: 'A non-empty authPolicy must be the nameAlg digest size: 20 bytes for SHA-256 fail with TPM_RC_SIZE + TPM_RC_P + TPM_RC_2 (0x2D5).',
    run: async (x) => {
      x.rc(await defineRc(x, { ...ordinary(NV_RW, 8), authPolicy: new Uint8Array(20) }), rcP(RC.SIZE, 2), 'TPM2_NV_DefineSpace with a 20-byte authPolicy');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.define-bad-index',
    title: 'an nvIndex outside the NV handle range answers TPM_RC_VALUE for parameter 2',
    spec: P3,
    clause: DEFINE,
    level: 'MUST',
    requirement: 'publicInfo.nvIndex is a TPMI_RH_NV_INDEX; 0x81000100 fails to unmarshal with TPM_RC_VALUE + TPM_RC_P + TPM_RC_2 (0x2C4).',
    run: async (x) => {
      const r = await x.c.nvDefineSpace(RH.OWNER, new Uint8Array(0), { ...ordinary(NV_RW, 8), nvIndex: 0x81000100 }, x.ownerAuth());
      x.rc(r.rc, rcP(RC.VALUE, 2), 'TPM2_NV_DefineSpace(nvIndex 0x81000100)');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.undefine',
    title: 'TPM2_NV_UndefineSpace removes the index',
    spec: P3,
    clause: UNDEFINE,
    level: 'MUST',
    requirement: 'After TPM2_NV_UndefineSpace the index is not listed in TPM_CAP_HANDLES and NV_ReadPublic fails with TPM_RC_HANDLE + TPM_RC_H + TPM_RC_1 (0x18B).',
    run: async (x) => {
      const pub = { ...ordinary(NV_RW, 8), nvIndex: x.nvHandle() };
      x.ok(await x.c.nvDefineSpace(RH.OWNER, new Uint8Array(0), pub, x.ownerAuth()), 'TPM2_NV_DefineSpace');
      x.rc((await x.c.nvUndefineSpace(RH.OWNER, pub.nvIndex, x.ownerAuth())).rc, RC.SUCCESS, 'TPM2_NV_UndefineSpace');
      x.t.assert(!(await x.c.handles(HT.NV_INDEX)).includes(pub.nvIndex), 'the index is still listed');
      x.rc((await x.c.nvReadPublic(pub.nvIndex)).rc, rcH(RC.HANDLE, 1), 'TPM2_NV_ReadPublic after undefine');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.writedefine-lock',
    title: 'a WRITEDEFINE index locks for good after TPM2_NV_WriteLock',
    spec: P3,
    clause: WRITELOCK,
    level: 'MUST',
    requirement: 'With TPMA_NV_WRITEDEFINE, TPM2_NV_WriteLock sets WRITELOCKED after which writes fail with TPM_RC_NV_LOCKED (0x148), and the lock survives TPM Reset.',
    capabilities: ['tpm2.power-cycle'],
    run: async (x) => {
      const pub = await x.nv(NV_RW | N.WRITEDEFINE, 8);
      x.ok(await x.c.nvWrite(RH.OWNER, pub.nvIndex, utf8('a'), 0, x.ownerAuth()), 'TPM2_NV_Write');
      x.rc((await x.c.nvWriteLock(RH.OWNER, pub.nvIndex, x.ownerAuth())).rc, RC.SUCCESS, 'TPM2_NV_WriteLock');
      x.rc((await x.c.nvWrite(RH.OWNER, pub.nvIndex, utf8('b'), 0, x.ownerAuth())).rc, RC.NV_LOCKED, 'TPM2_NV_Write after the lock');
      x.ok(await x.c.shutdown(SU.CLEAR), 'TPM2_Shutdown(CLEAR)');
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      x.rc((await x.c.nvWrite(RH.OWNER, pub.nvIndex, utf8('c'), 0, x.ownerAuth())).rc, RC.NV_LOCKED, 'TPM2_NV_Write after TPM Reset');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.write-stclear-lock',
    title: 'a WRITE_STCLEAR lock lasts until the next TPM2_Startup(CLEAR)',
    spec: P3,
    clause: WRITELOCK,
    level: 'MUST',
    requirement: 'With TPMA_NV_WRITE_STCLEAR, TPM2_NV_WriteLock blocks writes (TPM_RC_NV_LOCKED, 0x148) until TPM Reset, after which writes succeed again.',
    capabilities: ['tpm2.power-cycle'],
    run: async (x) => {
      const pub = await x.nv(NV_RW | N.WRITE_STCLEAR, 8);
      x.rc((await x.c.nvWriteLock(RH.OWNER, pub.nvIndex, x.ownerAuth())).rc, RC.SUCCESS, 'TPM2_NV_WriteLock');
      x.rc((await x.c.nvWrite(RH.OWNER, pub.nvIndex, utf8('a'), 0, x.ownerAuth())).rc, RC.NV_LOCKED, 'TPM2_NV_Write while locked');
      x.ok(await x.c.shutdown(SU.CLEAR), 'TPM2_Shutdown(CLEAR)');
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      x.rc((await x.c.nvWrite(RH.OWNER, pub.nvIndex, utf8('a'), 0, x.ownerAuth())).rc, RC.SUCCESS, 'TPM2_NV_Write after TPM Reset');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.writelock-needs-attribute',
    title: 'TPM2_NV_WriteLock on an index without a lock attribute answers TPM_RC_ATTRIBUTES for handle 2',
    spec: P3,
    clause: WRITELOCK,
    level: 'MUST',
    requirement: 'NV_WriteLock needs TPMA_NV_WRITEDEFINE or TPMA_NV_WRITE_STCLEAR; otherwise TPM_RC_ATTRIBUTES + TPM_RC_H + TPM_RC_2 (0x282).',
    run: async (x) => {
      const pub = await x.nv(NV_RW, 8);
      x.rc((await x.c.nvWriteLock(RH.OWNER, pub.nvIndex, x.ownerAuth())).rc, rcH(RC.ATTRIBUTES, 2), 'TPM2_NV_WriteLock without lock attributes');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.read-stclear-lock',
    title: 'TPM2_NV_ReadLock blocks reads until TPM2_Startup(CLEAR)',
    spec: P3,
    clause: READLOCK,
    level: 'MUST',
    requirement: 'With TPMA_NV_READ_STCLEAR, TPM2_NV_ReadLock makes reads fail with TPM_RC_NV_LOCKED (0x148); the lock clears at TPM Reset.',
    capabilities: ['tpm2.power-cycle'],
    run: async (x) => {
      const pub = await x.nv(NV_RW | N.READ_STCLEAR, 8);
      x.ok(await x.c.nvWrite(RH.OWNER, pub.nvIndex, utf8('r'), 0, x.ownerAuth()), 'TPM2_NV_Write');
      x.rc((await x.c.nvReadLock(RH.OWNER, pub.nvIndex, x.ownerAuth())).rc, RC.SUCCESS, 'TPM2_NV_ReadLock');
      x.rc((await x.c.nvRead(RH.OWNER, pub.nvIndex, 1, 0, x.ownerAuth())).rc, RC.NV_LOCKED, 'TPM2_NV_Read while read-locked');
      x.ok(await x.c.shutdown(SU.CLEAR), 'TPM2_Shutdown(CLEAR)');
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      x.rc((await x.c.nvRead(RH.OWNER, pub.nvIndex, 1, 0, x.ownerAuth())).rc, RC.SUCCESS, 'TPM2_NV_Read after TPM Reset');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.clear-stclear',
    title: 'a CLEAR_STCLEAR index forgets it was written at TPM2_Startup(CLEAR)',
    spec: P3,
    clause: DEFINE,
    level: 'MUST',
    requirement: 'With TPMA_NV_CLEAR_STCLEAR, TPMA_NV_WRITTEN is cleared by TPM Reset: reads then fail with TPM_RC_NV_UNINITIALIZED (0x14A).',
    capabilities: ['tpm2.power-cycle'],
    run: async (x) => {
      const pub = await x.nv(NV_RW | N.CLEAR_STCLEAR, 8);
      x.ok(await x.c.nvWrite(RH.OWNER, pub.nvIndex, utf8('c'), 0, x.ownerAuth()), 'TPM2_NV_Write');
      x.ok(await x.c.shutdown(SU.CLEAR), 'TPM2_Shutdown(CLEAR)');
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      x.rc((await x.c.nvRead(RH.OWNER, pub.nvIndex, 1, 0, x.ownerAuth())).rc, RC.NV_UNINITIALIZED, 'TPM2_NV_Read after TPM Reset');
    },
  }),
  tpmCheck({
    id: 'tpm2.nv.survives-reset',
    title: 'NV data survives a power cycle',
    spec: P3,
    clause: WRITE,
    level: 'MUST',
    requirement: 'Data written to an ordinary index without CLEAR_STCLEAR reads back unchanged after TPM2_Shutdown(CLEAR), _TPM_Init and TPM2_Startup(CLEAR).',
    capabilities: ['tpm2.power-cycle'],
    run: async (x) => {
      const pub = await x.nv(NV_RW, 16);
      const data = utf8('survives a reset');
      x.ok(await x.c.nvWrite(RH.OWNER, pub.nvIndex, data, 0, x.ownerAuth()), 'TPM2_NV_Write');
      x.ok(await x.c.shutdown(SU.CLEAR), 'TPM2_Shutdown(CLEAR)');
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      const r = await x.c.nvRead(RH.OWNER, pub.nvIndex, 16, 0, x.ownerAuth());
      x.rc(r.rc, RC.SUCCESS, 'TPM2_NV_Read after TPM Reset');
      x.bytes(r.data, data, 'data after TPM Reset');
    },
  }),
];

