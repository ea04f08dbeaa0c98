// JESD84-B51 6.6.22.4.3 Authenticated Data Write: what is written, what is
// refused, what the result read reports, and that nothing the MAC covers
// can be changed on the way.
import fc from 'fast-check';
import { hex } from '../../protocol/bytes.js';
import { OFF, RpmbReq, RpmbResult, computeMac, dataWriteRequest, resultName } from '../../protocol/rpmb/frame.js';
import { check, checkProp } from '../harness/check.js';
import { CheckFailure } from '../harness/signals.js';
import type { CheckContext } from '../harness/types.js';
import {
  CL,
  JEDEC,
  blockPattern,
  counter,
  expectData,
  expectMac,
  expectResult,
  expectType,
  flip,
  freshDevice,
  keyed,
  pastEnd,
  lastBlockScratch,
  maxWrite,
  mustRead,
  mustWrite,
  programKey,
  read,
  scratch,
  write,
  writeFrames,
  writeRequest,
  type Device,
} from './common.js';

/** After a refused write: the block still holds `old` and the counter is `c`. */
async function unchanged(t: CheckContext, d: Device, at: number, old: Uint8Array, c: number, what: string): Promise<void> {
  const [now] = await mustRead(t, d, at, 1);
  expectData(t, now!, old, `${what}: block ${at} must still hold its earlier data`);
  t.expectEqual(await counter(t, d), c, `${what}: write counter`);
}

/** Writes known data to a scratch block and returns its address and the counter after. */
async function prepared(t: CheckContext, d: Device, salt: number): Promise<{ at: number; old: Uint8Array; c: number }> {
  const at = scratch(t, d, 1, salt);
  const old = blockPattern(t, salt);
  const before = await mustWrite(t, d, at, [old]);
  return { at, old, c: before + 1 };
}

/** Fields of the frame the MAC covers, by name, for the coverage property. */
const COVERED: [string, number, number][] = [
  ['data', OFF.data, 256],
  ['nonce', OFF.nonce, 16],
  ['write counter', OFF.writeCounter, 4],
  ['address', OFF.address, 2],
  ['block count', OFF.blockCount, 2],
  ['result', OFF.result, 2],
  ['request type', OFF.reqResp, 2],
];

