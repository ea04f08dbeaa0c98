// The Linux MMC block ioctls (include/uapi/linux/mmc/ioctl.h) and the
// command sequences tee-supplicant (optee_client tee-supplicant/src/rpmb.c,
// rpmb_data_req) and mmc-utils (do_rpmb_op) issue for RPMB. Frames are
// handled as 512-byte buffers: only the request type (big-endian u16 at
// byte 510) is read here; the frame codec belongs to protocol/rpmb.
import { DecodeError, Reader, Writer, hexNum } from '../bytes.js';
import { FRAME_SIZE, RpmbReq, reqRespName } from './frame.js';
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

/** Request type of a 512-byte frame: big-endian u16 at offset 510. */
export function frameRequestType(frame: Uint8Array): number {
  if (frame.length < FRAME_SIZE) throw new DecodeError(`an RPMB frame is 512 bytes, got ${frame.length}`);
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
    blksz: FRAME_SIZE,
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
    case RpmbReq.KEY_PROGRAM:
    case RpmbReq.DATA_WRITE:
    case RpmbReq.CONFIG_WRITE: {
      const first = write(requestFrames, true, 'request');
      // tee-supplicant: HiKey eMMC needs 20-50 ms after the reliable write
      first.cmd.postsleepMinUs = 20_000;
      first.cmd.postsleepMaxUs = 50_000;
      return { type, responseFrames: 1, steps: [first, write(1, false, 'result-read'), read(1)] };
    }
    case RpmbReq.COUNTER_READ:
    case RpmbReq.RESULT_READ:
    case RpmbReq.CONFIG_READ:
      if (requestFrames !== 1) throw new DecodeError(`${reqRespName(type)} takes exactly one request frame, got ${requestFrames}`);
      return { type, responseFrames: 1, steps: [write(1, false, 'request'), read(1)] };
    case RpmbReq.DATA_READ:
      if (requestFrames !== 1) throw new DecodeError(`DATA_READ takes exactly one request frame, got ${requestFrames}`);
      if (readFrames < 1) throw new DecodeError('DATA_READ needs the number of frames to read (the frame itself carries 0; CMD23 carries the count)');
      return { type, responseFrames: readFrames, steps: [write(1, false, 'request'), read(readFrames)] };
    default:
      throw new DecodeError(`not an RPMB request type: ${hexNum(type, 4)}`);
  }
}

/** A zeroed frame whose request type is RESULT_READ (0x0005). */
export function resultReadFrame(): Uint8Array {
  const f = new Uint8Array(FRAME_SIZE);
  f[511] = RpmbReq.RESULT_READ;
  return f;
}

/** EXT_CSD bytes tee-supplicant reads for struct rpmb_dev_info (protocol/rpmb/optee.ts). */
export const EXT_CSD = { RPMB_SIZE_MULT: 168, REL_WR_SEC_C: 222 } as const;
