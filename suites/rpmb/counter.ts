// JESD84-B51 6.6.22.4.2 Reading of the Counter Value, and how the write
// counter moves with authenticated writes (6.6.22.4.3).
import { bytesEqual } from '../../protocol/bytes.js';
import { OFF, RpmbReq, RpmbResult } from '../../protocol/rpmb/frame.js';
import { check } from '../harness/check.js';
import {
  CL,
  JEDEC,
  blockPattern,
  counter,
  counterRead,
  expectMac,
  expectNonce,
  expectResult,
  expectType,
  flip,
  keyed,
  maxWrite,
  mustWrite,
  scratch,
  write,
  writeFrames,
  writeRequest,
} from './common.js';

export default [
  check({
    id: 'rpmb.counter.response',
    title: 'a write counter read answers a 0x0200 response with result OK',
    spec: JEDEC,
    clause: CL.counter,
    level: 'MUST',
    requirement: 'The device returns a data frame with response type 0x0200, a copy of the nonce, the write counter value, the MAC and the result.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const c = await counterRead(t, d);
      expectType(t, c.f, RpmbReq.COUNTER_READ, 'write counter read');
      expectResult(t, c.f, RpmbResult.OK, 'write counter read');
    },
  }),
  check({
    id: 'rpmb.counter.nonce-echo',
    title: 'the counter response carries back the nonce of the request',
    spec: JEDEC,
    clause: CL.counter,
    level: 'MUST',
    requirement: 'The write counter read response carries a copy of the 16-byte nonce received in the request (OP-TEE compares it and refuses the answer otherwise); two reads with two nonces each echo their own.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      for (let i = 0; i < 2; i++) {
        const c = await counterRead(t, d);
        expectNonce(t, c.f.nonce, c.nonce, `write counter read ${i + 1}`);
      }
    },
  }),
  check({
    id: 'rpmb.counter.mac',
    title: 'the counter response is MAC\'d with the key over bytes 228..511',
    spec: JEDEC,
    clause: CL.counter,
    level: 'MUST',
    requirement: 'The MAC of the write counter read response is HMAC-SHA256, keyed with the authentication key, over bytes 228..511 of the response frame (data, nonce, counter, address, block count, result, type).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const c = await counterRead(t, d);
      expectMac(t, d.key, [c.raw], 'write counter read response');
      // the MAC must depend on the nonce: two nonces, two MACs
      const c2 = await counterRead(t, d);
      t.assert(!bytesEqual(c.raw.subarray(OFF.keyMac, OFF.keyMac + 32), c2.raw.subarray(OFF.keyMac, OFF.keyMac + 32)), 'two counter reads with different nonces carry the same MAC', {
        expected: 'different MACs',
        actual: 'identical MACs',
      });
    },
  }),
  check({
    id: 'rpmb.counter.stable',
    title: 'reads do not move the write counter',
    spec: JEDEC,
    clause: CL.counter,
    level: 'MUST',
    requirement: 'The write counter changes only with a successful authenticated write: consecutive counter reads, and data reads between them, answer the same value.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const a = await counter(t, d);
      await counterRead(t, d);
      const b = await counter(t, d);
      t.expectEqual(b, a, 'write counter after a second read');
    },
  }),
  check({
    id: 'rpmb.counter.per-write',
    title: 'a successful authenticated write increments the counter by one',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'The write counter is incremented by one when an authenticated write is successfully executed.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const at = scratch(t, d, 1);
      const before = await mustWrite(t, d, at, [blockPattern(t, 2)]);
      t.expectEqual(await counter(t, d), before + 1, 'write counter after one single-block write');
    },
  }),
  check({
    id: 'rpmb.counter.per-request-not-per-block',
    title: 'a multi-block write increments the counter once, not once per block',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement:
      'The write counter is incremented by one per successfully executed authenticated write request, whatever its block count: a 2-block write moves it by 1 (tee-supplicant\'s RPMB_EMU counts per block; OP-TEE then rejects the response).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      if (maxWrite(d) < 2) t.unsupported(`REL_WR_SEC_C ${d.relWrSecC}: the device announces single-frame writes only`);
      const at = scratch(t, d, 2);
      const w = await write(t, d, at, [blockPattern(t, 3), blockPattern(t, 4)]);
      if (w.f.result === RpmbResult.GENERAL_FAILURE) t.unsupported('the device refuses 2-frame writes (GENERAL_FAILURE)');
      expectResult(t, w.f, RpmbResult.OK, 'result read after a 2-block write');
      t.expectEqual(w.f.writeCounter, w.before + 1, 'counter in the result of a 2-block write');
      t.expectEqual(await counter(t, d), w.before + 1, 'write counter read after a 2-block write');
    },
  }),
  check({
    id: 'rpmb.counter.failed-writes-no-increment',
    title: 'refused writes leave the counter where it was',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'The write counter is incremented only if the write was successfully executed: after writes refused for a bad MAC, a wrong counter and an address past the end, it has not moved.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const at = scratch(t, d, 1);
      const c = await counter(t, d);
      const good = writeRequest(d, at, c, [blockPattern(t, 5)]);
      const cases: [string, Uint8Array[], number][] = [
        ['a flipped MAC', [flip(good[0]!, OFF.keyMac + 3)], RpmbResult.AUTH_FAILURE],
        ['counter + 1', writeRequest(d, at, c + 1, [blockPattern(t, 5)]), RpmbResult.COUNTER_FAILURE],
      ];
      if (d.blocks <= 0xffff) cases.push(['address = device size', writeRequest(d, d.blocks, c, [blockPattern(t, 5)]), RpmbResult.ADDRESS_FAILURE]);
      for (const [what, frames, want] of cases) {
        const r = await writeFrames(t, d, frames);
        expectResult(t, r.f, want, `result read after a write with ${what}`);
        t.expectEqual(await counter(t, d), c, `write counter after a write with ${what}`);
      }
    },
  }),
  check({
    id: 'rpmb.counter.survives-reset',
    title: 'key and counter survive a power cycle',
    spec: JEDEC,
    clause: CL.counter,
    level: 'MUST',
    requirement: 'The authentication key and the write counter are non-volatile: after a reset of the target the counter reads the value it had, MAC\'d with the same key.',
    services: ['rpmb'],
    capabilities: ['target.reset'],
    run: async (t) => {
      const d = await keyed(t);
      const at = scratch(t, d, 1);
      const before = await mustWrite(t, d, at, [blockPattern(t, 6)]);
      await t.reset();
      const c = await counterRead(t, d);
      expectResult(t, c.f, RpmbResult.OK, 'write counter read after reset');
      expectMac(t, d.key, [c.raw], 'write counter read after reset');
      t.expectEqual(c.f.writeCounter, before + 1, 'write counter after reset');
    },
  }),
];