export default [
  check({
    id: 'rpmb.write.single-block',
    title: 'an authenticated single-block write is executed and reported OK',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'If the MAC and the write counter match, the data is written to the address in the request; the result read answers response type 0x0300 with result OK, and an authenticated read returns the data.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const at = scratch(t, d, 1);
      const data = blockPattern(t, 10);
      const w = await write(t, d, at, [data]);
      expectType(t, w.f, RpmbReq.DATA_WRITE, 'result read after a write');
      expectResult(t, w.f, RpmbResult.OK, 'result read after a valid write');
      const [got] = await mustRead(t, d, at, 1);
      expectData(t, got!, data, `block ${at} read back`);
    },
  }),
  check({
    id: 'rpmb.write.result-counter',
    title: 'the write result carries the incremented counter',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'The result read response of a successful write carries the new counter value, exactly one more than the counter in the request (OP-TEE rejects any other value).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const w = await write(t, d, scratch(t, d, 1), [blockPattern(t, 11)]);
      expectResult(t, w.f, RpmbResult.OK, 'result read after a valid write');
      t.expectEqual(w.f.writeCounter, w.before + 1, 'counter in the write result');
    },
  }),
  check({
    id: 'rpmb.write.result-address',
    title: 'the write result echoes the address written',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'The result read response of an authenticated write carries the address received in the write request.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const at = scratch(t, d, 1, 3);
      const w = await write(t, d, at, [blockPattern(t, 12)]);
      expectResult(t, w.f, RpmbResult.OK, 'result read after a valid write');
      t.expectEqual(w.f.address, at, 'address in the write result');
    },
  }),
  check({
    id: 'rpmb.write.result-mac',
    title: 'the write result is MAC\'d with the key',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'The result read response of an authenticated write carries a MAC: HMAC-SHA256 with the authentication key over bytes 228..511 of the response frame.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const w = await write(t, d, scratch(t, d, 1), [blockPattern(t, 13)]);
      expectResult(t, w.f, RpmbResult.OK, 'result read after a valid write');
      expectMac(t, d.key, [w.raw], 'write result');
    },
  }),
  check({
    id: 'rpmb.write.two-blocks',
    title: 'a 2-frame (512-byte) authenticated write is executed',
    spec: JEDEC,
    clause: CL.write,
    level: 'SHOULD',
    requirement: 'A device whose REL_WR_SEC_C is at least 1 accepts authenticated writes of 256 and 512 bytes (1 or 2 frames); both blocks are written.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      if (maxWrite(d) < 2) t.unsupported(`REL_WR_SEC_C ${d.relWrSecC}`);
      const at = scratch(t, d, 2);
      const blocks = [blockPattern(t, 14), blockPattern(t, 15)];
      const w = await write(t, d, at, blocks);
      expectResult(t, w.f, RpmbResult.OK, 'result read after a 2-frame write');
      const got = await mustRead(t, d, at, 2);
      expectData(t, got[0]!, blocks[0]!, `block ${at}`);
      expectData(t, got[1]!, blocks[1]!, `block ${at + 1}`);
    },
  }),
  check({
    id: 'rpmb.write.too-many-blocks',
    title: 'a write larger than the reliable write size is refused and writes nothing',
    spec: JEDEC,
    clause: CL.write,
    level: 'SHOULD',
    requirement:
      'An authenticated write of more frames than the device writes reliably (2 × REL_WR_SEC_C, OP-TEE\'s rel_wr_blkcnt) fails with General Failure (0x0001); whatever it answers, none of its blocks is written and the counter does not move.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const n = Math.max(3, maxWrite(d) + 1);
      if (n >= 32) t.unsupported(`REL_WR_SEC_C ${d.relWrSecC}: an oversized write would be ${n} frames`);
      const at = scratch(t, d, n);
      const olds = await mustRead(t, d, at, n);
      const c = await counter(t, d);
      const news = olds.map((_, i) => blockPattern(t, 100 + i));
      const r = await writeFrames(t, d, writeRequest(d, at, c, news));
      const now = await mustRead(t, d, at, n);
      const after = await counter(t, d);
      const written = now.map((b, i) => hex(b) === hex(news[i]!));
      if (r.f.result === RpmbResult.OK) {
        // accepted beyond the announced size: allowed but discouraged, and then it must be whole
        if (!written.every(Boolean) || after !== c + 1) {
          throw new CheckFailure(`the ${n}-frame write reported OK but was not written whole`, { expected: `${n} blocks written, counter ${c + 1}`, actual: `${written.filter(Boolean).length} written, counter ${after}` }, 'FAIL');
        }
        t.nonStrict(`the device executed a ${n}-frame write although REL_WR_SEC_C ${d.relWrSecC} announces at most ${maxWrite(d)}`, { expected: resultName(RpmbResult.GENERAL_FAILURE), actual: resultName(RpmbResult.OK) });
        return;
      }
      // refused: writing any part of it breaks atomicity, a MUST-level failure even in this SHOULD check
      if (written.some(Boolean)) throw new CheckFailure(`blocks of the refused ${n}-frame write were written`, { expected: 'no block written', actual: `${written.filter(Boolean).length} block(s) written` }, 'FAIL');
      if (after !== c) throw new CheckFailure(`the refused ${n}-frame write moved the counter`, { expected: String(c), actual: String(after) }, 'FAIL');
      expectResult(t, r.f, RpmbResult.GENERAL_FAILURE, `result read after a ${n}-frame write`);
    },
  }),
  check({
    id: 'rpmb.write.stale-counter',
    title: 'a write with an old counter value is refused with COUNTER_FAILURE',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'The device compares the write counter in the request with its own; if they differ the result is Counter Failure (0x0003) and no data is written. A request carrying counter − 1 is refused.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const { at, old, c } = await prepared(t, d, 20);
      const r = await writeFrames(t, d, writeRequest(d, at, c - 1, [blockPattern(t, 21)]));
      expectResult(t, r.f, RpmbResult.COUNTER_FAILURE, 'result read after a write with counter − 1');
      await unchanged(t, d, at, old, c, 'after the stale-counter write');
    },
  }),
  check({
    id: 'rpmb.write.future-counter',
    title: 'a write with a counter ahead of the device is refused',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'A write request whose counter is larger than the device\'s (counter + 1, counter + 0x10000) is refused with Counter Failure (0x0003) and writes nothing.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const { at, old, c } = await prepared(t, d, 22);
      for (const ahead of [1, 0x10000]) {
        const r = await writeFrames(t, d, writeRequest(d, at, c + ahead, [blockPattern(t, 23)]));
        expectResult(t, r.f, RpmbResult.COUNTER_FAILURE, `result read after a write with counter + ${ahead}`);
      }
      await unchanged(t, d, at, old, c, 'after the future-counter writes');
    },
  }),
  check({
    id: 'rpmb.write.replay-rejected',
    title: 'a captured write replayed later is refused',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement:
      'Replay protection: the frames of an executed write, sent again after a newer write, carry a counter the device has passed; they are refused with Counter Failure and the newer data stays.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const at = scratch(t, d, 1, 4);
      const first = await write(t, d, at, [blockPattern(t, 24)]);
      expectResult(t, first.f, RpmbResult.OK, 'result read of the first write');
      const newer = blockPattern(t, 25);
      await mustWrite(t, d, at, [newer]);
      const replay = await writeFrames(t, d, first.request);
      expectResult(t, replay.f, RpmbResult.COUNTER_FAILURE, 'result read after replaying the first write');
      await unchanged(t, d, at, newer, first.before + 2, 'after the replay');
    },
  }),
  check({
    id: 'rpmb.write.lost-response-resend',
    title: 'a write sent again after a lost answer reports COUNTER_FAILURE with the current counter',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement:
      'When a host resends an executed write because its answer was lost (OP-TEE resends the same frames), the device refuses the copy with Counter Failure (0x0003), reports the current counter (request counter + 1) and writes nothing again; the host can then tell its write landed (OP-TEE PR #4213, WDC-20008).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const at = scratch(t, d, 1, 5);
      const c = await counter(t, d);
      const data = blockPattern(t, 26);
      const frames = writeRequest(d, at, c, [data]);
      await writeFrames(t, d, frames); // its answer is "lost": the host never looks at it
      const again = await writeFrames(t, d, frames);
      expectResult(t, again.f, RpmbResult.COUNTER_FAILURE, 'result read after resending the write');
      t.expectEqual(again.f.writeCounter, c + 1, 'counter reported with the Counter Failure');
      await unchanged(t, d, at, data, c + 1, 'after the resend');
    },
  }),
  check({
    id: 'rpmb.write.bad-mac',
    title: 'a write with a wrong MAC is refused with AUTH_FAILURE',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'If the MAC in the request differs from the one the device calculates, the result is Authentication Failure (0x0002) and no data is written.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const { at, old, c } = await prepared(t, d, 27);
      const [f] = writeRequest(d, at, c, [blockPattern(t, 28)]);
      const r = await writeFrames(t, d, [flip(f!, OFF.keyMac + 31, 7)]);
      expectResult(t, r.f, RpmbResult.AUTH_FAILURE, 'result read after a write with a flipped MAC bit');
      await unchanged(t, d, at, old, c, 'after the bad-MAC write');
    },
  }),
  checkProp({
    id: 'rpmb.write.mac-covers-every-byte',
    title: 'changing any byte the MAC covers stops the write',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement:
      'The MAC covers bytes 228..511 of every frame (data, nonce, write counter, address, block count, result, request type): a write whose frame was changed in any of them after the MAC was computed is not executed: the block keeps its data and the counter does not move.',
    services: ['rpmb'],
    numRuns: 42,
    arbitrary: () =>
      fc.record({
        field: fc.integer({ min: 0, max: COVERED.length - 1 }),
        pick: fc.nat(),
        bit: fc.integer({ min: 0, max: 7 }),
      }),
    show: ({ field, pick, bit }) => {
      const [name, off, len] = COVERED[field]!;
      return `flip bit ${bit} of byte ${off + (pick % len)} (${name})`;
    },
    predicate: async (t, { field, pick, bit }) => {
      const d = await keyed(t);
      const { at, old, c } = await prepared(t, d, 30);
      const [name, off, len] = COVERED[field]!;
      const byte = off + (pick % len);
      const [f] = writeRequest(d, at, c, [blockPattern(t, 31)]);
      await writeFrames(t, d, [flip(f!, byte, bit)]);
      await unchanged(t, d, at, old, c, `after a write whose ${name} byte ${byte} was changed after signing`);
    },
  }),
  check({
    id: 'rpmb.write.stuff-bytes-ignored',
    title: 'the stuff bytes are outside the MAC',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'The MAC covers bytes 228..511 only: a write whose stuff bytes (0..195) are non-zero is still authenticated and executed.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const at = scratch(t, d, 1, 6);
      const c = await counter(t, d);
      const data = blockPattern(t, 32);
      const [f] = writeRequest(d, at, c, [data]);
      const stuffed = f!.slice();
      for (let i = 0; i < OFF.keyMac; i++) stuffed[i] = (i * 7 + 1) & 0xff;
      const r = await writeFrames(t, d, [stuffed]);
      expectResult(t, r.f, RpmbResult.OK, 'result read after a write with non-zero stuff bytes');
      const [got] = await mustRead(t, d, at, 1);
      expectData(t, got!, data, `block ${at}`);
    },
  }),
  check({
    id: 'rpmb.write.mac-over-all-frames',
    title: 'the MAC of a multi-frame write covers every frame, in order',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement:
      'In a write of more than one frame the MAC, carried in the last frame, is computed over bytes 228..511 of all frames in order: a MAC over the last frame alone, or the frames in another order, is refused with Authentication Failure and nothing is written.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      if (maxWrite(d) < 2) t.unsupported(`REL_WR_SEC_C ${d.relWrSecC}: single-frame writes only`);
      const at = scratch(t, d, 2, 7);
      const olds = [blockPattern(t, 33), blockPattern(t, 34)];
      const w = await write(t, d, at, olds);
      if (w.f.result === RpmbResult.GENERAL_FAILURE) t.unsupported('the device refuses 2-frame writes');
      expectResult(t, w.f, RpmbResult.OK, 'precondition: 2-frame write');
      const c = w.before + 1;
      const news = [blockPattern(t, 35), blockPattern(t, 36)];
      const lastOnly = dataWriteRequest(d.key, at, c, news);
      lastOnly[1]!.set(computeMac(d.key, [lastOnly[1]!]), OFF.keyMac);
      const reordered = dataWriteRequest(d.key, at, c, news);
      reordered[1]!.set(computeMac(d.key, [reordered[1]!, reordered[0]!]), OFF.keyMac);
      for (const [what, frames] of [
        ['a MAC over the last frame only', lastOnly],
        ['a MAC over the frames in reverse order', reordered],
      ] as const) {
        const r = await writeFrames(t, d, frames);
        expectResult(t, r.f, RpmbResult.AUTH_FAILURE, `result read after a 2-frame write with ${what}`);
      }
      const got = await mustRead(t, d, at, 2);
      expectData(t, got[0]!, olds[0]!, `block ${at}`);
      expectData(t, got[1]!, olds[1]!, `block ${at + 1}`);
      t.expectEqual(await counter(t, d), c, 'write counter');
    },
  }),
  check({
    id: 'rpmb.write.address-past-end',
    title: 'a write at an address past the partition is refused with ADDRESS_FAILURE',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'If the address is equal to or greater than the size of the RPMB partition, the result is Address Failure (0x0004), no data is written and the counter does not move.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const c = await counter(t, d);
      for (const at of new Set([pastEnd(t, d), 0xffff])) {
        if (at < d.blocks) continue;
        const r = await writeFrames(t, d, writeRequest(d, at, c, [blockPattern(t, 37)]));
        expectResult(t, r.f, RpmbResult.ADDRESS_FAILURE, `result read after a write at address ${at} of a ${d.blocks}-block partition`);
      }
      t.expectEqual(await counter(t, d), c, 'write counter');
    },
  }),
  check({
    id: 'rpmb.write.range-past-end',
    title: 'a multi-block write running past the end is refused',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'If the address plus the block count is greater than the size of the partition, the result is Address Failure (0x0004) and no data is written (the last block keeps its data).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      if (maxWrite(d) < 2) t.unsupported(`REL_WR_SEC_C ${d.relWrSecC}: single-frame writes only`);
      if (!lastBlockScratch(t, d)) t.unsupported('the declared scratch range does not include the last block');
      const last = d.blocks - 1;
      const old = blockPattern(t, 38);
      const before = await mustWrite(t, d, last, [old]);
      const r = await writeFrames(t, d, writeRequest(d, last, before + 1, [blockPattern(t, 39), blockPattern(t, 40)]));
      expectResult(t, r.f, RpmbResult.ADDRESS_FAILURE, `result read after a 2-block write at the last block (${last})`);
      await unchanged(t, d, last, old, before + 1, 'after the refused write');
    },
  }),
  check({
    id: 'rpmb.write.last-block',
    title: 'the last block of the partition can be written',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'Addresses below the partition size are writable, up to and including the last block (size_mult × 512 − 1); an off-by-one that refuses it is a conformance failure (OP-TEE commit 3b11b1d25).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      if (!lastBlockScratch(t, d)) t.unsupported('the declared scratch range does not include the last block');
      const last = d.blocks - 1;
      const data = blockPattern(t, 41);
      const w = await write(t, d, last, [data]);
      expectResult(t, w.f, RpmbResult.OK, `result read after writing the last block (${last})`);
      const [got] = await mustRead(t, d, last, 1);
      expectData(t, got!, data, `last block ${last}`);
    },
  }),
  check({
    id: 'rpmb.write.last-block-16mib',
    title: 'on a 16 MiB partition, block 65535 is written and 65535 + 2 blocks is refused',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement:
      'A partition of RPMB_SIZE_MULT 0x80 (16 MiB) has blocks 0..65535, the whole range of the 16-bit address: block 65535 is written, a 2-block write at 65535 fails with Address Failure (OP-TEE issue #3012: a 16-bit max_blk_idx overflowed for this size).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await freshDevice(t, { sizeMult: 128, relWrSecC: 1 });
      const p = await programKey(t, d, d.key);
      expectResult(t, p.f, RpmbResult.OK, 'programming the key of the 16 MiB test device');
      t.expectEqual(d.blocks, 65536, 'blocks of a 16 MiB partition');
      const data = blockPattern(t, 42);
      const w = await write(t, d, 65535, [data]);
      expectResult(t, w.f, RpmbResult.OK, 'result read after writing block 65535');
      const [got] = await mustRead(t, d, 65535, 1);
      expectData(t, got!, data, 'block 65535');
      const r = await writeFrames(t, d, writeRequest(d, 65535, w.before + 1, [blockPattern(t, 43), blockPattern(t, 44)]));
      expectResult(t, r.f, RpmbResult.ADDRESS_FAILURE, 'result read after a 2-block write at 65535');
      const rd = await read(t, d, 65535, 2);
      expectResult(t, rd.frames[1]!, RpmbResult.ADDRESS_FAILURE, 'a 2-block read at 65535');
    },
  }),
  check({
    id: 'rpmb.write.survives-reset',
    title: 'written data survives a power cycle',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'Data written by an authenticated write that reported OK is non-volatile: after a reset of the target an authenticated read returns it.',
    services: ['rpmb'],
    capabilities: ['target.reset'],
    run: async (t) => {
      const d = await keyed(t);
      const at = scratch(t, d, 1, 8);
      const data = blockPattern(t, 45);
      await mustWrite(t, d, at, [data]);
      await t.reset();
      const [got] = await mustRead(t, d, at, 1);
      expectData(t, got!, data, `block ${at} after reset`);
    },
  }),
];
