// JESD84-B51 6.6.22.4.1 Programming of the Authentication Key: one-time
// programming, and what a device answers before it has a key.
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../../protocol/bytes.js';
import { RpmbReq, RpmbResult, dataReadRequest, keyProgramRequest } from '../../protocol/rpmb/frame.js';
import { check } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import {
  CAP,
  CL,
  JEDEC,
  blockPattern,
  counterRead,
  dut,
  expectMac,
  expectResult,
  expectType,
  freshDevice,
  macMatches,
  nonce,
  programKey,
  read,
  rpmb,
  writeFrames,
  writeRequest,
  type Device,
} from './common.js';

const otherKey = (label: string) => sha256(utf8(`fwsec rpmb suite: ${label}`));

async function expectBlank(t: CheckContext, d: Device, what: string): Promise<void> {
  const c = await counterRead(t, d);
  expectType(t, c.f, RpmbReq.COUNTER_READ, `${what}: write counter read`);
  expectResult(t, c.f, RpmbResult.KEY_NOT_PROGRAMMED, `${what}: write counter read (the key must still be unprogrammed)`);
}

/** Programs `key` on a blank device and requires result OK. */
async function program(t: CheckContext, d: Device, key: Uint8Array): Promise<void> {
  const r = await programKey(t, d, key);
  expectType(t, r.f, RpmbReq.KEY_PROGRAM, 'result read after key programming');
  expectResult(t, r.f, RpmbResult.OK, 'result read after programming the key of a blank device');
}

