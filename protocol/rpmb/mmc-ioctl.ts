// The Linux MMC block ioctls (include/uapi/linux/mmc/ioctl.h) and the
// command sequences tee-supplicant (optee_client tee-supplicant/src/rpmb.c,
// rpmb_data_req) and mmc-utils (do_rpmb_op) issue for RPMB. Frames are
// handled as 512-byte buffers: only the request type (big-endian u16 at
// byte 510) is read here; the frame codec belongs to protocol/rpmb.
import { DecodeError, Reader, Writer, hexNum } from '../bytes.js';
import { iowr } from '../tee.js';

export const MMC_BLOCK_MAJOR = 179;
export const MMC_IOC_CMD_SIZE = 72;
export const MMC_IOC_MULTI_CMD_HEADER = 8;
export const MMC_IOC = {
  CMD: iowr(MMC_BLOCK_MAJOR, 0, MMC_IOC_CMD_SIZE),
  MULTI_CMD: iowr(MMC_BLOCK_MAJOR, 1, MMC_IOC_MULTI_CMD_HEADER),
} as const;
/** Kernel limit on commands per MMC_IOC_MULTI_CMD (MMC_IOC_MAX_CMDS). */
export const MMC_IOC_MAX_CMDS = 255;

export const MMC_OPCODE = {
  SEND_EXT_CSD: 8,
  SET_BLOCK_COUNT: 23,
  READ_MULTIPLE_BLOCK: 18,
  WRITE_MULTIPLE_BLOCK: 25,
} as const;

export const MMC_RSP = { PRESENT: 1 << 0, R136: 1 << 1, CRC: 1 << 2, BUSY: 1 << 3, OPCODE: 1 << 4 } as const;
export const MMC_CMD_ADTC = 1 << 5;
export const MMC_RSP_SPI_R1 = 1 << 7;
/** R1 response, addressed data transfer: 0x35 (tee-supplicant); mmc-utils also ORs MMC_RSP_SPI_R1 (0xB5). */
export const MMC_FLAGS_R1_ADTC = MMC_RSP.PRESENT | MMC_RSP.CRC | MMC_RSP.OPCODE | MMC_CMD_ADTC;
/** write_flag bit 31: the kernel sets the reliable-write bit of the CMD23 it inserts. */
export const MMC_CMD23_ARG_REL_WR = 0x8000_0000;

export const RPMB_FRAME = 512;
export const RPMB_REQ = {
  PROGRAM_KEY: 0x0001,
  READ_COUNTER: 0x0002,
  WRITE_DATA: 0x0003,
  READ_DATA: 0x0004,
  RESULT_READ: 0x0005,
  CONFIG_WRITE: 0x0006,
  CONFIG_READ: 0x0007,
} as const;
const REQ_NAMES = new Map<number, string>(Object.entries(RPMB_REQ).map(([k, v]) => [v, k]));
export function rpmbRequestName(t: number): string {
  return REQ_NAMES.get(t) ?? `request type ${hexNum(t, 4)}`;
}

/** Request type of a 512-byte frame: big-endian u16 at offset 510. */
export function frameRequestType(frame: Uint8Array): number {
  if (frame.length < RPMB_FRAME) throw new DecodeError(`an RPMB frame is 512 bytes, got ${frame.length}`);
  return (frame[510]! << 8) | frame[511]!;
}

export interface MmcIocCmd {
  writeFlag: number;
  isAcmd: number;
  opcode: number;
  arg: number;
  response: [number, number, number, number];
  flags: number;
  blksz: number;
  blocks: number;
  postsleepMinUs: number;
  postsleepMaxUs: number;
  dataTimeoutNs: number;
  cmdTimeoutMs: number;
  dataPtr: bigint;
}

export function mmcCmd(partial: Partial<MmcIocCmd> & Pick<MmcIocCmd, 'opcode'>): MmcIocCmd {
  return {
    writeFlag: 0,
    isAcmd: 0,
    arg: 0,
    response: [0, 0, 0, 0],
    flags: MMC_FLAGS_R1_ADTC,
    blksz: RPMB_FRAME,
    blocks: 1,
    postsleepMinUs: 0,
    postsleepMaxUs: 0,
    dataTimeoutNs: 0,
    cmdTimeoutMs: 0,
    dataPtr: 0n,
    ...partial,
  };
}

