// The eMMC RPMB data frame (JESD84-B51 6.6.22, "data frame for RPMB
// access"): 512 bytes, no start/stop bits, big-endian fields. The same
// layout is linux include/linux/rpmb.h `struct rpmb_frame`, optee_os
// core/tee/tee_rpmb_fs.c `struct rpmb_data_frame` and the virtio-rpmb frame.
//
//   off  len  field                 JEDEC bytes
//     0  196  stuff bytes           511..316
//   196   32  key / MAC             315..284
//   228  256  data                  283..28
//   484   16  nonce                 27..12
//   500    4  write counter (BE)    11..8
//   504    2  address (BE, 256-byte half-sector index)  7..6
//   506    2  block count (BE)      5..4
//   508    2  result (BE)           3..2
//   510    2  request / response (BE) 1..0
//
// MAC: HMAC-SHA256 keyed with the 32-byte authentication key over bytes
// 228..511 (284 bytes) of every frame of the message, in frame order; the
// MAC is carried in the last frame only.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { DecodeError, hex } from '../bytes.js';

export const FRAME_SIZE = 512;
export const BLOCK_SIZE = 256;
export const KEY_SIZE = 32;
export const NONCE_SIZE = 16;

export const OFF = {
  stuff: 0,
  keyMac: 196,
  data: 228,
  nonce: 484,
  writeCounter: 500,
  address: 504,
  blockCount: 506,
  result: 508,
  reqResp: 510,
} as const;

export const LEN = {
  stuff: 196,
  keyMac: KEY_SIZE,
  data: BLOCK_SIZE,
  nonce: NONCE_SIZE,
  writeCounter: 4,
  address: 2,
  blockCount: 2,
  result: 2,
  reqResp: 2,
} as const;

/** First byte covered by the MAC, and how many bytes of each frame it covers. */
export const MAC_FROM = OFF.data;
export const MAC_COVERED = FRAME_SIZE - MAC_FROM; // 284

/** EXT_CSD[168] RPMB_SIZE_MULT unit: 128 KiB = 512 half-sectors; at most 0x80 (16 MiB). */
export const SIZE_MULT_BYTES = 128 * 1024;
export const BLOCKS_PER_SIZE_MULT = SIZE_MULT_BYTES / BLOCK_SIZE;
export const MAX_SIZE_MULT = 0x80;
export const COUNTER_MAX = 0xffff_ffff;

/** Request message types (frame bytes 510..511). */
export const RpmbReq = {
  KEY_PROGRAM: 0x0001,
  COUNTER_READ: 0x0002,
  DATA_WRITE: 0x0003,
  DATA_READ: 0x0004,
  RESULT_READ: 0x0005,
  CONFIG_WRITE: 0x0006,
  CONFIG_READ: 0x0007,
} as const;
export type RpmbReq = (typeof RpmbReq)[keyof typeof RpmbReq];

/** Response message types: the request type shifted left by 8 (0x0100 .. 0x0700). */
export const RpmbResp = {
  KEY_PROGRAM: 0x0100,
  COUNTER_READ: 0x0200,
  DATA_WRITE: 0x0300,
  DATA_READ: 0x0400,
  CONFIG_WRITE: 0x0600,
  CONFIG_READ: 0x0700,
} as const;

export function responseTypeFor(req: number): number {
  return (req & 0xff) << 8;
}

/** Operation results (frame bytes 508..509). Bit 7 (0x80) is ORed in once the write counter has expired. */
export const RpmbResult = {
  OK: 0x00,
  GENERAL_FAILURE: 0x01,
  AUTH_FAILURE: 0x02,
  COUNTER_FAILURE: 0x03,
  ADDRESS_FAILURE: 0x04,
  WRITE_FAILURE: 0x05,
  READ_FAILURE: 0x06,
  KEY_NOT_PROGRAMMED: 0x07,
} as const;
export const RESULT_COUNTER_EXPIRED = 0x80;
/** OP-TEE's RPMB_RESULT_MASK: the result without the expired bit. */
export const RESULT_MASK = 0x3f;

const REQ_NAMES = new Map<number, string>(Object.entries(RpmbReq).map(([k, v]) => [v, k]));
const RESP_NAMES = new Map<number, string>(Object.entries(RpmbResp).map(([k, v]) => [v, k]));
const RESULT_NAMES = new Map<number, string>(Object.entries(RpmbResult).map(([k, v]) => [v, k]));

const h4 = (v: number) => `0x${v.toString(16).padStart(4, '0')}`;

