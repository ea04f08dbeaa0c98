// The fwsec envelope bodies of the rpmb service (service id 6). Layouts in
// docs/rpmb.md, "Envelope bodies". The envelope status of every answer is
// a TEEC_Result (protocol/rpmb/optee.ts) as a signed 32-bit value; RPMB
// result codes travel inside the response frames, as on the device.
import { DecodeError, Reader, Writer, fromUtf8, utf8 } from '../bytes.js';
import { FRAME_SIZE, joinFrames, splitFrames } from './frame.js';
import { CID_SIZE } from './optee.js';

export const RpmbOp = {
  /** OPTEE_RPC_CMD_RPMB: memref[0] (rpmb_req + frames) in, memref[1] out, as tee-supplicant serves it. */
  OPTEE_RPMB: 0x01,
  /** One MMC ioctl sequence: CMD23+CMD25 with the request frames, then CMD23+CMD18 reading n frames. */
  SEQUENCE: 0x02,
  /** The RPMB devices this target serves. */
  DEVICES: 0x03,
  /** Reference only (capability rpmb.test-hooks): a factory-fresh eMMC with a chosen size and initial counter. */
  TEST_NEW_DEVICE: 0x100,
  /** Reference only: the normal world's view of the REE file system that holds PS files. */
  TEST_REE_LIST: 0x101,
  TEST_REE_READ: 0x102,
  TEST_REE_WRITE: 0x103,
  TEST_REE_DELETE: 0x104,
} as const;

const OP_NAMES = new Map<number, string>(Object.entries(RpmbOp).map(([k, v]) => [v, k]));
export function rpmbOpName(op: number): string {
  return OP_NAMES.get(op) ?? `opcode 0x${op.toString(16)}`;
}

/** At most 1024 frames (512 KiB) each way per call: the Linux MMC ioctl limit per request. */
export const MAX_FRAMES_PER_CALL = 1024;
export const SEQUENCE_HEADER_SIZE = 8;
export const SEQ_RELIABLE_WRITE = 1 << 0;

export interface SequenceRequest {
  devId: number;
  /** Frames written with CMD25 (may be empty: only a read). */
  write: Uint8Array[];
  /** Frames read with CMD18 after the write (0: no read). */
  readFrames: number;
  /** CMD23 argument bit 31 (reliable write) for the write. */
  reliable: boolean;
}

export function encodeSequence(s: SequenceRequest): Uint8Array {
  return new Writer(SEQUENCE_HEADER_SIZE + s.write.length * FRAME_SIZE)
    .u16le(s.devId)
    .u16le(s.write.length)
    .u16le(s.readFrames)
    .u16le(s.reliable ? SEQ_RELIABLE_WRITE : 0)
    .bytes(joinFrames(s.write))
    .finish();
}

export function decodeSequence(body: Uint8Array): SequenceRequest {
  const r = new Reader(body, 'SEQUENCE request');
  const devId = r.u16le('dev_id');
  const n = r.u16le('write_frames');
  const readFrames = r.u16le('read_frames');
  const flags = r.u16le('flags');
  if (flags & ~SEQ_RELIABLE_WRITE) throw new DecodeError(`SEQUENCE flags 0x${flags.toString(16)} has undefined bits`);
  const write = splitFrames(r.rest(), 'SEQUENCE frames');
  if (write.length !== n) throw new DecodeError(`SEQUENCE announces ${n} frame(s) but carries ${write.length}`);
  if (n === 0 && readFrames === 0) throw new DecodeError('SEQUENCE with no frame to write and none to read');
  if (n > MAX_FRAMES_PER_CALL || readFrames > MAX_FRAMES_PER_CALL) {
    throw new DecodeError(`SEQUENCE over ${MAX_FRAMES_PER_CALL} frames`);
  }
  return { devId, write, readFrames, reliable: (flags & SEQ_RELIABLE_WRITE) !== 0 };
}

export const DeviceKind = { EMMC: 0, VIRTUAL: 1, TEST: 2 } as const;
export const DEVICE_ENTRY_SIZE = 40;
export const DEVICE_FLAG_CONFIG = 1 << 0;

