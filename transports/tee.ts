// tee:///dev/tee0 — services in a TEE reached through the Linux TEE
// subsystem (include/uapi/linux/tee.h), the way libteec and libts reach them:
// TEE_IOC_VERSION, TEE_IOC_SHM_ALLOC + mmap, TEE_IOC_OPEN_SESSION,
// TEE_IOC_INVOKE, TEE_IOC_CANCEL, TEE_IOC_CLOSE_SESSION, through koffi.
//
// Bindings, chosen by the service a channel is for:
//   smm-variable  OP-TEE (impl id 1) PTA_STMM, cmd 0 COMMUNICATE: the MM buffer
//                 in memref 0 (INOUT), the MM return code in value 1 (OUTPUT)
//   tpm2          OP-TEE fTPM TA, cmd 0 SUBMIT_COMMAND: command in memref 0 at
//                 offset 0 (INPUT), response in memref 1 at offset 4096 (INOUT),
//                 as the Linux tpm_ftpm_tee driver does; answer status 0,
//                 body the whole response (its code is in the response)
//   its, ps,      Trusted Services over the tstee driver (impl id 3): session
//   crypto        to the service UUID, func = opcode, one VALUE_INOUT param
//                 {a = shm id, b = request length}; answers a = response
//                 length, ret = the service status (libts ts_rpc_caller_linux)
//
//   tee:///dev/tee0           that device
//   tee:                      scan /dev/tee0..15 and pick, per service, the
//                             first device whose implementation id fits
//   ?shm=65536                shared memory size for TS requests/responses
//   ?uuid.its=UUID ...        another service UUID (e.g. a vendor's TA)
import { Tpm2Op } from '../protocol/tpm2/platform.js';
import { hex } from '../protocol/bytes.js';
import type { ServiceName, ServiceResponse } from '../protocol/services.js';
import {
  FTPM_CMD,
  FTPM_MAX_COMMAND_SIZE,
  FTPM_MAX_RESPONSE_SIZE,
  NONE_PARAM,
  PARAM_ATTR,
  PTA_STMM_CMD_COMMUNICATE,
  TEEC,
  TEE_IMPL_ID,
  TEE_IOC,
  TEE_LOGIN,
  TEE_UUID,
  decodeInvokeArg,
  decodeOpenSessionArg,
  decodeShmAllocData,
  decodeVersionData,
  encodeBufData,
  encodeCancelArg,
  encodeCloseSessionArg,
  encodeInvokeArg,
  encodeOpenSessionArg,
  encodeShmAllocData,
  memref,
  originName,
  teecName,
  uuidToOctets,
  value,
  type Param,
  type VersionData,
} from '../protocol/tee.js';
import { withDeadline } from './deadline.js';
import { O_CLOEXEC, O_RDWR, addressOf, errnoName, libc } from './tee/native.js';
import { TransportError, type CallOptions, type Channel, type Transport, type TransportEnv } from './types.js';

type Binding = 'stmm' | 'ftpm' | 'ts';

const BINDING: Partial<Record<ServiceName, { binding: Binding; impl: number; uuid: string }>> = {
  'smm-variable': { binding: 'stmm', impl: TEE_IMPL_ID.OPTEE, uuid: TEE_UUID.PTA_STMM },
  tpm2: { binding: 'ftpm', impl: TEE_IMPL_ID.OPTEE, uuid: TEE_UUID.FTPM_TA },
  its: { binding: 'ts', impl: TEE_IMPL_ID.TSTEE, uuid: TEE_UUID.TS_ITS },
  ps: { binding: 'ts', impl: TEE_IMPL_ID.TSTEE, uuid: TEE_UUID.TS_PS },
  crypto: { binding: 'ts', impl: TEE_IMPL_ID.TSTEE, uuid: TEE_UUID.TS_CRYPTO },
};

/** Errors after which the session cannot be trusted any more (the ioctl failed, the TA died). */
const SESSION_LOST = new WeakSet<Error>();
function lost(e: TransportError): TransportError {
  SESSION_LOST.add(e);
  return e;
}

const IMPL_NAMES: Record<number, string> = { 1: 'OP-TEE', 2: 'AMD-TEE', 3: 'Trusted Services (tstee)', 4: 'QTEE' };

interface Shm {
  id: number;
  size: number;
  ptr: unknown;
  view: Uint8Array;
}