/** `DATA_WRITE request (0x0003)`, `DATA_WRITE response (0x0300)`, or the bare number. */
export function reqRespName(v: number): string {
  const req = REQ_NAMES.get(v);
  if (req) return `${req} request (${h4(v)})`;
  const resp = RESP_NAMES.get(v);
  if (resp) return `${resp} response (${h4(v)})`;
  return `unknown message type ${h4(v)}`;
}

/** `COUNTER_FAILURE (0x0003)`, `WRITE_FAILURE|WRITE_COUNTER_EXPIRED (0x0085)`. */
export function resultName(v: number): string {
  const base = RESULT_NAMES.get(v & 0x7f) ?? `RESULT_${(v & 0x7f).toString(16)}`;
  const parts = [base];
  if (v & RESULT_COUNTER_EXPIRED) parts.push('WRITE_COUNTER_EXPIRED');
  if (v & 0xff00) parts.push(`high byte 0x${(v >> 8).toString(16)}`);
  return `${parts.join('|')} (${h4(v)})`;
}

/** A decoded frame; byte fields are views into a copy, never into the caller's buffer. */
export interface RpmbFrame {
  stuff: Uint8Array;
  keyMac: Uint8Array;
  data: Uint8Array;
  nonce: Uint8Array;
  writeCounter: number;
  address: number;
  blockCount: number;
  result: number;
  reqResp: number;
}

export type FrameFields = Partial<RpmbFrame>;

function put(out: Uint8Array, at: number, len: number, v: Uint8Array | undefined, field: string): void {
  if (!v) return;
  if (v.length !== len) throw new RangeError(`RPMB frame ${field} must be ${len} bytes, got ${v.length}`);
  out.set(v, at);
}

/** Encodes one 512-byte frame; absent fields are zero. */
export function encodeFrame(f: FrameFields): Uint8Array {
  const out = new Uint8Array(FRAME_SIZE);
  put(out, OFF.stuff, LEN.stuff, f.stuff, 'stuff');
  put(out, OFF.keyMac, LEN.keyMac, f.keyMac, 'key/MAC');
  put(out, OFF.data, LEN.data, f.data, 'data');
  put(out, OFF.nonce, LEN.nonce, f.nonce, 'nonce');
  const v = new DataView(out.buffer);
  v.setUint32(OFF.writeCounter, (f.writeCounter ?? 0) >>> 0, false);
  v.setUint16(OFF.address, (f.address ?? 0) & 0xffff, false);
  v.setUint16(OFF.blockCount, (f.blockCount ?? 0) & 0xffff, false);
  v.setUint16(OFF.result, (f.result ?? 0) & 0xffff, false);
  v.setUint16(OFF.reqResp, (f.reqResp ?? 0) & 0xffff, false);
  return out;
}

/** Decodes one frame (exactly 512 bytes). */
export function decodeFrame(bytes: Uint8Array): RpmbFrame {
  if (bytes.length !== FRAME_SIZE) throw new DecodeError(`an RPMB frame is ${FRAME_SIZE} bytes, got ${bytes.length}`);
  const b = bytes.slice();
  const v = new DataView(b.buffer);
  return {
    stuff: b.subarray(OFF.stuff, OFF.stuff + LEN.stuff),
    keyMac: b.subarray(OFF.keyMac, OFF.keyMac + LEN.keyMac),
    data: b.subarray(OFF.data, OFF.data + LEN.data),
    nonce: b.subarray(OFF.nonce, OFF.nonce + LEN.nonce),
    writeCounter: v.getUint32(OFF.writeCounter, false),
    address: v.getUint16(OFF.address, false),
    blockCount: v.getUint16(OFF.blockCount, false),
    result: v.getUint16(OFF.result, false),
    reqResp: v.getUint16(OFF.reqResp, false),
  };
}

/** Header fields of a frame without copying its byte fields. */
export function frameType(frame: Uint8Array): number {
  return (frame[OFF.reqResp]! << 8) | frame[OFF.reqResp + 1]!;
}

/** Splits a buffer of n × 512 bytes into frames (views); anything else is malformed. */
export function splitFrames(bytes: Uint8Array, what = 'RPMB frames'): Uint8Array[] {
  if (bytes.length % FRAME_SIZE !== 0) {
    throw new DecodeError(`${what}: ${bytes.length} bytes is not a whole number of ${FRAME_SIZE}-byte frames`);
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += FRAME_SIZE) out.push(bytes.subarray(i, i + FRAME_SIZE));
  return out;
}

export function joinFrames(frames: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.length * FRAME_SIZE);
  frames.forEach((f, i) => {
    if (f.length !== FRAME_SIZE) throw new RangeError(`frame ${i} is ${f.length} bytes, not ${FRAME_SIZE}`);
    out.set(f, i * FRAME_SIZE);
  });
  return out;
}