export interface DeviceEntry {
  devId: number;
  kind: number;
  sizeMult: number;
  relWrSecC: number;
  /** bit 0: authenticated device configuration (request types 6/7) implemented. */
  flags: number;
  cid: Uint8Array;
  /** VM GUID of a virtual device (zeros otherwise), in the partition table's byte order. */
  guid: Uint8Array;
}

export function encodeDevices(list: readonly DeviceEntry[]): Uint8Array {
  const w = new Writer(2 + list.length * DEVICE_ENTRY_SIZE).u16le(list.length);
  for (const d of list) {
    w.u16le(d.devId).u8(d.kind).u8(d.sizeMult).u8(d.relWrSecC).u8(d.flags).u16le(0).bytes(d.cid).bytes(d.guid);
  }
  return w.finish();
}

export function decodeDevices(body: Uint8Array): DeviceEntry[] {
  const r = new Reader(body, 'DEVICES answer');
  const n = r.u16le('count');
  if (r.remaining !== n * DEVICE_ENTRY_SIZE) throw new DecodeError(`DEVICES announces ${n} entries in ${r.remaining} bytes`);
  const out: DeviceEntry[] = [];
  for (let i = 0; i < n; i++) {
    const devId = r.u16le('dev_id');
    const kind = r.u8('kind');
    const sizeMult = r.u8('size_mult');
    const relWrSecC = r.u8('rel_wr_sec_c');
    const flags = r.u8('flags');
    r.u16le('reserved');
    out.push({ devId, kind, sizeMult, relWrSecC, flags, cid: r.bytes(CID_SIZE, 'cid').slice(), guid: r.bytes(16, 'guid').slice() });
  }
  return out;
}

export interface NewDeviceRequest {
  sizeMult: number;
  relWrSecC: number;
  deviceConfig: boolean;
  initialCounter: number;
  cid: Uint8Array;
}

export const NEW_DEVICE_SIZE = 24;

export function encodeNewDevice(d: NewDeviceRequest): Uint8Array {
  return new Writer(NEW_DEVICE_SIZE)
    .u8(d.sizeMult)
    .u8(d.relWrSecC)
    .u8(d.deviceConfig ? DEVICE_FLAG_CONFIG : 0)
    .u8(0)
    .u32le(d.initialCounter)
    .bytes(d.cid)
    .finish();
}

export function decodeNewDevice(body: Uint8Array): NewDeviceRequest {
  if (body.length !== NEW_DEVICE_SIZE) throw new DecodeError(`TEST_NEW_DEVICE body is ${NEW_DEVICE_SIZE} bytes, got ${body.length}`);
  const r = new Reader(body, 'TEST_NEW_DEVICE');
  const sizeMult = r.u8('size_mult');
  const relWrSecC = r.u8('rel_wr_sec_c');
  const flags = r.u8('flags');
  r.u8('reserved');
  return { sizeMult, relWrSecC, deviceConfig: (flags & DEVICE_FLAG_CONFIG) !== 0, initialCounter: r.u32le('initial_counter'), cid: r.bytes(CID_SIZE, 'cid').slice() };
}

export function encodeDevId(id: number): Uint8Array {
  return new Writer(2).u16le(id).finish();
}

export function decodeDevId(body: Uint8Array): number {
  if (body.length !== 2) throw new DecodeError(`a dev_id answer is 2 bytes, got ${body.length}`);
  return new Reader(body).u16le('dev_id');
}

/** REE file paths: slash-separated names of [A-Za-z0-9_.-] that do not start with a dot. */
export function validReePath(path: string, allowEmpty = false): boolean {
  if (path === '') return allowEmpty;
  return path.length <= 512 && /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/.test(path);
}

export function encodeReeWrite(path: string, content: Uint8Array): Uint8Array {
  const p = utf8(path);
  return new Writer(2 + p.length + content.length).u16le(p.length).bytes(p).bytes(content).finish();
}

export function decodeReeWrite(body: Uint8Array): { path: string; content: Uint8Array } {
  const r = new Reader(body, 'TEST_REE_WRITE');
  const n = r.u16le('path_length');
  const path = fromUtf8(r.bytes(n, 'path'));
  return { path, content: r.rest().slice() };
}

export function encodeReeList(paths: readonly string[]): Uint8Array {
  return utf8(paths.join('\n'));
}

export function decodeReeList(body: Uint8Array): string[] {
  const text = fromUtf8(body);
  return text === '' ? [] : text.split('\n');
}