/** One open /dev/teeN: its version, sessions by UUID, shared memory by purpose. */
class TeeDevice {
  private fd = -1;
  version: VersionData | undefined;
  private sessions = new Map<string, number>();
  private shms = new Map<string, Shm>();
  private queue: Promise<unknown> = Promise.resolve();
  /** A call that missed its deadline and is still inside the TEE. */
  private stuck: Promise<unknown> | undefined;
  private cancelId = 1;

  constructor(readonly path: string, private readonly log?: (line: string) => void) {}

  /** Opens the device and reads its version (TEE_IOC_VERSION). */
  open(): VersionData {
    if (this.fd >= 0 && this.version) return this.version;
    const c = libc();
    const fd = c.open(this.path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      const e = c.errno();
      const why = e === 2 ? 'does not exist (no TEE driver loaded?)' : e === 13 ? 'permission denied (group tee / teeclnt?)' : errnoName(e);
      throw new TransportError('connect', `tee: cannot open ${this.path}: ${why}`);
    }
    const buf = Buffer.alloc(12);
    if (c.ioctl(fd, TEE_IOC.VERSION, buf) < 0) {
      const e = c.errno();
      c.close(fd);
      throw new TransportError('connect', `tee: ${this.path}: TEE_IOC_VERSION failed: ${errnoName(e)} (not a TEE device?)`);
    }
    this.fd = fd;
    this.version = decodeVersionData(buf);
    this.log?.(`${this.path}: ${IMPL_NAMES[this.version.implId] ?? `impl ${this.version.implId}`}, impl_caps ${this.version.implCaps}, gen_caps ${this.version.genCaps}`);
    return this.version;
  }

