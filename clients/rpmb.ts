// Typed calls for the rpmb service: encode -> call -> decode. Statuses are
// returned, never thrown; an answer that cannot be decoded (a frame count
// that does not match the request, a truncated rpmb_dev_info) throws
// TransportError('protocol').
import { DecodeError, utf8 } from '../protocol/bytes.js';
import { describeFrame, frameType, reqRespName, splitFrames } from '../protocol/rpmb/frame.js';
import { RpmbReqCmd, TEEC, decodeDevInfo, encodeRpmbReq, type DevInfo } from '../protocol/rpmb/optee.js';
import {
  RpmbOp,
  decodeDevId,
  decodeDevices,
  decodeReeList,
  encodeNewDevice,
  encodeReeWrite,
  encodeSequence,
  rpmbOpName,
  type DeviceEntry,
  type NewDeviceRequest,
} from '../protocol/rpmb/service.js';
import type { Channel, ServiceResponse } from '../transports/types.js';
import { decodeAnswer } from './common.js';

const OK = TEEC.SUCCESS | 0;

function framesLabel(frames: readonly Uint8Array[]): string {
  if (!frames.length) return '';
  const first = frames[0]!;
  const type = frameType(first);
  const same = frames.every((f) => frameType(f) === type);
  return `${frames.length}×[${same ? describeFrame(first) : 'mixed: ' + frames.map((f) => reqRespName(frameType(f))).join(', ')}]`;
}

function expectFrames(label: string, body: Uint8Array, n: number): Uint8Array[] {
  return decodeAnswer(label, () => {
    const frames = splitFrames(body, 'answer');
    if (frames.length !== n) throw new DecodeError(`${n} response frame(s) asked for, ${frames.length} answered (${body.length} bytes)`);
    return frames.map((f) => f.slice());
  });
}

export interface FramesAnswer {
  status: number;
  frames: Uint8Array[];
}

export class RpmbClient {
  constructor(readonly channel: Channel) {}

  raw(opcode: number, body: Uint8Array, label?: string): Promise<ServiceResponse> {
    return this.channel.call(opcode, body, { label: label ?? `rpmb ${rpmbOpName(opcode)} (raw, ${body.length} bytes)` });
  }

  /** RPMB_CMD_GET_DEV_INFO through OPTEE_RPC_CMD_RPMB: the 19-byte struct rpmb_dev_info. */
  async devInfo(devId: number): Promise<{ status: number; info?: DevInfo }> {
    const label = `OPTEE_RPC_CMD_RPMB(RPMB_CMD_GET_DEV_INFO, dev_id=${devId})`;
    const r = await this.channel.call(RpmbOp.OPTEE_RPMB, encodeRpmbReq({ cmd: RpmbReqCmd.GET_DEV_INFO, devId, blockCount: 0 }), { label });
    if (r.status !== OK) return { status: r.status };
    return { status: r.status, info: decodeAnswer(label, () => decodeDevInfo(r.body)) };
  }

  /**
   * RPMB_CMD_DATA_REQ through OPTEE_RPC_CMD_RPMB, as OP-TEE sends it:
   * `blockCount` is the number of blocks of a data read (0 otherwise).
   */
  async opteeDataRequest(devId: number, frames: readonly Uint8Array[], blockCount = 0, responses = 1): Promise<FramesAnswer> {
    const label = `OPTEE_RPC_CMD_RPMB(RPMB_CMD_DATA_REQ, dev_id=${devId}, block_count=${blockCount}, ${framesLabel(frames)})`;
    const r = await this.channel.call(RpmbOp.OPTEE_RPMB, encodeRpmbReq({ cmd: RpmbReqCmd.DATA_REQ, devId, blockCount }, frames), { label });
    if (r.status !== OK) return { status: r.status, frames: [] };
    return { status: r.status, frames: expectFrames(label, r.body, responses) };
  }

  /**
   * One MMC sequence on device `devId`: CMD23(n, reliable)+CMD25 with
   * `write`, then CMD23(m)+CMD18 reading `readFrames` frames.
   */
  async sequence(devId: number, write: readonly Uint8Array[], readFrames: number, reliable = true): Promise<FramesAnswer> {
    const parts: string[] = [];
    if (write.length) parts.push(`CMD23(${write.length}${reliable ? ', reliable' : ''})+CMD25 ${framesLabel(write)}`);
    if (readFrames) parts.push(`CMD23(${readFrames})+CMD18`);
    const label = `rpmb dev ${devId}: ${parts.join(', ')}`;
    const r = await this.channel.call(RpmbOp.SEQUENCE, encodeSequence({ devId, write: [...write], readFrames, reliable }), { label });
    if (r.status !== OK) return { status: r.status, frames: [] };
    return { status: r.status, frames: expectFrames(label, r.body, readFrames) };
  }

  async devices(): Promise<{ status: number; devices?: DeviceEntry[] }> {
    const label = 'rpmb DEVICES';
    const r = await this.channel.call(RpmbOp.DEVICES, new Uint8Array(0), { label });
    if (r.status !== OK) return { status: r.status };
    return { status: r.status, devices: decodeAnswer(label, () => decodeDevices(r.body)) };
  }

  async newTestDevice(spec: NewDeviceRequest): Promise<{ status: number; devId?: number }> {
    const label = `rpmb TEST_NEW_DEVICE(size_mult=${spec.sizeMult}, rel_wr_sec_c=${spec.relWrSecC}, initial_counter=0x${spec.initialCounter.toString(16)})`;
    const r = await this.channel.call(RpmbOp.TEST_NEW_DEVICE, encodeNewDevice(spec), { label });
    if (r.status !== OK) return { status: r.status };
    return { status: r.status, devId: decodeAnswer(label, () => decodeDevId(r.body)) };
  }

  async reeList(prefix = ''): Promise<{ status: number; paths?: string[] }> {
    const r = await this.channel.call(RpmbOp.TEST_REE_LIST, utf8(prefix), { label: `rpmb TEST_REE_LIST(${JSON.stringify(prefix)})` });
    if (r.status !== OK) return { status: r.status };
    return { status: r.status, paths: decodeReeList(r.body) };
  }

  async reeRead(path: string): Promise<{ status: number; data?: Uint8Array }> {
    const r = await this.channel.call(RpmbOp.TEST_REE_READ, utf8(path), { label: `rpmb TEST_REE_READ(${path})` });
    return r.status === OK ? { status: r.status, data: r.body } : { status: r.status };
  }

  async reeWrite(path: string, data: Uint8Array): Promise<number> {
    return (await this.channel.call(RpmbOp.TEST_REE_WRITE, encodeReeWrite(path, data), { label: `rpmb TEST_REE_WRITE(${path}, ${data.length} bytes)` })).status;
  }

  async reeDelete(path: string): Promise<number> {
    return (await this.channel.call(RpmbOp.TEST_REE_DELETE, utf8(path), { label: `rpmb TEST_REE_DELETE(${path})` })).status;
  }
}
