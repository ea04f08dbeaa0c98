// The result read request (type 0x0005): how a host learns what became of
// a write, including a refused one (JESD84-B51 6.6.22.4.1, 6.6.22.4.3).
import { OFF, RpmbReq, RpmbResult } from '../../protocol/rpmb/frame.js';
import { check } from '../harness/check.js';
import {
  CL,
  JEDEC,
  blockPattern,
  counter,
  expectMac,
  expectResult,
  expectType,
  flip,
  keyed,
  pastEnd,
  resultRead,
  scratch,
  writeFrames,
  writeRequest,
} from './common.js';

export default [
  check({
    id: 'rpmb.result.after-auth-failure',
    title: 'the result read after a refused write reports AUTH_FAILURE with the current counter',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement:
      'After an authenticated write refused for its MAC, the result read answers response type 0x0300, result Authentication Failure (0x0002) and the write counter as it is (not incremented).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const at = scratch(t, d, 1);
      const c = await counter(t, d);
      const [f] = writeRequest(d, at, c, [blockPattern(t, 60)]);
      const r = await writeFrames(t, d, [flip(f!, OFF.data + 9)]);
      expectType(t, r.f, RpmbReq.DATA_WRITE, 'result read after a refused write');
      expectResult(t, r.f, RpmbResult.AUTH_FAILURE, 'result read after a write with altered data');
      t.expectEqual(r.f.writeCounter, c, 'counter in the result of the refused write');
    },
  }),
  check({
    id: 'rpmb.result.after-counter-failure',
    title: 'the result read after a counter failure reports the device\'s current counter, signed',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement:
      'After a write refused with Counter Failure the result read answers 0x0300, result 0x0003, the device\'s current counter and a valid MAC, so the host can resynchronise (OP-TEE re-reads it; emulators must answer the current counter).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const at = scratch(t, d, 1);
      const c = await counter(t, d);
      const r = await writeFrames(t, d, writeRequest(d, at, c + 5, [blockPattern(t, 61)]));
      expectResult(t, r.f, RpmbResult.COUNTER_FAILURE, 'result read after a write with counter + 5');
      t.expectEqual(r.f.writeCounter, c, 'counter in the Counter Failure result');
      expectMac(t, d.key, [r.raw], 'Counter Failure result');
    },
  }),
  check({
    id: 'rpmb.result.after-address-failure',
    title: 'the result read after an out-of-range write reports ADDRESS_FAILURE',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'After a write at an address past the partition the result read answers 0x0300 with Address Failure (0x0004) and the unchanged counter.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const c = await counter(t, d);
      const r = await writeFrames(t, d, writeRequest(d, pastEnd(t, d), c, [blockPattern(t, 62)]));
      expectType(t, r.f, RpmbReq.DATA_WRITE, 'result read after an out-of-range write');
      expectResult(t, r.f, RpmbResult.ADDRESS_FAILURE, 'result read after an out-of-range write');
      t.expectEqual(r.f.writeCounter, c, 'counter in the Address Failure result');
    },
  }),
  check({
    id: 'rpmb.result.repeatable',
    title: 'reading the result twice answers the same result',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'Any request other than the result read request overwrites the result register; a result read does not: two result reads after one write answer the same frame.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const at = scratch(t, d, 1);
      const c = await counter(t, d);
      const a = await writeFrames(t, d, writeRequest(d, at, c, [blockPattern(t, 63)])); // write, then its result read
      const b = await resultRead(t, d);
      expectResult(t, a.f, RpmbResult.OK, 'first result read');
      t.expectBytes(b.raw.subarray(OFF.data), a.raw.subarray(OFF.data), 'second result read (bytes 228..511)');
    },
  }),
];
