// The normal-world interface: OP-TEE's RPC (struct rpmb_req, struct
// rpmb_dev_info, the supplicant's command sequences) and malformed input.
import fc from 'fast-check';
import { Writer } from '../../protocol/bytes.js';
import {
  FRAME_SIZE,
  RpmbReq,
  RpmbResult,
  counterReadRequest,
  dataReadRequest,
  decodeFrame,
  encodeFrame,
} from '../../protocol/rpmb/frame.js';
import { DEV_INFO_RET, DEV_INFO_SIZE, RpmbReqCmd, TEEC, encodeRpmbReq } from '../../protocol/rpmb/optee.js';
import { RpmbOp, encodeSequence } from '../../protocol/rpmb/service.js';
import { TransportError } from '../../transports/types.js';
import { check, checkProp } from '../harness/check.js';
import { TEEC_STATUS } from '../harness/status-names.js';
import type { CheckContext } from '../harness/types.js';
import {
  CAP,
  JEDEC,
  OPTEE,
  blockPattern,
  counter,
  dut,
  expectNonce,
  expectResult,
  expectType,
  keyed,
  mustRead,
  mustWrite,
  nonce,
  resultRead,
  rpmb,
  scratch,
  send,
  writeRequest,
  type Device,
} from './common.js';

const OK = TEEC.SUCCESS | 0;
const CLAUSE_RPC = 'OPTEE_RPC_CMD_RPMB (optee_rpc_cmd.h): struct rpmb_req, struct rpmb_dev_info';
const CLAUSE_SUPP = 'tee-supplicant rpmb_data_req: MMC_IOC_MULTI_CMD sequences';

/** Sends raw bytes that must be refused; returns how. A success fails the check. */
async function refused(t: CheckContext, opcode: number, body: Uint8Array, what: string): Promise<string> {
  try {
    const r = await rpmb(t).raw(opcode, body, `rpmb ${what}`);
    if (r.status === OK) t.fail(`${what}: accepted`, { expected: 'an error status (TEEC_ERROR_BAD_PARAMETERS)', actual: `TEEC_SUCCESS with ${r.body.length} bytes` });
    return TEEC_STATUS.name(r.status);
  } catch (e) {
    if (e instanceof TransportError && e.kind === 'remote') return 'an envelope error frame';
    throw e;
  }
}

async function stillServes(t: CheckContext, d: Device, c: number): Promise<void> {
  t.expectEqual(await counter(t, d), c, 'write counter after the malformed requests');
}