export default [
  check({
    id: 'rpmb.key.not-programmed-counter',
    title: 'a device without a key answers a counter read with KEY_NOT_PROGRAMMED',
    spec: JEDEC,
    clause: CL.key,
    level: 'MUST',
    requirement:
      'Access to the RPMB data area is not possible before the authentication key is programmed: until then the result of a request is "Authentication Key not yet programmed" (0x0007); a write counter read answers a 0x0200 response with that result.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await freshDevice(t);
      const c = await counterRead(t, d);
      expectType(t, c.f, RpmbReq.COUNTER_READ, 'write counter read on a blank device');
      expectResult(t, c.f, RpmbResult.KEY_NOT_PROGRAMMED, 'write counter read on a blank device');
    },
  }),
  check({
    id: 'rpmb.key.not-programmed-write',
    title: 'a device without a key refuses authenticated writes with KEY_NOT_PROGRAMMED',
    spec: JEDEC,
    clause: CL.key,
    level: 'MUST',
    requirement:
      'Before the authentication key is programmed an authenticated data write is not executed: its result read answers 0x0007 (key not yet programmed), and the key is still not programmed afterwards.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await freshDevice(t);
      const r = await writeFrames(t, d, writeRequest(d, 0, 0, [blockPattern(t, 1)]));
      expectType(t, r.f, RpmbReq.DATA_WRITE, 'result read after a write on a blank device');
      expectResult(t, r.f, RpmbResult.KEY_NOT_PROGRAMMED, 'result read after a write on a blank device');
      await expectBlank(t, d, 'after the refused write');
    },
  }),
  check({
    id: 'rpmb.key.not-programmed-read',
    title: 'a device without a key refuses authenticated reads with KEY_NOT_PROGRAMMED',
    spec: JEDEC,
    clause: CL.key,
    level: 'MUST',
    requirement: 'Before the authentication key is programmed an authenticated data read answers 0x0400 response frames with result 0x0007 and no data.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await freshDevice(t);
      const r = await read(t, d, 0, 1);
      expectType(t, r.frames[0]!, RpmbReq.DATA_READ, 'data read on a blank device');
      expectResult(t, r.frames[0]!, RpmbResult.KEY_NOT_PROGRAMMED, 'data read on a blank device');
    },
  }),
  check({
    id: 'rpmb.key.program',
    title: 'the authentication key is programmed once and then authenticates the device',
    spec: JEDEC,
    clause: CL.key,
    level: 'MUST',
    requirement:
      'A key programming request (type 0x0001, the key in bytes 196..227) sent with CMD23 block count 1 and the reliable-write bit is executed; the result read answers response type 0x0100 with result OK, and afterwards the device MACs its responses with that key.',
    services: ['rpmb'],
    destructive: true,
    run: async (t) => {
      // the device under test gets the profile's key; if it already has one, a fresh device is programmed instead
      let d = await dut(t);
      const c = await counterRead(t, d);
      if ((c.f.result & 0x7f) !== RpmbResult.KEY_NOT_PROGRAMMED) {
        if (!macMatches(d.key, [c.raw])) t.note(`dev_id ${d.devId} already has a key, and not ${CAP.key}`);
        else t.note(`dev_id ${d.devId} already has ${CAP.key}; programming is checked on a fresh device`);
        d = await freshDevice(t);
      }
      await program(t, d, d.key);
      const after = await counterRead(t, d);
      expectResult(t, after.f, RpmbResult.OK, 'write counter read after programming the key');
      expectMac(t, d.key, [after.raw], 'write counter read after programming the key');
    },
  }),
  check({
    id: 'rpmb.key.initial-counter',
    title: 'a newly programmed device starts its write counter at 0',
    spec: JEDEC,
    clause: CL.counter,
    level: 'SHOULD',
    requirement: 'The write counter of a device that has never executed an authenticated write is 0: the first write counter read after programming the key answers 0.',
    services: ['rpmb'],
    destructive: true,
    run: async (t) => {
      const d = await freshDevice(t);
      await program(t, d, d.key);
      const c = await counterRead(t, d);
      expectResult(t, c.f, RpmbResult.OK, 'write counter read');
      t.expectEqual(c.f.writeCounter, 0, 'write counter of a never-written device');
    },
  }),
  check({
    id: 'rpmb.key.program-needs-reliable-write',
    title: 'key programming without the reliable-write bit is refused',
    spec: JEDEC,
    clause: CL.key,
    level: 'MUST',
    requirement:
      'Prior to CMD25 the block count is set to 1 by CMD23 with argument bit 31 set (reliable write). If bit 31 has not been set the Write Multiple Block command must fail and General Failure (0x0001) shall be indicated; the key stays unprogrammed.',
    services: ['rpmb'],
    destructive: true,
    run: async (t) => {
      const d = await freshDevice(t);
      const r = await programKey(t, d, d.key, false);
      expectResult(t, r.f, RpmbResult.GENERAL_FAILURE, 'result read after key programming without the reliable-write bit');
      await expectBlank(t, d, 'after the refused programming');
    },
  }),
  check({
    id: 'rpmb.key.program-one-block',
    title: 'key programming with more than one frame is refused',
    spec: JEDEC,
    clause: CL.key,
    level: 'MUST',
    requirement: 'If the block count has not been set to 1 the key programming must fail with General Failure (0x0001); the key stays unprogrammed.',
    services: ['rpmb'],
    destructive: true,
    run: async (t) => {
      const d = await freshDevice(t);
      const f = keyProgramRequest(d.key);
      const r = await writeFrames(t, d, [f, f.slice()]);
      expectResult(t, r.f, RpmbResult.GENERAL_FAILURE, 'result read after a two-frame key programming');
      await expectBlank(t, d, 'after the refused programming');
    },
  }),
  check({
    id: 'rpmb.key.second-program-refused',
    title: 'a programmed key cannot be replaced',
    spec: JEDEC,
    clause: CL.key,
    level: 'MUST',
    requirement:
      'The authentication key is one-time programmable: a second key programming request fails (General Failure 0x0001, or Write Failure 0x0005) and the device keeps MACing with the first key.',
    services: ['rpmb'],
    destructive: true,
    run: async (t) => {
      const d = await freshDevice(t);
      await program(t, d, d.key);
      const intruder = otherKey('second key');
      const r = await programKey(t, d, intruder);
      expectType(t, r.f, RpmbReq.KEY_PROGRAM, 'result read after the second key programming');
      expectResult(t, r.f, [RpmbResult.GENERAL_FAILURE, RpmbResult.WRITE_FAILURE], 'result read after the second key programming');
      const c = await counterRead(t, d);
      expectResult(t, c.f, RpmbResult.OK, 'write counter read after the refused programming');
      t.assert(!macMatches(intruder, [c.raw]), 'the device now MACs with the second key: the key was replaced', {
        expected: 'responses MAC\'d with the first key',
        actual: 'responses MAC\'d with the second key',
      });
      expectMac(t, d.key, [c.raw], 'write counter read after the refused programming');
      // the old key still authenticates reads
      const rd = await rpmb(t).opteeDataRequest(d.devId, [dataReadRequest(0, nonce(t))], 1, 1);
      if (rd.frames.length) expectMac(t, d.key, rd.frames, 'data read after the refused programming');
    },
  }),
];