/** struct mmc_ioc_cmd, 72 bytes: write_flag@0 is_acmd@4 opcode@8 arg@12 response@16 flags@32 blksz@36 blocks@40 postsleep_min_us@44 postsleep_max_us@48 data_timeout_ns@52 cmd_timeout_ms@56 __pad@60 data_ptr@64. */
export function encodeMmcIocCmd(c: MmcIocCmd, w = new Writer(MMC_IOC_CMD_SIZE)): Writer {
  w.i32le(c.writeFlag).i32le(c.isAcmd).u32le(c.opcode).u32le(c.arg);
  for (const r of c.response) w.u32le(r);
  w.u32le(c.flags).u32le(c.blksz).u32le(c.blocks).u32le(c.postsleepMinUs).u32le(c.postsleepMaxUs);
  w.u32le(c.dataTimeoutNs).u32le(c.cmdTimeoutMs).u32le(0).u64le(c.dataPtr);
  return w;
}

export function decodeMmcIocCmd(r: Reader): MmcIocCmd {
  const writeFlag = r.i32le('write_flag');
  const isAcmd = r.i32le('is_acmd');
  const opcode = r.u32le('opcode');
  const arg = r.u32le('arg');
  const response: [number, number, number, number] = [r.u32le('response[0]'), r.u32le('response[1]'), r.u32le('response[2]'), r.u32le('response[3]')];
  const flags = r.u32le('flags');
  const blksz = r.u32le('blksz');
  const blocks = r.u32le('blocks');
  const postsleepMinUs = r.u32le('postsleep_min_us');
  const postsleepMaxUs = r.u32le('postsleep_max_us');
  const dataTimeoutNs = r.u32le('data_timeout_ns');
  const cmdTimeoutMs = r.u32le('cmd_timeout_ms');
  r.u32le('__pad');
  const dataPtr = r.u64le('data_ptr');
  return { writeFlag, isAcmd, opcode, arg, response, flags, blksz, blocks, postsleepMinUs, postsleepMaxUs, dataTimeoutNs, cmdTimeoutMs, dataPtr };
}

/** struct mmc_ioc_multi_cmd: u64 num_of_cmds, then the commands. */
export function encodeMultiCmd(cmds: readonly MmcIocCmd[]): Uint8Array {
  if (cmds.length === 0 || cmds.length > MMC_IOC_MAX_CMDS) throw new DecodeError(`MMC_IOC_MULTI_CMD carries 1..${MMC_IOC_MAX_CMDS} commands, got ${cmds.length}`);
  const w = new Writer(MMC_IOC_MULTI_CMD_HEADER + cmds.length * MMC_IOC_CMD_SIZE);
  w.u64le(cmds.length);
  for (const c of cmds) encodeMmcIocCmd(c, w);
  return w.finish();
}

export function decodeMultiCmd(b: Uint8Array): MmcIocCmd[] {
  const r = new Reader(b, 'mmc_ioc_multi_cmd');
  const n = r.u64le('num_of_cmds');
  if (n === 0n || n > BigInt(MMC_IOC_MAX_CMDS)) throw new DecodeError(`num_of_cmds ${n} outside 1..${MMC_IOC_MAX_CMDS}`);
  const out: MmcIocCmd[] = [];
  for (let i = 0; i < Number(n); i++) out.push(decodeMmcIocCmd(r));
  return out;
}

/** One step of an RPMB sequence: which buffer the command moves. */
export interface RpmbStep {
  cmd: MmcIocCmd;
  /** 'request': the caller's request frames; 'result-read': a zeroed frame of type RESULT_READ; 'response': the frames read back. */
  buffer: 'request' | 'result-read' | 'response';
}

export interface RpmbPlan {
  type: number;
  steps: RpmbStep[];
  responseFrames: number;
}

/**
 * The MMC_IOC_MULTI_CMD sequence for one RPMB request, as tee-supplicant
 * builds it (rpmb_data_req), with two differences: the result-read command
 * moves 1 block (tee-supplicant passes req_nfrm, harmless only because
 * OP-TEE writes one block at a time; rpmb.md section 4 item 5) and the
 * authenticated device configuration requests (6, 7) of mmc-utils are
 * accepted.
 *
 * - program key, authenticated write, configuration write (3 commands):
 *   CMD25 request frames with write_flag 1|bit31 (reliable write),
 *   CMD25 one result-read request frame, CMD18 one response frame;
 * - counter read, authenticated read, configuration read, result read
 *   (2 commands): CMD25 one request frame, CMD18 N response frames.
 *
 * The kernel inserts CMD23 SET_BLOCK_COUNT before each command itself.
 */
