// Linux TEE subsystem user ABI (include/uapi/linux/tee.h): ioctl numbers,
// argument structs, parameter attributes, logins, implementation ids, and
// GlobalPlatform TEE Client API return codes. Pure byte layouts, no I/O.
// Layouts are the LP64 little-endian ones (x86_64 and arm64, where every
// field is naturally aligned and there is no padding); test/protocol/tee
// checks them against the kernel header compiled with gcc.
import { DecodeError, Reader, Writer, hexNum } from './bytes.js';

/** asm-generic _IOC encoding: dir<<30 | size<<16 | type<<8 | nr. */
export const IOC = { NONE: 0, WRITE: 1, READ: 2 } as const;
export function ioc(dir: number, type: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}
export const ior = (type: number, nr: number, size: number) => ioc(IOC.READ, type, nr, size);
export const iowr = (type: number, nr: number, size: number) => ioc(IOC.READ | IOC.WRITE, type, nr, size);

export const TEE_IOC_MAGIC = 0xa4;

export const SIZES = {
  versionData: 12,
  shmAllocData: 16,
  bufData: 16,
  param: 32,
  openSessionArg: 56,
  invokeArg: 24,
  cancelArg: 8,
  closeSessionArg: 4,
} as const;

export const TEE_IOC = {
  VERSION: ior(TEE_IOC_MAGIC, 0, SIZES.versionData),
  SHM_ALLOC: iowr(TEE_IOC_MAGIC, 1, SIZES.shmAllocData),
  OPEN_SESSION: ior(TEE_IOC_MAGIC, 2, SIZES.bufData),
  INVOKE: ior(TEE_IOC_MAGIC, 3, SIZES.bufData),
  CANCEL: ior(TEE_IOC_MAGIC, 4, SIZES.cancelArg),
  CLOSE_SESSION: ior(TEE_IOC_MAGIC, 5, SIZES.closeSessionArg),
} as const;

/** Largest OPEN_SESSION / INVOKE argument the kernel accepts (TEE_MAX_ARG_SIZE). */
export const TEE_MAX_ARG_SIZE = 1024;

export const TEE_IMPL_ID = { OPTEE: 1, AMDTEE: 2, TSTEE: 3, QTEE: 4 } as const;
export const TEE_GEN_CAP = { GP: 1, PRIVILEGED: 2, REG_MEM: 4, MEMREF_NULL: 8 } as const;

export const PARAM_ATTR = {
  NONE: 0,
  VALUE_INPUT: 1,
  VALUE_OUTPUT: 2,
  VALUE_INOUT: 3,
  MEMREF_INPUT: 5,
  MEMREF_OUTPUT: 6,
  MEMREF_INOUT: 7,
  TYPE_MASK: 0xff,
  META: 0x100,
} as const;

export const TEE_LOGIN = { PUBLIC: 0, USER: 1, GROUP: 2, APPLICATION: 4, USER_APPLICATION: 5, GROUP_APPLICATION: 6 } as const;

/** GlobalPlatform TEE Client API return codes (TEEC_Result). */
export const TEEC = {
  SUCCESS: 0x0000_0000,
  ERROR_GENERIC: 0xffff_0000,
  ERROR_ACCESS_DENIED: 0xffff_0001,
  ERROR_CANCEL: 0xffff_0002,
  ERROR_ACCESS_CONFLICT: 0xffff_0003,
  ERROR_EXCESS_DATA: 0xffff_0004,
  ERROR_BAD_FORMAT: 0xffff_0005,
  ERROR_BAD_PARAMETERS: 0xffff_0006,
  ERROR_BAD_STATE: 0xffff_0007,
  ERROR_ITEM_NOT_FOUND: 0xffff_0008,
  ERROR_NOT_IMPLEMENTED: 0xffff_0009,
  ERROR_NOT_SUPPORTED: 0xffff_000a,
  ERROR_NO_DATA: 0xffff_000b,
  ERROR_OUT_OF_MEMORY: 0xffff_000c,
  ERROR_BUSY: 0xffff_000d,
  ERROR_COMMUNICATION: 0xffff_000e,
  ERROR_SECURITY: 0xffff_000f,
  ERROR_SHORT_BUFFER: 0xffff_0010,
  ERROR_TARGET_DEAD: 0xffff_3024,
} as const;