export default [
  check({
    id: 'rpmb.wire.dev-info',
    title: 'RPMB_CMD_GET_DEV_INFO answers a 19-byte rpmb_dev_info',
    spec: OPTEE,
    clause: CLAUSE_RPC,
    level: 'MUST',
    requirement:
      'A GET_DEV_INFO request answers struct rpmb_dev_info: exactly 19 bytes (cid[16], rpmb_size_mult = EXT_CSD[168] in 1..128, rel_wr_sec_c = EXT_CSD[222] at least 1, ret_code 0); tee-supplicant and OP-TEE reject any other size.',
    services: ['rpmb'],
    run: async (t) => {
      const devId = t.capNumber(CAP.devId) ?? 0;
      const r = await rpmb(t).raw(RpmbOp.OPTEE_RPMB, encodeRpmbReq({ cmd: RpmbReqCmd.GET_DEV_INFO, devId, blockCount: 0 }), `OPTEE_RPC_CMD_RPMB(GET_DEV_INFO, dev_id=${devId})`);
      t.expectStatus(TEEC_STATUS, r.status, OK, 'GET_DEV_INFO');
      t.expectEqual(r.body.length, DEV_INFO_SIZE, 'bytes of struct rpmb_dev_info');
      t.expectEqual(r.body[18], DEV_INFO_RET.OK, 'ret_code');
      t.assert(r.body[16]! >= 1 && r.body[16]! <= 128, `rpmb_size_mult ${r.body[16]} outside 1..128`, { expected: '1..128', actual: String(r.body[16]) });
      t.assert(r.body[17]! >= 1, 'rel_wr_sec_c is 0', { expected: '>= 1', actual: String(r.body[17]) });
    },
  }),
  check({
    id: 'rpmb.wire.dev-info-unknown-device',
    title: 'GET_DEV_INFO for a device that does not exist reports an error',
    spec: OPTEE,
    clause: CLAUSE_RPC,
    level: 'MUST',
    requirement: 'For a dev_id with no RPMB device behind it, GET_DEV_INFO does not report success: it answers an error status, or ret_code RPMB_CMD_GET_DEV_INFO_RET_ERROR (1).',
    services: ['rpmb'],
    run: async (t) => {
      const r = await rpmb(t).raw(RpmbOp.OPTEE_RPMB, encodeRpmbReq({ cmd: RpmbReqCmd.GET_DEV_INFO, devId: 0xfffe, blockCount: 0 }), 'OPTEE_RPC_CMD_RPMB(GET_DEV_INFO, dev_id=0xfffe)');
      if (r.status !== OK) return t.note(`answered ${TEEC_STATUS.name(r.status)}`);
      t.expectEqual(r.body.length, DEV_INFO_SIZE, 'bytes of struct rpmb_dev_info');
      t.expectEqual(r.body[18], DEV_INFO_RET.ERROR, 'ret_code for a device that does not exist');
    },
  }),
  check({
    id: 'rpmb.wire.optee-counter-read',
    title: 'a counter read through OPTEE_RPC_CMD_RPMB answers one frame with the nonce',
    spec: OPTEE,
    clause: CLAUSE_SUPP,
    level: 'MUST',
    requirement: 'RPMB_CMD_DATA_REQ with a write counter read request (rpmb_req block_count 0) answers one response frame: type 0x0200, result OK, the request\'s nonce (the supplicant\'s 2-command sequence CMD25 + CMD18).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const n = nonce(t);
      const r = await rpmb(t).opteeDataRequest(d.devId, [counterReadRequest(n)], 0, 1);
      t.expectStatus(TEEC_STATUS, r.status, OK, 'RPMB_CMD_DATA_REQ');
      const f = decodeFrame(r.frames[0]!);
      expectType(t, f, RpmbReq.COUNTER_READ, 'counter read through OPTEE_RPC_CMD_RPMB');
      expectResult(t, f, RpmbResult.OK, 'counter read through OPTEE_RPC_CMD_RPMB');
      expectNonce(t, f.nonce, n, 'counter read through OPTEE_RPC_CMD_RPMB');
    },
  }),
  check({
    id: 'rpmb.wire.optee-write',
    title: 'a write through OPTEE_RPC_CMD_RPMB answers the write result',
    spec: OPTEE,
    clause: CLAUSE_SUPP,
    level: 'MUST',
    requirement: 'RPMB_CMD_DATA_REQ with an authenticated write is relayed as write, result read request, read of one frame: the answer is the 0x0300 write result with result OK and counter + 1.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const at = scratch(t, d, 1);
      const c = await counter(t, d);
      const data = blockPattern(t, 80);
      const r = await rpmb(t).opteeDataRequest(d.devId, writeRequest(d, at, c, [data]), 0, 1);
      t.expectStatus(TEEC_STATUS, r.status, OK, 'RPMB_CMD_DATA_REQ');
      const f = decodeFrame(r.frames[0]!);
      expectType(t, f, RpmbReq.DATA_WRITE, 'write through OPTEE_RPC_CMD_RPMB');
      expectResult(t, f, RpmbResult.OK, 'write through OPTEE_RPC_CMD_RPMB');
      t.expectEqual(f.writeCounter, c + 1, 'counter in the write result');
      const [got] = await mustRead(t, d, at, 1);
      t.expectBytes(got!, data, `block ${at}`);
    },
  }),
  check({
    id: 'rpmb.wire.optee-read',
    title: 'a read through OPTEE_RPC_CMD_RPMB answers block_count frames',
    spec: OPTEE,
    clause: CLAUSE_SUPP,
    level: 'MUST',
    requirement: 'RPMB_CMD_DATA_REQ with a read request and rpmb_req.block_count = N answers N response frames (OP-TEE sets block_count to the blocks it reads).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const at = scratch(t, d, 2);
      await mustWrite(t, d, at, [blockPattern(t, 81)]);
      await mustWrite(t, d, at + 1, [blockPattern(t, 82)]);
      const r = await rpmb(t).opteeDataRequest(d.devId, [dataReadRequest(at, nonce(t))], 2, 2);
      t.expectStatus(TEEC_STATUS, r.status, OK, 'RPMB_CMD_DATA_REQ');
      const f = r.frames.map(decodeFrame);
      expectResult(t, f[1]!, RpmbResult.OK, '2-block read through OPTEE_RPC_CMD_RPMB');
      t.expectBytes(f[1]!.data, blockPattern(t, 82), 'second block');
    },
  }),
  check({
    id: 'rpmb.wire.malformed-requests',
    title: 'requests that are not whole frames are refused and change nothing',
    spec: OPTEE,
    clause: CLAUSE_RPC,
    level: 'MUST',
    requirement: 'An rpmb_req whose frames are not a whole number of 512-byte frames, a truncated header, an unknown rpmb_req cmd, and a SEQUENCE whose frame count disagrees with its bytes are refused; the device\'s counter does not move and it keeps answering.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const c = await counter(t, d);
      const frame = counterReadRequest(nonce(t));
      const full = encodeRpmbReq({ cmd: RpmbReqCmd.DATA_REQ, devId: d.devId, blockCount: 0 }, [frame]);
      const seq = encodeSequence({ devId: d.devId, write: [frame], readFrames: 1, reliable: false });
      const cases: [number, Uint8Array, string][] = [
        [RpmbOp.OPTEE_RPMB, full.subarray(0, full.length - 1), 'rpmb_req with 511 frame bytes'],
        [RpmbOp.OPTEE_RPMB, full.subarray(0, 4), 'rpmb_req header of 4 bytes'],
        [RpmbOp.OPTEE_RPMB, new Writer().u16le(7).u16le(d.devId).u16le(0).bytes(frame).finish(), 'rpmb_req cmd 7'],
        [RpmbOp.OPTEE_RPMB, encodeRpmbReq({ cmd: RpmbReqCmd.DATA_REQ, devId: d.devId, blockCount: 0 }), 'DATA_REQ with no frame'],
        [RpmbOp.SEQUENCE, seq.subarray(0, seq.length - FRAME_SIZE), 'SEQUENCE announcing 1 frame, carrying 0'],
        [RpmbOp.SEQUENCE, seq.subarray(0, 5), 'SEQUENCE header of 5 bytes'],
      ];
      for (const [op, body, what] of cases) t.note(`${what}: ${await refused(t, op, body, what)}`);
      await stillServes(t, d, c);
    },
  }),
  check({
    id: 'rpmb.wire.unknown-request-type',
    title: 'a frame of an undefined request type is refused without effect',
    spec: JEDEC,
    clause: '6.6.22 Replay Protected Memory Block (request message types)',
    level: 'MUST',
    requirement: 'Request types other than those defined (0x0001..0x0007; 0x0000, 0x0008, 0xffff) are not executed: the result read reports a failure, the counter does not move and the device keeps working.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const c = await counter(t, d);
      for (const type of [0x0000, 0x0008, 0xffff]) {
        await send(t, d, [encodeFrame({ reqResp: type, data: blockPattern(t, 83), blockCount: 1 })]);
        const r = await resultRead(t, d);
        t.assert(r.f.result !== RpmbResult.OK, `request type 0x${type.toString(16)}: the result read reports OK`, { expected: 'a failure result', actual: 'OK' });
      }
      await stillServes(t, d, c);
    },
  }),
  checkProp({
    id: 'rpmb.wire.fuzz',
    title: 'random frames and bodies never change the device without the key',
    spec: OPTEE,
    clause: CLAUSE_RPC,
    level: 'MUST',
    requirement:
      'Whatever frames (any type, any field, any MAC) and bodies arrive without the key, the target answers every call, and the write counter, the only trace an executed write leaves, does not move.',
    services: ['rpmb'],
    numRuns: 60,
    arbitrary: () =>
      fc.record({
        op: fc.constantFrom(RpmbOp.SEQUENCE, RpmbOp.SEQUENCE, RpmbOp.OPTEE_RPMB, 0x04, 0xffff),
        type: fc.integer({ min: 0, max: 9 }),
        fields: fc.record({ address: fc.integer({ min: 0, max: 0xffff }), blockCount: fc.integer({ min: 0, max: 4 }), writeCounter: fc.nat(), result: fc.integer({ min: 0, max: 0xffff }) }),
        frames: fc.integer({ min: 1, max: 3 }),
        readFrames: fc.integer({ min: 0, max: 3 }),
        reliable: fc.boolean(),
        tail: fc.uint8Array({ maxLength: 40 }),
      }),
    predicate: async (t, v) => {
      const d = await dut(t);
      const c0 = await counterOrUndefined(t, d);
      // never program a random key into a blank device: that would be the one write the key allows
      const type = c0 === undefined && v.type === RpmbReq.KEY_PROGRAM ? RpmbReq.COUNTER_READ : v.type;
      const frames = Array.from({ length: v.frames }, (_, i) =>
        encodeFrame({ ...v.fields, reqResp: type, data: blockPattern(t, 90 + i), keyMac: blockPattern(t, 99).subarray(0, 32), nonce: nonce(t) }),
      );
      // a path that carries OPTEE_RPMB only (mmc://) gets these frames as OPTEE_RPMB
      const op = t.channel('rpmb').carries?.(v.op) === false ? RpmbOp.OPTEE_RPMB : v.op;
      let body: Uint8Array;
      if (op === RpmbOp.SEQUENCE) body = encodeSequence({ devId: d.devId, write: frames, readFrames: v.readFrames, reliable: v.reliable });
      else if (op === RpmbOp.OPTEE_RPMB) body = encodeRpmbReq({ cmd: RpmbReqCmd.DATA_REQ, devId: d.devId, blockCount: v.readFrames }, frames);
      else body = v.tail;
      try {
        await rpmb(t).raw(op, body, `rpmb fuzz ${op} type 0x${v.type.toString(16)} × ${v.frames}`);
      } catch (e) {
        // refused by the device (remote) or not sendable on this path (unsupported): no answer to judge
        if (!(e instanceof TransportError && (e.kind === 'remote' || e.kind === 'unsupported'))) {
          if (e instanceof TransportError) t.fail(`the target stopped answering: ${e.message}`, { expected: 'an answer', actual: e.kind });
          throw e;
        }
      }
      const c1 = await counterOrUndefined(t, d);
      t.expectEqual(c1, c0, 'write counter after random frames sent without the key', (x) => (x === undefined ? 'key not programmed' : String(x)));
    },
  }),
];

async function counterOrUndefined(t: CheckContext, d: Device): Promise<number | undefined> {
  const r = await rpmb(t).opteeDataRequest(d.devId, [counterReadRequest(nonce(t))], 0, 1);
  t.expectStatus(TEEC_STATUS, r.status, OK, 'write counter read');
  const f = decodeFrame(r.frames[0]!);
  return (f.result & 0x7f) === RpmbResult.KEY_NOT_PROGRAMMED ? undefined : f.writeCounter;
}