/** The bytes the MAC covers: 228..511 of every frame, concatenated in order. */
export function macInput(frames: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.length * MAC_COVERED);
  frames.forEach((f, i) => out.set(f.subarray(MAC_FROM, FRAME_SIZE), i * MAC_COVERED));
  return out;
}

/** HMAC-SHA256(key, bytes 228..511 of each frame, in order). */
export function computeMac(key: Uint8Array, frames: readonly Uint8Array[]): Uint8Array {
  if (key.length !== KEY_SIZE) throw new RangeError(`RPMB key must be ${KEY_SIZE} bytes`);
  const h = hmac.create(sha256, key);
  for (const f of frames) h.update(f.subarray(MAC_FROM, FRAME_SIZE));
  return h.digest();
}

/** Writes the MAC of `frames` into the key/MAC field of the last frame (in place). */
export function signFrames(key: Uint8Array, frames: Uint8Array[]): Uint8Array[] {
  if (!frames.length) return frames;
  frames[frames.length - 1]!.set(computeMac(key, frames), OFF.keyMac);
  return frames;
}

/** Constant-time comparison of the MAC in the last frame with the one `key` gives. */
export function macValid(key: Uint8Array, frames: readonly Uint8Array[]): boolean {
  if (!frames.length) return false;
  const want = computeMac(key, frames);
  const got = frames[frames.length - 1]!.subarray(OFF.keyMac, OFF.keyMac + KEY_SIZE);
  let diff = 0;
  for (let i = 0; i < KEY_SIZE; i++) diff |= want[i]! ^ got[i]!;
  return diff === 0;
}

/** Partition size in 256-byte blocks for an RPMB_SIZE_MULT value. */
export function blocksForSizeMult(sizeMult: number): number {
  return sizeMult * BLOCKS_PER_SIZE_MULT;
}

/** One-line description of a frame's header, for messages and wire logs. */
export function describeFrame(frame: Uint8Array): string {
  const f = decodeFrame(frame);
  const parts = [reqRespName(f.reqResp), `result ${resultName(f.result)}`, `counter ${f.writeCounter}`, `address ${f.address}`, `block_count ${f.blockCount}`];
  if (f.nonce.some((b) => b !== 0)) parts.push(`nonce ${hex(f.nonce)}`);
  return parts.join(', ');
}

// ---- request builders (used by every host: the suite, the reference's secure world, benches) ----

export function keyProgramRequest(key: Uint8Array): Uint8Array {
  return encodeFrame({ keyMac: key, reqResp: RpmbReq.KEY_PROGRAM });
}

export function counterReadRequest(nonce: Uint8Array): Uint8Array {
  return encodeFrame({ nonce, reqResp: RpmbReq.COUNTER_READ });
}

/** A read request; `blockCount` stays 0 as mmc-utils and OP-TEE send it (CMD23 carries the count). */
export function dataReadRequest(address: number, nonce: Uint8Array, blockCount = 0): Uint8Array {
  return encodeFrame({ nonce, address, blockCount, reqResp: RpmbReq.DATA_READ });
}

export function resultReadRequest(): Uint8Array {
  return encodeFrame({ reqResp: RpmbReq.RESULT_READ });
}

/**
 * The frames of an authenticated data write of `blocks` (each 256 bytes)
 * starting at `address` with the device's current `counter`, MAC'd with `key`.
 */
export function dataWriteRequest(key: Uint8Array, address: number, counter: number, blocks: readonly Uint8Array[], nonce?: Uint8Array): Uint8Array[] {
  const frames = blocks.map((data) =>
    encodeFrame({ data, nonce, writeCounter: counter, address, blockCount: blocks.length, reqResp: RpmbReq.DATA_WRITE }),
  );
  return signFrames(key, frames);
}

/** Authenticated device configuration write (secure write protection; config byte in data[255]). */
export function configWriteRequest(key: Uint8Array, address: number, counter: number, value: number): Uint8Array {
  const data = new Uint8Array(BLOCK_SIZE);
  data[BLOCK_SIZE - 1] = value & 0xff;
  return signFrames(key, [encodeFrame({ data, writeCounter: counter, address, blockCount: 1, reqResp: RpmbReq.CONFIG_WRITE })])[0]!;
}

/** Authenticated device configuration read (mmc-utils sends only the type; a nonce makes the answer fresh). */
export function configReadRequest(nonce?: Uint8Array): Uint8Array {
  return encodeFrame({ nonce, reqResp: RpmbReq.CONFIG_READ });
}
