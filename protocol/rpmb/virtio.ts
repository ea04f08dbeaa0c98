// virtio-rpmb (virtio-spec device-types/rpmb/description.tex): the same
// 512-byte frame, request/response types 1..5 and results as eMMC, carried
// over one virtqueue (requestq). What differs from eMMC:
//   - no CMD23: the frame's block_count is authoritative (eMMC reads carry 0
//     and take the count from CMD23);
//   - a write request is block_count request buffers; a read is 1 request
//     buffer plus block_count response buffers;
//   - RESULT_READ is optional: without it a write has no result frame;
//   - the device must persist key and counter across reset, and the counter
//     saturates at 0xFFFFFFFF;
//   - the configuration space gives capacity (128 KiB units, 0x00..0x80)
//     and the largest write / read block counts (0 = no limit).
import { DecodeError, Reader, Writer } from '../bytes.js';
import { FRAME_SIZE, MAX_SIZE_MULT, RpmbReq } from './frame.js';

export const VIRTIO_ID_RPMB = 28;
export const VIRTIO_RPMB_CONFIG_SIZE = 3;

/** The virtio spec's names for the shared result codes. */
export const VirtioRpmbResult = {
  OK: 0x0000,
  GENERAL_FAILURE: 0x0001,
  AUTH_FAILURE: 0x0002,
  COUNT_FAILURE: 0x0003,
  ADDR_FAILURE: 0x0004,
  WRITE_FAILURE: 0x0005,
  READ_FAILURE: 0x0006,
  NO_AUTH_KEY: 0x0007,
  WRITE_COUNTER_EXPIRED: 0x0080,
} as const;

export interface VirtioRpmbConfig {
  /** RPMB size in 128 KiB units (0x00..0x80). */
  capacity: number;
  /** Largest block count of one write request (0 = no limit). */
  maxWrCnt: number;
  /** Largest block count of one read request (0 = no limit). */
  maxRdCnt: number;
}

export function encodeVirtioConfig(c: VirtioRpmbConfig): Uint8Array {
  return new Writer(VIRTIO_RPMB_CONFIG_SIZE).u8(c.capacity).u8(c.maxWrCnt).u8(c.maxRdCnt).finish();
}

export function decodeVirtioConfig(bytes: Uint8Array): VirtioRpmbConfig {
  const r = new Reader(bytes, 'virtio_rpmb_config');
  const c = { capacity: r.u8('capacity'), maxWrCnt: r.u8('max_wr_cnt'), maxRdCnt: r.u8('max_rd_cnt') };
  if (c.capacity > MAX_SIZE_MULT) throw new DecodeError(`virtio_rpmb_config capacity ${c.capacity} over 0x80 (16 MiB)`);
  return c;
}

/**
 * The descriptor chain a virtio-rpmb driver builds for a request of
 * `type` whose frame carries `blockCount`: device-readable request buffers
 * and device-writable response buffers, each one frame.
 */
export function virtioChain(type: number, blockCount: number, resultRead: boolean): { out: number; in: number } {
  switch (type) {
    case RpmbReq.DATA_WRITE:
      return { out: blockCount + (resultRead ? 1 : 0), in: resultRead ? 1 : 0 };
    case RpmbReq.KEY_PROGRAM:
      return { out: 1 + (resultRead ? 1 : 0), in: resultRead ? 1 : 0 };
    case RpmbReq.DATA_READ:
      return { out: 1, in: blockCount };
    case RpmbReq.COUNTER_READ:
      return { out: 1, in: 1 };
    default:
      return { out: 1, in: 0 };
  }
}

/** Bytes the driver hands the device for one chain. */
export function virtioChainBytes(chain: { out: number; in: number }): { out: number; in: number } {
  return { out: chain.out * FRAME_SIZE, in: chain.in * FRAME_SIZE };
}

/** How the two transports count the blocks of a data read. */
export function readBlockCount(transport: 'emmc' | 'virtio', frameBlockCount: number, cmd23Count: number): number {
  return transport === 'emmc' ? cmd23Count : frameBlockCount;
}