  /** Serialises `fn` after every earlier call on this device. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private shm(purpose: string, size: number): Shm {
    const have = this.shms.get(purpose);
    if (have && have.size >= size) return have;
    if (have) {
      libc().munmap(have.ptr, have.size);
      this.shms.delete(purpose);
    }
    const c = libc();
    const arg = Buffer.from(encodeShmAllocData({ size: BigInt(size), flags: 0, id: 0 }));
    const shmFd = c.ioctl(this.fd, TEE_IOC.SHM_ALLOC, arg);
    if (shmFd < 0) throw new TransportError('remote', `tee: TEE_IOC_SHM_ALLOC of ${size} bytes failed: ${errnoName(c.errno())}`);
    const d = decodeShmAllocData(arg);
    try {
      const m = c.mmap(Number(d.size), shmFd);
      const s = { id: d.id, size: Number(d.size), ptr: m.ptr, view: m.view };
      this.shms.set(purpose, s);
      return s;
    } finally {
      c.close(shmFd); // the mapping keeps the shared memory alive (libteec does the same)
    }
  }

  private async ioctlArg(req: number, arg: Buffer, what: string, timeoutMs: number, cancelId: number, session: number): Promise<void> {
    const c = libc();
    const buf = Buffer.from(encodeBufData(addressOf(arg), arg.length));
    const work = c.ioctlAsync(this.fd, req, buf).then((r) => ({ ...r, keep: [arg, buf] }));
    try {
      const r = await withDeadline(work, timeoutMs, `tee ${this.path} ${what}`, () => {
        // still inside the TEE: ask the driver to cancel it, and wait for it before the next call
        this.stuck = work.catch(() => undefined).finally(() => (this.stuck = undefined));
        if (session) {
          const cancel = Buffer.from(encodeCancelArg(cancelId, session));
          c.ioctl(this.fd, TEE_IOC.CANCEL, cancel);
          this.log?.(`${this.path}: ${what} timed out; TEE_IOC_CANCEL cancel_id ${cancelId} sent`);
        }
      });
      if (r.rc < 0) {
        // -EINVAL also means the far end refused the RPC (tstee: RPC status not OK)
        throw lost(new TransportError('remote', `tee: ${what}: ioctl failed: ${errnoName(r.errno)}`));
      }
    } catch (e) {
      if (e instanceof TransportError) throw e;
      throw lost(new TransportError('remote', `tee: ${what}: ${(e as Error).message}`));
    }
  }

  private async waitStuck(timeoutMs: number): Promise<void> {
    if (this.stuck) {
      await withDeadline(this.stuck, timeoutMs, `tee ${this.path}: an earlier request is still inside the TEE`);
    }
  }

  async session(uuid: string, numParams: number, timeoutMs: number): Promise<number> {
    const have = this.sessions.get(uuid);
    if (have !== undefined) return have;
    const params: Param[] = Array.from({ length: numParams }, () => NONE_PARAM);
    const arg = Buffer.from(
      encodeOpenSessionArg({ uuid: uuidToOctets(uuid), clntUuid: new Uint8Array(16), clntLogin: TEE_LOGIN.PUBLIC, cancelId: 0, session: 0, ret: 0, retOrigin: 0, params }),
    );
    await this.ioctlArg(TEE_IOC.OPEN_SESSION, arg, `open session to ${uuid}`, timeoutMs, 0, 0);
    const out = decodeOpenSessionArg(arg);
    if (out.ret !== TEEC.SUCCESS) {
      const busy = out.ret === TEEC.ERROR_BUSY ? ' (a single-session TA already in use, e.g. the fTPM held by the kernel tpm_ftpm_tee driver: use tpm:///dev/tpmrm0)' : '';
      const missing = out.ret === TEEC.ERROR_ITEM_NOT_FOUND ? ' (no such TA or service on this TEE)' : '';
      throw new TransportError('connect', `tee: open session to ${uuid}: ${teecName(out.ret)} from ${originName(out.retOrigin)}${busy}${missing}`);
    }
    this.sessions.set(uuid, out.session);
    return out.session;
  }

  async invoke(session: number, func: number, params: Param[], what: string, timeoutMs: number): Promise<{ ret: number; origin: number; params: Param[] }> {
    const cancelId = this.cancelId++;
    const arg = Buffer.from(encodeInvokeArg({ func, session, cancelId, ret: 0, retOrigin: 0, params }));
    await this.ioctlArg(TEE_IOC.INVOKE, arg, what, timeoutMs, cancelId, session);
    const out = decodeInvokeArg(arg);
    if (out.ret === TEEC.ERROR_TARGET_DEAD) throw lost(new TransportError('remote', `tee: ${what}: ${teecName(out.ret)} from ${originName(out.retOrigin)} (the TA panicked; a new session is opened for the next call)`));
    return { ret: out.ret, origin: out.retOrigin, params: out.params };
  }

  /** Forgets a session the TEE no longer knows (TARGET_DEAD, a failed invoke): the next call opens a new one. */
  dropSession(uuid: string): void {
    const s = this.sessions.get(uuid);
    this.sessions.delete(uuid);
    if (s !== undefined && this.fd >= 0) libc().ioctl(this.fd, TEE_IOC.CLOSE_SESSION, Buffer.from(encodeCloseSessionArg(s)));
  }

  async call(service: ServiceName, uuid: string, binding: Binding, opcode: number, body: Uint8Array, timeoutMs: number, tsShm: number): Promise<ServiceResponse> {
    const started = Date.now();
    const left = () => Math.max(1, timeoutMs - (Date.now() - started));
    await this.waitStuck(left());
    const session = await this.session(uuid, binding === 'ts' ? 0 : 4, left());
    try {
      switch (binding) {
        case 'ts':
          return await this.callTs(session, service, opcode, body, left(), tsShm);
        case 'stmm':
          return await this.callStmm(session, opcode, body, left());
        case 'ftpm':
          if (opcode !== Tpm2Op.SUBMIT) throw new TransportError('unsupported', `tee: the fTPM TA takes TPM commands (tpm2 opcode 0) only, not opcode 0x${opcode.toString(16)} (no platform signals through the TEE)`);
          return await this.callFtpm(session, body, left());
      }
    } catch (e) {
      if (e instanceof TransportError && SESSION_LOST.has(e)) this.dropSession(uuid);
      throw e;
    }
  }

  private async callTs(session: number, service: ServiceName, opcode: number, body: Uint8Array, timeoutMs: number, shmSize: number): Promise<ServiceResponse> {
    if (opcode < 0 || opcode > 0xffff) throw new TransportError('unsupported', `tee: Trusted Services opcodes are 16-bit, got 0x${opcode.toString(16)}`);
    const shm = this.shm(service, Math.max(shmSize, body.length));
    shm.view.fill(0);
    shm.view.set(body, 0);
    const r = await this.invoke(session, opcode, [value(PARAM_ATTR.VALUE_INOUT, BigInt(shm.id), BigInt(body.length), 0n)], `${service} opcode 0x${opcode.toString(16)}`, timeoutMs);
    const respLen = Number(r.params[0]!.a);
    if (respLen > shm.size) throw new TransportError('protocol', `tee: ${service}: response length ${respLen} over the shared memory of ${shm.size} bytes`);
    return { status: r.ret | 0, body: shm.view.slice(0, respLen) };
  }