export const TEEC_ORIGIN = { API: 1, COMMS: 2, TEE: 3, TRUSTED_APP: 4 } as const;

const TEEC_NAMES = new Map<number, string>(Object.entries(TEEC).map(([k, v]) => [v, `TEEC_${k}`]));
export function teecName(code: number): string {
  const c = code >>> 0;
  return TEEC_NAMES.get(c) ?? `TEEC result ${hexNum(c, 8)}`;
}
const ORIGIN_NAMES = new Map<number, string>(Object.entries(TEEC_ORIGIN).map(([k, v]) => [v, k]));
export function originName(o: number): string {
  return ORIGIN_NAMES.get(o) ?? `origin ${o}`;
}

/** UUID text -> the 16 octets the kernel expects (RFC 4122 order, as libteec's uuid_to_octets). */
export function uuidToOctets(uuid: string): Uint8Array {
  const h = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(h) || !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(uuid)) {
    throw new DecodeError(`not a UUID: ${JSON.stringify(uuid)}`);
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function octetsToUuid(b: Uint8Array): string {
  if (b.length !== 16) throw new DecodeError(`a UUID is 16 bytes, got ${b.length}`);
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Services reachable through /dev/teeN, by UUID (shared/reference/tee.md section 4). */
export const TEE_UUID = {
  PTA_STMM: 'ed32d533-99e6-4209-9cc0-2d72cdd998a7',
  FTPM_TA: 'bc50d971-d4c9-42c4-82cb-343fb7f37896',
  TS_CRYPTO: 'd9df52d5-16a2-4bb2-9aa4-d26d3b84e8c0',
  TS_ITS: 'dc1eef48-b17a-4ccf-ac8b-dfcff7711b14',
  TS_PS: '751bf801-3dde-4768-a514-0f10aeed1790',
} as const;

/** PTA_STMM_CMD_COMMUNICATE (optee_os core/arch/arm/include/pta_stmm.h). */
export const PTA_STMM_CMD_COMMUNICATE = 0;
/** fTPM TA commands (OP-TEE/optee_ftpm include/ftpm_ta.h; Linux tpm_ftpm_tee.h). */
export const FTPM_CMD = { SUBMIT_COMMAND: 0, EMULATE_PPI: 1 } as const;
/** Buffer halves the Linux fTPM driver uses: command at 0, response at 4096. */
export const FTPM_MAX_COMMAND_SIZE = 4096;
export const FTPM_MAX_RESPONSE_SIZE = 4096;

export interface VersionData {
  implId: number;
  implCaps: number;
  genCaps: number;
}

export function decodeVersionData(b: Uint8Array): VersionData {
  const r = new Reader(b, 'tee_ioctl_version_data');
  return { implId: r.u32le('impl_id'), implCaps: r.u32le('impl_caps'), genCaps: r.u32le('gen_caps') };
}

export function encodeVersionData(v: VersionData): Uint8Array {
  return new Writer(12).u32le(v.implId).u32le(v.implCaps).u32le(v.genCaps).finish();
}

export interface ShmAllocData {
  size: bigint;
  flags: number;
  id: number;
}

export function encodeShmAllocData(d: ShmAllocData): Uint8Array {
  return new Writer(16).u64le(d.size).u32le(d.flags).i32le(d.id).finish();
}

export function decodeShmAllocData(b: Uint8Array): ShmAllocData {
  const r = new Reader(b, 'tee_ioctl_shm_alloc_data');
  return { size: r.u64le('size'), flags: r.u32le('flags'), id: r.i32le('id') };
}

export function encodeBufData(ptr: bigint, len: number): Uint8Array {
  return new Writer(16).u64le(ptr).u64le(len).finish();
}

export interface Param {
  attr: number;
  /** memref: offset in the shm; value: a */
  a: bigint;
  /** memref: size; value: b */
  b: bigint;
  /** memref: shm id; value: c */
  c: bigint;
}

export const NONE_PARAM: Param = { attr: PARAM_ATTR.NONE, a: 0n, b: 0n, c: 0n };

export function memref(attr: number, shmId: number, offset: number, size: number): Param {
  return { attr, a: BigInt(offset), b: BigInt(size), c: BigInt(shmId) };
}
export function value(attr: number, a = 0n, b = 0n, c = 0n): Param {
  return { attr, a, b, c };
}

function writeParams(w: Writer, params: readonly Param[]): void {
  for (const p of params) w.u64le(p.attr).u64le(p.a).u64le(p.b).u64le(p.c);
}

function readParams(r: Reader, n: number): Param[] {
  const out: Param[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ attr: Number(r.u64le(`params[${i}].attr`)), a: r.u64le(`params[${i}].a`), b: r.u64le(`params[${i}].b`), c: r.u64le(`params[${i}].c`) });
  }
  return out;
}

