// How OP-TEE reaches an RPMB device through the normal world, and the
// results the normal-world side answers with.
//
// Legacy RPC OPTEE_RPC_CMD_RPMB (optee_os core/include/optee_rpc_cmd.h,
// core/tee/tee_rpmb_fs.c; optee_client tee-supplicant/src/rpmb.c):
//   memref[0] request:  struct rpmb_req { u16 cmd; u16 dev_id; u16 block_count; }
//                       then the request frames, from byte 6 (unaligned)
//   memref[1] response: the response frames, or for RPMB_CMD_GET_DEV_INFO
//                       struct rpmb_dev_info { u8 cid[16]; u8 rpmb_size_mult;
//                       u8 rel_wr_sec_c; u8 ret_code; }  (19 bytes)
// The struct fields are in the byte order of the two worlds, which share a
// CPU: little-endian on every Arm64 / x86 system OP-TEE runs on.
//
// OP-TEE sets rpmb_req.block_count to the number of blocks of a data read
// (the response frames) and leaves it 0 otherwise (one response frame).
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { DecodeError, Reader, Writer, hexNum } from '../bytes.js';
import { FRAME_SIZE, KEY_SIZE, joinFrames, splitFrames } from './frame.js';
import { TEEC, teecName as teecSymbol } from '../tee.js';

export const OpteeRpc = {
  /** Legacy: rpmb_req header + frames through tee-supplicant. */
  RPMB: 1,
  /** Probe path (optee_os 8dfdf3927): reset the device iterator, answer the shm type. */
  RPMB_PROBE_RESET: 22,
  /** Next device: value.a type (EMMC 0), b size_mult, c rel_wr_sec_c, memref[1] raw CID. */
  RPMB_PROBE_NEXT: 23,
  /** Raw frames, no rpmb_req header (device chosen by the probe). */
  RPMB_FRAMES: 24,
} as const;

export const RpmbReqCmd = { DATA_REQ: 0, GET_DEV_INFO: 1 } as const;
export const DEV_INFO_RET = { OK: 0, ERROR: 1 } as const;
export const RPMB_REQ_SIZE = 6;
export const DEV_INFO_SIZE = 19;
export const CID_SIZE = 16;

export interface RpmbReqHeader {
  cmd: number;
  devId: number;
  blockCount: number;
}

/** memref[0] of OPTEE_RPC_CMD_RPMB: the 6-byte header, then the frames. */
export function encodeRpmbReq(h: RpmbReqHeader, frames: readonly Uint8Array[] = []): Uint8Array {
  return new Writer(RPMB_REQ_SIZE + frames.length * FRAME_SIZE)
    .u16le(h.cmd)
    .u16le(h.devId)
    .u16le(h.blockCount)
    .bytes(joinFrames(frames))
    .finish();
}

export function decodeRpmbReq(body: Uint8Array): RpmbReqHeader & { frames: Uint8Array[] } {
  const r = new Reader(body, 'rpmb_req');
  const cmd = r.u16le('cmd');
  const devId = r.u16le('dev_id');
  const blockCount = r.u16le('block_count');
  return { cmd, devId, blockCount, frames: splitFrames(r.rest(), 'rpmb_req frames') };
}

export interface DevInfo {
  cid: Uint8Array;
  /** EXT_CSD[168] RPMB_SIZE_MULT: partition size in 128 KiB units. */
  rpmbSizeMult: number;
  /** EXT_CSD[222] REL_WR_SEC_C: reliable write sector count. */
  relWrSecC: number;
  retCode: number;
}

export function encodeDevInfo(d: DevInfo): Uint8Array {
  if (d.cid.length !== CID_SIZE) throw new RangeError(`CID must be ${CID_SIZE} bytes`);
  return new Writer(DEV_INFO_SIZE).bytes(d.cid).u8(d.rpmbSizeMult).u8(d.relWrSecC).u8(d.retCode).finish();
}

/** Exactly 19 bytes: tee-supplicant and OP-TEE reject any other size. */
export function decodeDevInfo(body: Uint8Array): DevInfo {
  if (body.length !== DEV_INFO_SIZE) throw new DecodeError(`struct rpmb_dev_info is ${DEV_INFO_SIZE} bytes, got ${body.length}`);
  const r = new Reader(body, 'rpmb_dev_info');
  return { cid: r.bytes(CID_SIZE, 'cid').slice(), rpmbSizeMult: r.u8('rpmb_size_mult'), relWrSecC: r.u8('rel_wr_sec_c'), retCode: r.u8('ret_code') };
}

/**
 * GlobalPlatform TEE Client API results (TEEC_Result, protocol/tee.ts): what
 * tee-supplicant answers OP-TEE for an RPC, and what the fwsec rpmb service
 * answers in the envelope status (as a signed 32-bit value).
 */
export { TEEC };

/** The envelope carries statuses as signed 32-bit values. */
export const teecStatus = (v: number): number => v | 0;

/** `TEEC_ERROR_ITEM_NOT_FOUND (0xffff0008)`. */
export function teecName(code: number): string {
  const name = teecSymbol(code);
  return name.startsWith('TEEC_') ? `${name} (${hexNum(code >>> 0, 8)})` : name;
}

/** huk_subkey_usage HUK_SUBKEY_RPMB (optee_os core/include/kernel/huk_subkey.h). */
export const HUK_SUBKEY_RPMB = 0;
/** CID bytes OP-TEE zeroes before deriving the key: PRV (product revision) and CRC. */
export const CID_PRV_OFFSET = 9;
export const CID_CRC_OFFSET = 15;

/**
 * The RPMB key OP-TEE derives (tee_rpmb_key_gen, __huk_subkey_derive,
 * scripts/derive_rpmb_key.py): HMAC-SHA256(HUK, u32le(HUK_SUBKEY_RPMB) ||
 * CID with PRV and CRC zeroed). Not the CFG_RPMB_TESTKEY key, not the
 * CFG_CORE_HUK_SUBKEY_COMPAT variant.
 */
export function deriveOpteeRpmbKey(huk: Uint8Array, cid: Uint8Array): Uint8Array {
  if (cid.length !== CID_SIZE) throw new RangeError(`CID must be ${CID_SIZE} bytes`);
  const msg = cid.slice();
  msg[CID_PRV_OFFSET] = 0;
  msg[CID_CRC_OFFSET] = 0;
  const h = hmac.create(sha256, huk);
  h.update(new Writer(4).u32le(HUK_SUBKEY_RPMB).finish());
  h.update(msg);
  const key = h.digest();
  if (key.length !== KEY_SIZE) throw new Error('unexpected HMAC length');
  return key;
}

/** optee_os CFG_RPMB_TESTKEY: the well-known test key (never for products). */
export const OPTEE_TEST_KEY = Uint8Array.from([
  0xd3, 0xeb, 0x3e, 0xc3, 0x6e, 0x33, 0x4c, 0x9f, 0x98, 0x8c, 0xe2, 0xc0, 0xb8, 0x59, 0x54, 0x61,
  0x0d, 0x2b, 0xcf, 0x86, 0x64, 0x84, 0x4d, 0xf2, 0xab, 0x56, 0xe6, 0xc6, 0x1b, 0xb7, 0x01, 0xe4,
]);

/** The CID tee-supplicant's RPMB_EMU reports: Micron "MMC04G", PRV 4.2, June 2014. */
export const RPMB_EMU_CID = Uint8Array.from([
  0xfe, 0x01, 0x4e, 0x4d, 0x4d, 0x43, 0x30, 0x34, 0x47, 0x42, 0xc8, 0xf6, 0x55, 0x2a, 0x61, 0x15,
]);
