// The rpmb service: the normal world's path to the board's RPMB devices,
// answering as tee-supplicant answers OP-TEE (OPTEE_RPMB), as an MMC ioctl
// sequence answers (SEQUENCE), and with the reference-only test hooks.
// Malformed bodies answer TEEC_ERROR_BAD_PARAMETERS and change nothing;
// RPMB-level failures travel inside the response frames, as on a device.
import { DecodeError, fromUtf8 } from '../../protocol/bytes.js';
import { RpmbReq, frameType, joinFrames, resultReadRequest } from '../../protocol/rpmb/frame.js';
import { DEV_INFO_RET, RpmbReqCmd, TEEC, decodeRpmbReq, encodeDevInfo, teecStatus } from '../../protocol/rpmb/optee.js';
import {
  MAX_FRAMES_PER_CALL,
  RpmbOp,
  decodeNewDevice,
  decodeReeWrite,
  decodeSequence,
  encodeDevId,
  encodeDevices,
  encodeReeList,
  validReePath,
} from '../../protocol/rpmb/service.js';
import type { ServiceResponse } from '../../protocol/services.js';
import type { RpmbBoard } from './board.js';
import type { EmmcRpmb } from './device.js';

const EMPTY = new Uint8Array(0);
const status = (code: number, body: Uint8Array = EMPTY): ServiceResponse => ({ status: teecStatus(code), body });
const ok = (body: Uint8Array = EMPTY) => status(TEEC.SUCCESS, body);

/** The device side of a board: what the rpmb service needs (tests build their own). */
export interface RpmbBackend {
  device(devId: number): EmmcRpmb | undefined;
  list(): ReturnType<RpmbBoard['list']>;
  readonly testHooks: boolean;
  newTestDevice: RpmbBoard['newTestDevice'];
  reeList(prefix: string): string[];
  reeRead(path: string): Uint8Array | undefined;
  /** False when the path names a directory or lies under a file. */
  reeWrite(path: string, content: Uint8Array): boolean;
  reeDelete(path: string): boolean;
}

const WRITE_TYPES: number[] = [RpmbReq.KEY_PROGRAM, RpmbReq.DATA_WRITE, RpmbReq.CONFIG_WRITE];

/** tee-supplicant's rpmb_data_req: the 3-command write sequence or the 2-command read sequence. */
async function dataRequest(dev: EmmcRpmb, frames: Uint8Array[], blockCount: number): Promise<Uint8Array[]> {
  const type = frameType(frames[0]!);
  if (WRITE_TYPES.includes(type)) {
    await dev.transact(frames, 0, true);
    return dev.transact([resultReadRequest()], 1, false);
  }
  const responses = type === RpmbReq.DATA_READ ? Math.max(1, blockCount) : 1;
  return dev.transact(frames, responses, false);
}

export function rpmbHandler(board: RpmbBackend) {
  return async (opcode: number, body: Uint8Array): Promise<ServiceResponse> => {
    try {
      switch (opcode) {
        case RpmbOp.OPTEE_RPMB: {
          const req = decodeRpmbReq(body);
          const dev = board.device(req.devId);
          if (req.cmd === RpmbReqCmd.GET_DEV_INFO) {
            if (req.frames.length) return status(TEEC.ERROR_BAD_PARAMETERS);
            if (!dev) return ok(encodeDevInfo({ cid: new Uint8Array(16), rpmbSizeMult: 0, relWrSecC: 0, retCode: DEV_INFO_RET.ERROR }));
            return ok(encodeDevInfo({ cid: dev.info.cid, rpmbSizeMult: dev.info.sizeMult, relWrSecC: dev.info.relWrSecC, retCode: DEV_INFO_RET.OK }));
          }
          if (req.cmd !== RpmbReqCmd.DATA_REQ) return status(TEEC.ERROR_BAD_PARAMETERS);
          if (!dev) return status(TEEC.ERROR_ITEM_NOT_FOUND);
          if (!req.frames.length || req.frames.length > MAX_FRAMES_PER_CALL || req.blockCount > MAX_FRAMES_PER_CALL) {
            return status(TEEC.ERROR_BAD_PARAMETERS);
          }
          return ok(joinFrames(await dataRequest(dev, req.frames, req.blockCount)));
        }
        case RpmbOp.SEQUENCE: {
          const seq = decodeSequence(body);
          const dev = board.device(seq.devId);
          if (!dev) return status(TEEC.ERROR_ITEM_NOT_FOUND);
          return ok(joinFrames(await dev.transact(seq.write, seq.readFrames, seq.reliable)));
        }
        case RpmbOp.DEVICES:
          if (body.length) return status(TEEC.ERROR_BAD_PARAMETERS);
          return ok(encodeDevices(board.list()));
      }
      if (opcode >= RpmbOp.TEST_NEW_DEVICE && opcode <= RpmbOp.TEST_REE_DELETE) {
        if (!board.testHooks) return status(TEEC.ERROR_NOT_SUPPORTED);
        return await testHook(board, opcode, body);
      }
      return status(TEEC.ERROR_NOT_SUPPORTED);
    } catch (e) {
      if (e instanceof DecodeError || e instanceof RangeError) return status(TEEC.ERROR_BAD_PARAMETERS);
      throw e;
    }
  };
}

async function testHook(board: RpmbBackend, opcode: number, body: Uint8Array): Promise<ServiceResponse> {
  switch (opcode) {
    case RpmbOp.TEST_NEW_DEVICE: {
      const id = await board.newTestDevice(decodeNewDevice(body));
      return typeof id === 'number' ? ok(encodeDevId(id)) : status(TEEC.ERROR_BAD_PARAMETERS);
    }
    case RpmbOp.TEST_REE_LIST: {
      const prefix = fromUtf8(body);
      if (!validReePath(prefix, true)) return status(TEEC.ERROR_BAD_PARAMETERS);
      return ok(encodeReeList(board.reeList(prefix)));
    }
    case RpmbOp.TEST_REE_READ: {
      const path = fromUtf8(body);
      if (!validReePath(path)) return status(TEEC.ERROR_BAD_PARAMETERS);
      const data = board.reeRead(path);
      return data ? ok(data) : status(TEEC.ERROR_ITEM_NOT_FOUND);
    }
    case RpmbOp.TEST_REE_WRITE: {
      const { path, content } = decodeReeWrite(body);
      if (!validReePath(path)) return status(TEEC.ERROR_BAD_PARAMETERS);
      return board.reeWrite(path, content) ? ok() : status(TEEC.ERROR_ACCESS_CONFLICT);
    }
    case RpmbOp.TEST_REE_DELETE: {
      const path = fromUtf8(body);
      if (!validReePath(path)) return status(TEEC.ERROR_BAD_PARAMETERS);
      return board.reeDelete(path) ? ok() : status(TEEC.ERROR_ITEM_NOT_FOUND);
    }
  }
  return status(TEEC.ERROR_NOT_SUPPORTED);
}

/** The handler of a board whose RPMB hardware could not be brought up: every request answers TEEC_ERROR_COMMUNICATION. */
export function rpmbUnavailable(e: Error, log: (line: string) => void) {
  log(`rpmb: hardware unavailable: ${e.message}`);
  return async (): Promise<ServiceResponse> => status(TEEC.ERROR_COMMUNICATION);
}