export interface OpenSessionArg {
  uuid: Uint8Array;
  clntUuid: Uint8Array;
  clntLogin: number;
  cancelId: number;
  session: number;
  ret: number;
  retOrigin: number;
  params: Param[];
}

export function encodeOpenSessionArg(a: OpenSessionArg): Uint8Array {
  if (a.uuid.length !== 16 || a.clntUuid.length !== 16) throw new DecodeError('open session UUIDs are 16 bytes');
  const w = new Writer(SIZES.openSessionArg + a.params.length * SIZES.param);
  w.bytes(a.uuid).bytes(a.clntUuid).u32le(a.clntLogin).u32le(a.cancelId).u32le(a.session).u32le(a.ret).u32le(a.retOrigin).u32le(a.params.length);
  writeParams(w, a.params);
  return w.finish();
}

export function decodeOpenSessionArg(b: Uint8Array): OpenSessionArg {
  const r = new Reader(b, 'tee_ioctl_open_session_arg');
  const uuid = r.bytes(16, 'uuid').slice();
  const clntUuid = r.bytes(16, 'clnt_uuid').slice();
  const clntLogin = r.u32le('clnt_login');
  const cancelId = r.u32le('cancel_id');
  const session = r.u32le('session');
  const ret = r.u32le('ret');
  const retOrigin = r.u32le('ret_origin');
  const n = r.u32le('num_params');
  return { uuid, clntUuid, clntLogin, cancelId, session, ret, retOrigin, params: readParams(r, n) };
}

export interface InvokeArg {
  func: number;
  session: number;
  cancelId: number;
  ret: number;
  retOrigin: number;
  params: Param[];
}

export function encodeInvokeArg(a: InvokeArg): Uint8Array {
  const w = new Writer(SIZES.invokeArg + a.params.length * SIZES.param);
  w.u32le(a.func).u32le(a.session).u32le(a.cancelId).u32le(a.ret).u32le(a.retOrigin).u32le(a.params.length);
  writeParams(w, a.params);
  return w.finish();
}

export function decodeInvokeArg(b: Uint8Array): InvokeArg {
  const r = new Reader(b, 'tee_ioctl_invoke_arg');
  const func = r.u32le('func');
  const session = r.u32le('session');
  const cancelId = r.u32le('cancel_id');
  const ret = r.u32le('ret');
  const retOrigin = r.u32le('ret_origin');
  const n = r.u32le('num_params');
  return { func, session, cancelId, ret, retOrigin, params: readParams(r, n) };
}

export function encodeCancelArg(cancelId: number, session: number): Uint8Array {
  return new Writer(8).u32le(cancelId).u32le(session).finish();
}

export function encodeCloseSessionArg(session: number): Uint8Array {
  return new Writer(4).u32le(session).finish();
}

/** `MEMREF_INOUT`, `VALUE_OUTPUT|META`, ... */
export function paramAttrName(attr: number): string {
  const t = attr & PARAM_ATTR.TYPE_MASK;
  const names: Record<number, string> = { 0: 'NONE', 1: 'VALUE_INPUT', 2: 'VALUE_OUTPUT', 3: 'VALUE_INOUT', 5: 'MEMREF_INPUT', 6: 'MEMREF_OUTPUT', 7: 'MEMREF_INOUT' };
  return `${names[t] ?? `TYPE_${t}`}${attr & PARAM_ATTR.META ? '|META' : ''}`;
}