  private async callStmm(session: number, opcode: number, body: Uint8Array, timeoutMs: number): Promise<ServiceResponse> {
    // the opcode is the PTA command: COMMUNICATE (0) is the only one PTA_STMM has; another is sent
    // as it is, and what the PTA answers (a TEEC error) is reported
    if (body.length === 0) throw new TransportError('unsupported', 'tee: PTA_STMM needs a non-empty MM communicate buffer');
    const shm = this.shm('smm-variable', body.length);
    shm.view.set(body, 0);
    const what = opcode === PTA_STMM_CMD_COMMUNICATE ? 'PTA_STMM COMMUNICATE' : `PTA_STMM command ${opcode}`;
    const r = await this.invoke(
      session,
      opcode,
      [memref(PARAM_ATTR.MEMREF_INOUT, shm.id, 0, body.length), value(PARAM_ATTR.VALUE_OUTPUT), NONE_PARAM, NONE_PARAM],
      what,
      timeoutMs,
    );
    if (r.ret !== TEEC.SUCCESS) {
      const cap = r.ret === TEEC.ERROR_EXCESS_DATA ? ` (the StMM buffer holds ${r.params[0]!.b} bytes)` : '';
      throw new TransportError('remote', `tee: ${what}: ${teecName(r.ret)} from ${originName(r.origin)}${cap}`);
    }
    const size = Math.min(Number(r.params[0]!.b), body.length);
    // value[1].a: the MM return code (ARM_SVC_SPM_RET_*), a 32-bit signed value
    return { status: Number(BigInt.asIntN(32, r.params[1]!.a)), body: shm.view.slice(0, size) };
  }

  private async callFtpm(session: number, body: Uint8Array, timeoutMs: number): Promise<ServiceResponse> {
    if (body.length > FTPM_MAX_COMMAND_SIZE) throw new TransportError('unsupported', `tee: fTPM commands are at most ${FTPM_MAX_COMMAND_SIZE} bytes, got ${body.length}`);
    const shm = this.shm('tpm2', FTPM_MAX_COMMAND_SIZE + FTPM_MAX_RESPONSE_SIZE);
    shm.view.fill(0);
    shm.view.set(body, 0);
    const r = await this.invoke(
      session,
      FTPM_CMD.SUBMIT_COMMAND,
      [memref(PARAM_ATTR.MEMREF_INPUT, shm.id, 0, body.length), memref(PARAM_ATTR.MEMREF_INOUT, shm.id, FTPM_MAX_COMMAND_SIZE, FTPM_MAX_RESPONSE_SIZE), NONE_PARAM, NONE_PARAM],
      'fTPM SUBMIT_COMMAND',
      timeoutMs,
    );
    if (r.ret !== TEEC.SUCCESS) throw new TransportError('remote', `tee: fTPM SUBMIT_COMMAND: ${teecName(r.ret)} from ${originName(r.origin)}`);
    const resp = shm.view.subarray(FTPM_MAX_COMMAND_SIZE);
    const len = ((resp[2]! << 24) | (resp[3]! << 16) | (resp[4]! << 8) | resp[5]!) >>> 0;
    if (len < 10 || len > FTPM_MAX_RESPONSE_SIZE) {
      throw new TransportError('protocol', `tee: fTPM response header announces ${len} bytes (10..${FTPM_MAX_RESPONSE_SIZE} expected): ${hex(resp.subarray(0, 10))}`);
    }
    // tpm2 answers carry status 0 and the whole response (docs/wire-protocol.md, Services)
    return { status: 0, body: resp.slice(0, len) };
  }

  close(): void {
    const c = cachedLibc();
    if (!c || this.fd < 0) return;
    for (const s of this.sessions.values()) c.ioctl(this.fd, TEE_IOC.CLOSE_SESSION, Buffer.from(encodeCloseSessionArg(s)));
    this.sessions.clear();
    for (const s of this.shms.values()) c.munmap(s.ptr, s.size);
    this.shms.clear();
    c.close(this.fd);
    this.fd = -1;
  }
}