export function planRpmbSequence(requestFrames: number, type: number, readFrames: number): RpmbPlan {
  if (requestFrames < 1) throw new DecodeError('an RPMB request has at least one frame');
  const write = (blocks: number, reliable: boolean, buffer: RpmbStep['buffer']): RpmbStep => ({
    cmd: mmcCmd({ opcode: MMC_OPCODE.WRITE_MULTIPLE_BLOCK, blocks, writeFlag: (1 | (reliable ? MMC_CMD23_ARG_REL_WR : 0)) | 0 }),
    buffer,
  });
  const read = (blocks: number): RpmbStep => ({ cmd: mmcCmd({ opcode: MMC_OPCODE.READ_MULTIPLE_BLOCK, blocks, writeFlag: 0 }), buffer: 'response' });
  switch (type) {
    case RPMB_REQ.PROGRAM_KEY:
    case RPMB_REQ.WRITE_DATA:
    case RPMB_REQ.CONFIG_WRITE: {
      const first = write(requestFrames, true, 'request');
      // tee-supplicant: HiKey eMMC needs 20-50 ms after the reliable write
      first.cmd.postsleepMinUs = 20_000;
      first.cmd.postsleepMaxUs = 50_000;
      return { type, responseFrames: 1, steps: [first, write(1, false, 'result-read'), read(1)] };
    }
    case RPMB_REQ.READ_COUNTER:
    case RPMB_REQ.RESULT_READ:
    case RPMB_REQ.CONFIG_READ:
      if (requestFrames !== 1) throw new DecodeError(`${rpmbRequestName(type)} takes exactly one request frame, got ${requestFrames}`);
      return { type, responseFrames: 1, steps: [write(1, false, 'request'), read(1)] };
    case RPMB_REQ.READ_DATA:
      if (requestFrames !== 1) throw new DecodeError(`READ_DATA takes exactly one request frame, got ${requestFrames}`);
      if (readFrames < 1) throw new DecodeError('READ_DATA needs the number of frames to read (the frame itself carries 0; CMD23 carries the count)');
      return { type, responseFrames: readFrames, steps: [write(1, false, 'request'), read(readFrames)] };
    default:
      throw new DecodeError(`not an RPMB request type: ${hexNum(type, 4)}`);
  }
}

/** A zeroed frame whose request type is RESULT_READ (0x0005). */
export function resultReadFrame(): Uint8Array {
  const f = new Uint8Array(RPMB_FRAME);
  f[511] = RPMB_REQ.RESULT_READ;
  return f;
}

/**
 * The OP-TEE supplicant RPC request header (optee_os optee_rpc_cmd.h,
 * tee-supplicant rpmb.c `struct rpmb_req`): u16 cmd, u16 dev_id,
 * u16 block_count, native (little-endian) order; frames follow at byte 6.
 */
export const RPMB_CMD = { DATA_REQ: 0, GET_DEV_INFO: 1 } as const;
export interface RpmbReq {
  cmd: number;
  devId: number;
  blockCount: number;
  frames: Uint8Array;
}

export function decodeRpmbReq(b: Uint8Array): RpmbReq {
  const r = new Reader(b, 'rpmb_req');
  const cmd = r.u16le('cmd');
  const devId = r.u16le('dev_id');
  const blockCount = r.u16le('block_count');
  const frames = r.rest();
  if (frames.length % RPMB_FRAME !== 0) throw new DecodeError(`rpmb_req frames: ${frames.length} bytes is not a whole number of 512-byte frames`);
  return { cmd, devId, blockCount, frames };
}

export function encodeRpmbReq(q: RpmbReq): Uint8Array {
  return new Writer(6 + q.frames.length).u16le(q.cmd).u16le(q.devId).u16le(q.blockCount).bytes(q.frames).finish();
}

/** `struct rpmb_dev_info` (19 bytes): cid[16], rpmb_size_mult (EXT_CSD[168]), rel_wr_sec_c (EXT_CSD[222]), ret_code. */
export interface RpmbDevInfo {
  cid: Uint8Array;
  rpmbSizeMult: number;
  relWrSecC: number;
  retCode: number;
}
export function encodeRpmbDevInfo(d: RpmbDevInfo): Uint8Array {
  if (d.cid.length !== 16) throw new DecodeError('CID is 16 bytes');
  return new Writer(19).bytes(d.cid).u8(d.rpmbSizeMult).u8(d.relWrSecC).u8(d.retCode).finish();
}
export const EXT_CSD = { RPMB_SIZE_MULT: 168, REL_WR_SEC_C: 222 } as const;
