// The end of the write counter (JESD84-B51 6.6.22.4.3): a device whose
// counter reached 0xFFFFFFFF refuses every further write with Write Failure
// and the expired bit (0x0085) and sets bit 7 in every result, while reads
// go on. Exhausting a real part's counter takes 2^32 writes and bricks its
// RPMB: these checks need a test device that starts near the end.
import { COUNTER_MAX, RESULT_COUNTER_EXPIRED, RESULT_MASK, RpmbResult } from '../../protocol/rpmb/frame.js';
import { check } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import {
  CAP,
  CL,
  JEDEC,
  blockPattern,
  counterRead,
  expectData,
  expectResult,
  freshDevice,
  mustRead,
  programKey,
  read,
  write,
  writeFrames,
  writeRequest,
  type Device,
} from './common.js';

/** A programmed test device whose counter is `start`. */
async function nearEnd(t: CheckContext, start: number): Promise<Device> {
  const d = await freshDevice(t, { initialCounter: start, sizeMult: 1 });
  const p = await programKey(t, d, d.key);
  expectResult(t, p.f, RpmbResult.OK, 'programming the key of the test device');
  const c = await counterRead(t, d);
  t.expectEqual(c.f.writeCounter, start, 'initial counter of the test device');
  return d;
}

export default [
  check({
    id: 'rpmb.expiry.last-increment',
    title: 'the write that takes the counter to 0xFFFFFFFF is executed',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement: 'A valid write at counter 0xFFFFFFFE is executed and takes the counter to 0xFFFFFFFF (the result may already carry the expired bit).',
    services: ['rpmb'],
    capabilities: [CAP.testHooks],
    destructive: true,
    run: async (t) => {
      const d = await nearEnd(t, COUNTER_MAX - 1);
      const data = blockPattern(t, 70);
      const w = await write(t, d, 3, [data]);
      expectResult(t, w.f, [RpmbResult.OK, RpmbResult.OK | RESULT_COUNTER_EXPIRED], 'result read of the write at counter 0xFFFFFFFE');
      t.expectEqual(w.f.writeCounter, COUNTER_MAX, 'counter after the last write');
      const [got] = await mustRead(t, d, 3, 1);
      expectData(t, got!, data, 'block 3');
    },
  }),
  check({
    id: 'rpmb.expiry.write-refused',
    title: 'at counter 0xFFFFFFFF a write is refused with 0x0085 and writes nothing',
    spec: JEDEC,
    clause: CL.write,
    level: 'MUST',
    requirement:
      'When the device receives a write it first checks whether the write counter has expired; if so the result is "Write failure, write counter expired" (0x0085) and no data is written.',
    services: ['rpmb'],
    capabilities: [CAP.testHooks],
    destructive: true,
    run: async (t) => {
      const d = await nearEnd(t, COUNTER_MAX - 1);
      const old = blockPattern(t, 71);
      const w = await write(t, d, 4, [old]);
      expectResult(t, { ...w.f, result: w.f.result & RESULT_MASK }, RpmbResult.OK, 'precondition: the last write');
      const r = await writeFrames(t, d, writeRequest(d, 4, COUNTER_MAX, [blockPattern(t, 72)]));
      expectResult(t, r.f, RpmbResult.WRITE_FAILURE | RESULT_COUNTER_EXPIRED, 'result read of a write after the counter expired');
      const [got] = await mustRead(t, d, 4, 1);
      expectData(t, got!, old, 'block 4 after the refused write');
    },
  }),
  check({
    id: 'rpmb.expiry.counter-read-flag',
    title: 'an expired counter reads 0xFFFFFFFF with bit 7 set in the result',
    spec: JEDEC,
    clause: CL.counter,
    level: 'MUST',
    requirement: 'If the counter has expired, bit 7 is set to 1 in returned results: a write counter read answers 0x0080 (OK, counter expired) and the value 0xFFFFFFFF.',
    services: ['rpmb'],
    capabilities: [CAP.testHooks],
    destructive: true,
    run: async (t) => {
      const d = await nearEnd(t, COUNTER_MAX - 1);
      const w = await write(t, d, 5, [blockPattern(t, 73)]);
      expectResult(t, { ...w.f, result: w.f.result & RESULT_MASK }, RpmbResult.OK, 'precondition: the last write');
      const c = await counterRead(t, d);
      expectResult(t, c.f, RpmbResult.OK | RESULT_COUNTER_EXPIRED, 'write counter read after expiry');
      t.expectEqual(c.f.writeCounter, COUNTER_MAX, 'write counter after expiry');
    },
  }),
  check({
    id: 'rpmb.expiry.reads-continue',
    title: 'data stays readable after the counter expired',
    spec: JEDEC,
    clause: CL.read,
    level: 'MUST',
    requirement: 'Counter expiry stops writes only: authenticated reads still return the data with result OK (bit 7 set for the expired counter).',
    services: ['rpmb'],
    capabilities: [CAP.testHooks],
    destructive: true,
    run: async (t) => {
      const d = await nearEnd(t, COUNTER_MAX - 1);
      const data = blockPattern(t, 74);
      await write(t, d, 6, [data]);
      const r = await read(t, d, 6, 1);
      expectResult(t, r.frames[0]!, [RpmbResult.OK | RESULT_COUNTER_EXPIRED, RpmbResult.OK], 'data read after expiry');
      expectData(t, r.frames[0]!.data, data, 'block 6 after expiry');
    },
  }),
];