function cachedLibc() {
  try {
    return libc();
  } catch {
    return undefined;
  }
}

export interface TeeOptions {
  device?: string;
  shm: number;
  uuids: Partial<Record<ServiceName, string>>;
}

export function parseTeeUri(uri: URL): TeeOptions {
  const path = decodeURIComponent(uri.pathname);
  if (uri.hostname) throw new TransportError('connect', `${uri.href}: a tee URI has no host; write tee:///dev/tee0 (three slashes) or tee: to scan`);
  const uuids: Partial<Record<ServiceName, string>> = {};
  let shm = 65536;
  for (const [k, v] of uri.searchParams) {
    if (k === 'shm') {
      shm = Number(v);
      if (!Number.isInteger(shm) || shm < 4096 || shm > 1 << 24) throw new TransportError('connect', `${uri.href}: shm must be an integer 4096..16777216`);
    } else if (k.startsWith('uuid.') && BINDING[k.slice(5) as ServiceName]) {
      try {
        uuidToOctets(v);
      } catch {
        throw new TransportError('connect', `${uri.href}: ${k}=${v} is not a UUID`);
      }
      uuids[k.slice(5) as ServiceName] = v.toLowerCase();
    } else {
      throw new TransportError('connect', `${uri.href}: unknown option "${k}" (known: shm, uuid.its, uuid.ps, uuid.crypto, uuid.smm-variable, uuid.tpm2)`);
    }
  }
  return { device: path && path !== '/' ? path : undefined, shm, uuids };
}

export async function openTee(uri: URL, env: TransportEnv): Promise<Transport> {
  const opts = parseTeeUri(uri);
  const devices = new Map<string, TeeDevice>();
  const log = env.log ? (l: string) => env.log!(`${uri.href}: ${l}`) : undefined;
  const device = (path: string) => {
    let d = devices.get(path);
    if (!d) {
      d = new TeeDevice(path, log);
      devices.set(path, d);
    }
    return d;
  };
  /** The device for a service: the one named, or the first /dev/teeN whose implementation fits. */
  const deviceFor = (service: ServiceName, impl: number): TeeDevice => {
    if (opts.device) {
      const d = device(opts.device);
      const v = d.open();
      if (v.implId !== impl) {
        throw new TransportError(
          'unsupported',
          `tee: ${service} needs a ${IMPL_NAMES[impl]} device, but ${opts.device} is ${IMPL_NAMES[v.implId] ?? `implementation ${v.implId}`} (try tee: to scan /dev/tee0..15)`,
        );
      }
      return d;
    }
    const seen: string[] = [];
    for (let i = 0; i < 16; i++) {
      const path = `/dev/tee${i}`;
      try {
        const v = device(path).open();
        if (v.implId === impl) return device(path);
        seen.push(`${path} ${IMPL_NAMES[v.implId] ?? v.implId}`);
      } catch {
        devices.delete(path);
      }
    }
    throw new TransportError('connect', `tee: no ${IMPL_NAMES[impl]} device for ${service} among /dev/tee0..15${seen.length ? ` (found: ${seen.join(', ')})` : ' (none could be opened)'}`);
  };
  const channel = (service: ServiceName): Channel => ({
    uri: uri.href,
    service,
    carries: service === 'tpm2' ? (op: number) => op === Tpm2Op.SUBMIT : undefined,
    call: async (opcode: number, body: Uint8Array, callOpts: CallOptions = {}) => {
      const timeoutMs = callOpts.timeoutMs ?? env.callTimeoutMs;
      if (service === 'control') {
        throw new TransportError('unsupported', `${uri.href}: a TEE device has no fwsec control service (no HELLO, no RESET)`);
      }
      const b = BINDING[service];
      if (!b) throw new TransportError('unsupported', `${uri.href}: no TEE binding for ${service}`);
      const d = deviceFor(service, b.impl);
      const uuid = opts.uuids[service] ?? b.uuid;
      return d.exclusive(() => d.call(service, uuid, b.binding, opcode, body, timeoutMs, opts.shm));
    },
  });
  return {
    uri: uri.href,
    channel,
    close: async () => {
      for (const d of devices.values()) await d.exclusive(async () => d.close());
    },
  };
}
