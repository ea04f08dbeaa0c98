// Shared RPMB for virtual machines (docs/rpmb.md): one physical RPMB
// partition divided by a partition table in block 0, each guest reaching a
// virtual RPMB of its own through a multiplexer. Isolation: no guest reads
// or writes another's blocks, uses another's key, moves another's counter or
// sees another's result, whatever the interleaving of their requests.
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { hex, utf8 } from '../../protocol/bytes.js';
import { RpmbResult, resultName } from '../../protocol/rpmb/frame.js';
import { TEEC } from '../../protocol/rpmb/optee.js';
import { DeviceKind } from '../../protocol/rpmb/service.js';
import { PartitionKind, decodePartitionTable, formatGuid, partitionTableProblems } from '../../protocol/rpmb/vm.js';
import { check, checkProp } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import {
  CAP,
  VM_SPEC,
  blockPattern,
  counter,
  counterRead,
  deviceById,
  deviceInfo,
  expectData,
  expectMac,
  expectResult,
  macMatches,
  mustRead,
  mustWrite,
  pastEnd,
  programKey,
  read,
  resultRead,
  rpmb,
  send,
  writeFrames,
  writeRequest,
  type Device,
} from './common.js';
import type { DeviceEntry } from '../../protocol/rpmb/service.js';

const CLAUSE = {
  table: 'Partition table (block 0 of the physical device)',
  iso: 'Isolation between guests',
} as const;

/** The key the suite programs into a guest's virtual device. */
export function guestKey(guid: Uint8Array): Uint8Array {
  return sha256(utf8(`fwsec rpmb suite guest key ${hex(guid)}`));
}

async function virtualEntries(t: CheckContext): Promise<DeviceEntry[]> {
  const r = await rpmb(t).devices();
  t.optional(CAP.vm, r.status === (TEEC.ERROR_NOT_SUPPORTED | 0), 'the target does not list its RPMB devices (DEVICES)');
  if (r.status !== (TEEC.SUCCESS | 0)) t.fail(`DEVICES answered ${r.status}`);
  const v = r.devices!.filter((d) => d.kind === DeviceKind.VIRTUAL);
  t.optional(CAP.vm, v.length < 2, `the target lists ${v.length} virtual RPMB device(s); sharing needs at least 2`);
  return v;
}

/** Two guests other than the device under test, keys programmed (by this check if blank). */
async function guests(t: CheckContext, n = 2): Promise<Device[]> {
  const dutId = t.capNumber(CAP.devId) ?? 0;
  const entries = (await virtualEntries(t)).filter((e) => e.devId !== dutId);
  if (entries.length < n) t.unsupported(`needs ${n} virtual devices besides the device under test; the target has ${entries.length}`);
  const out: Device[] = [];
  for (const e of entries.slice(0, n)) {
    const g = await deviceById(t, e.devId, guestKey(e.guid));
    const c = await counterRead(t, g);
    if ((c.f.result & 0x7f) === RpmbResult.KEY_NOT_PROGRAMMED) {
      const p = await programKey(t, g, g.key);
      expectResult(t, p.f, RpmbResult.OK, `programming the key of guest ${formatGuid(e.guid)} (dev_id ${e.devId})`);
    } else if (!macMatches(g.key, [c.raw])) {
      t.unsupported(`guest ${formatGuid(e.guid)} (dev_id ${e.devId}) has a key this suite did not program`);
    }
    out.push(g);
  }
  return out;
}

type Op = { kind: 'write' | 'stale-write' | 'read' | 'counter'; slot: number; salt: number };

const opArb = fc.record({
  kind: fc.constantFrom<Op['kind']>('write', 'write', 'stale-write', 'read', 'counter'),
  slot: fc.integer({ min: 0, max: 3 }),
  salt: fc.integer({ min: 1, max: 1000 }),
});

export default [
  check({
    id: 'rpmb.vm.devices',
    title: 'each guest has a virtual RPMB device of its own',
    spec: VM_SPEC,
    clause: 'Virtual RPMB devices',
    level: 'MUST',
    requirement: 'The target lists at least two virtual RPMB devices, each with its own VM GUID, and each answers GET_DEV_INFO with the size the listing gives.',
    services: ['rpmb'],
    capabilities: [CAP.vm],
    run: async (t) => {
      const v = await virtualEntries(t);
      t.expectEqual(new Set(v.map((e) => hex(e.guid))).size, v.length, 'distinct VM GUIDs among the virtual devices');
      for (const e of v) {
        const i = await deviceInfo(t, e.devId);
        t.assert(i && i.retCode === 0, `GET_DEV_INFO(dev_id ${e.devId}) failed`);
        t.expectEqual(i!.rpmbSizeMult, e.sizeMult, `rpmb_size_mult of dev_id ${e.devId}`);
      }
    },
  }),
  check({
    id: 'rpmb.vm.partition-table',
    title: 'block 0 of the physical device holds a consistent partition table',
    spec: VM_SPEC,
    clause: CLAUSE.table,
    level: 'MUST',
    requirement:
      'Block 0 of the physical device holds the partition table (magic "FWSRPMBT", version 1, count, entries of VM GUID, first block, block count, kind, size): partitions do not overlap, lie inside the device, and there is one guest entry per listed virtual device, of its size.',
    services: ['rpmb'],
    capabilities: [CAP.vm],
    run: async (t) => {
      const v = await virtualEntries(t);
      const phys = await deviceById(t, 0, new Uint8Array(32));
      const r = await read(t, phys, 0, 1);
      t.expectStatus({ name: resultName }, r.frames[0]!.result & 0x7f, RpmbResult.OK, 'authenticated read of block 0 of dev_id 0');
      let decoded: ReturnType<typeof decodePartitionTable>;
      try {
        decoded = decodePartitionTable(r.frames[0]!.data);
      } catch (e) {
        return t.fail(`block 0 is not a partition table: ${(e as Error).message}`);
      }
      if (!decoded) return t.fail('block 0 of the physical device is blank');
      const table = decoded;
      const problems = partitionTableProblems(table, phys.blocks);
      t.assert(!problems.length, `partition table: ${problems.join('; ')}`, { expected: 'no overlap, inside the device', actual: problems.join('; ') });
      for (const e of v) {
        const p = table.find((x) => hex(x.guid) === hex(e.guid));
        t.assert(p && p.kind === PartitionKind.GUEST, `no guest partition for ${formatGuid(e.guid)}`);
        t.expectEqual(p!.sizeMult, e.sizeMult, `size of the partition of ${formatGuid(e.guid)}`);
      }
    },
  }),
  check({
    id: 'rpmb.vm.own-key',
    title: 'a guest\'s key authenticates only that guest\'s device',
    spec: VM_SPEC,
    clause: CLAUSE.iso,
    level: 'MUST',
    requirement: 'Each virtual device has its own authentication key: its responses are MAC\'d with it, and a write MAC\'d with another guest\'s key is refused with Authentication Failure.',
    services: ['rpmb'],
    capabilities: [CAP.vm],
    destructive: true,
    run: async (t) => {
      const [a, b] = await guests(t);
      const ca = await counterRead(t, a!);
      expectMac(t, a!.key, [ca.raw], `counter read of guest dev_id ${a!.devId}`);
      t.assert(!macMatches(b!.key, [ca.raw]), `guest dev_id ${a!.devId} answers with the key of guest dev_id ${b!.devId}`);
      const c = await counter(t, b!);
      const r = await writeFrames(t, b!, writeRequest(b!, 0, c, [blockPattern(t, 200)], a!.key));
      expectResult(t, r.f, RpmbResult.AUTH_FAILURE, `write to guest dev_id ${b!.devId} MAC'd with the key of dev_id ${a!.devId}`);
    },
  }),
  check({
    id: 'rpmb.vm.own-counter',
    title: 'a guest\'s writes move only that guest\'s counter',
    spec: VM_SPEC,
    clause: CLAUSE.iso,
    level: 'MUST',
    requirement: 'Each virtual device has its own write counter: writes of one guest (executed or refused) never change another guest\'s counter, so no guest can desynchronise another.',
    services: ['rpmb'],
    capabilities: [CAP.vm],
    destructive: true,
    run: async (t) => {
      const [a, b] = await guests(t);
      const cb = await counter(t, b!);
      const before = await mustWrite(t, a!, 1, [blockPattern(t, 201)]);
      await writeFrames(t, a!, writeRequest(a!, 1, before + 7, [blockPattern(t, 202)]));
      t.expectEqual(await counter(t, a!), before + 1, `counter of guest dev_id ${a!.devId}`);
      t.expectEqual(await counter(t, b!), cb, `counter of guest dev_id ${b!.devId} after the other guest's writes`);
    },
  }),
  check({
    id: 'rpmb.vm.address-isolation',
    title: 'a guest can address only its own blocks',
    spec: VM_SPEC,
    clause: CLAUSE.iso,
    level: 'MUST',
    requirement: 'A guest\'s addresses run from 0 to its size − 1: an address at its size is refused with Address Failure, and no address of one guest reads or writes another guest\'s blocks.',
    services: ['rpmb'],
    capabilities: [CAP.vm],
    destructive: true,
    run: async (t) => {
      const [a, b] = await guests(t);
      const mark = blockPattern(t, 203);
      await mustWrite(t, b!, 0, [mark]);
      const end = pastEnd(t, a!);
      const ca = await counter(t, a!);
      const w = await writeFrames(t, a!, writeRequest(a!, end, ca, [blockPattern(t, 204)]));
      expectResult(t, w.f, RpmbResult.ADDRESS_FAILURE, `write at address ${end} of a ${a!.blocks}-block guest`);
      await mustWrite(t, a!, a!.blocks - 1, [blockPattern(t, 205)]);
      for (let at = 0; at < a!.blocks; at += 512) {
        const n = Math.min(512, a!.blocks - at);
        const blocks = await mustRead(t, a!, at, n);
        const i = blocks.findIndex((x) => hex(x) === hex(mark));
        if (i >= 0) t.fail(`guest dev_id ${a!.devId} reads the other guest's block at its address ${at + i}`, { expected: 'no block of another guest', actual: `block ${at + i} holds it` });
      }
      const [still] = await mustRead(t, b!, 0, 1);
      expectData(t, still!, mark, `block 0 of guest dev_id ${b!.devId}`);
    },
  }),
  check({
    id: 'rpmb.vm.result-isolation',
    title: 'a guest\'s result read answers that guest\'s last write',
    spec: VM_SPEC,
    clause: CLAUSE.iso,
    level: 'MUST',
    requirement: 'Each virtual device has its own result register: between one guest\'s write and its result read, another guest\'s write does not change what the first guest\'s result read answers.',
    services: ['rpmb'],
    capabilities: [CAP.vm],
    destructive: true,
    run: async (t) => {
      const [a, b] = await guests(t);
      const ca = await counter(t, a!);
      const cb = await counter(t, b!);
      await send(t, a!, writeRequest(a!, 2, ca, [blockPattern(t, 206)]));
      await send(t, b!, writeRequest(b!, 3, cb + 9, [blockPattern(t, 207)])); // refused: counter
      const ra = await resultRead(t, a!);
      expectResult(t, ra.f, RpmbResult.OK, `result read of guest dev_id ${a!.devId} after the other guest's refused write`);
      t.expectEqual(ra.f.address, 2, 'address in the result');
      t.expectEqual(ra.f.writeCounter, ca + 1, 'counter in the result');
      const rb = await resultRead(t, b!);
      expectResult(t, rb.f, RpmbResult.COUNTER_FAILURE, `result read of guest dev_id ${b!.devId}`);
    },
  }),
  checkProp({
    id: 'rpmb.vm.interleavings',
    title: 'interleaved guests each see exactly their own device',
    spec: VM_SPEC,
    clause: CLAUSE.iso,
    level: 'MUST',
    requirement:
      'For any interleaving of two guests\' requests (writes split between the request and its result read, stale-counter writes, reads, counter reads), each guest observes what it would alone: its own results, counters and data.',
    services: ['rpmb'],
    capabilities: [CAP.vm],
    destructive: true,
    numRuns: 20,
    arbitrary: () => fc.tuple(fc.scheduler(), fc.array(opArb, { minLength: 1, maxLength: 4 }), fc.array(opArb, { minLength: 1, maxLength: 4 })),
    show: ([s, p0, p1]) => `guest 0: ${p0.map((o) => `${o.kind}(${o.slot})`).join(', ')}; guest 1: ${p1.map((o) => `${o.kind}(${o.slot})`).join(', ')}; ${String(s)}`,
    predicate: async (t, [s, p0, p1]) => {
      const gs = await guests(t);
      const models = await Promise.all(gs.map(async (g) => ({ counter: await counter(t, g), blocks: new Map<number, Uint8Array>() })));
      const run = async (gi: number, program: Op[]) => {
        const g = gs[gi]!;
        const m = models[gi]!;
        for (const op of program) {
          await s.schedule(Promise.resolve(`guest ${gi} ${op.kind}(${op.slot})`));
          if (op.kind === 'write' || op.kind === 'stale-write') {
            const data = blockPattern(t, op.salt + gi * 5000);
            const stale = op.kind === 'stale-write';
            await send(t, g, writeRequest(g, op.slot, stale ? m.counter + 3 : m.counter, [data]));
            await s.schedule(Promise.resolve(`guest ${gi} result read`));
            const r = await resultRead(t, g);
            expectResult(t, r.f, stale ? RpmbResult.COUNTER_FAILURE : RpmbResult.OK, `guest ${gi} (dev_id ${g.devId}) result of its ${op.kind} at ${op.slot}`);
            t.expectEqual(r.f.writeCounter, stale ? m.counter : m.counter + 1, `guest ${gi} counter in its write result`);
            if (!stale) {
              m.counter += 1;
              m.blocks.set(op.slot, data);
            }
          } else if (op.kind === 'read') {
            const r = await read(t, g, op.slot, 1);
            expectResult(t, r.frames[0]!, RpmbResult.OK, `guest ${gi} read of ${op.slot}`);
            const want = m.blocks.get(op.slot);
            if (want) expectData(t, r.frames[0]!.data, want, `guest ${gi} block ${op.slot}`);
          } else {
            t.expectEqual(await counter(t, g), m.counter, `guest ${gi} (dev_id ${g.devId}) counter`);
          }
        }
      };
      await s.waitFor(Promise.all([run(0, p0), run(1, p1)]));
    },
  }),
  check({
    id: 'rpmb.vm.survives-reset',
    title: 'guests\' keys, counters and data survive a power cycle',
    spec: VM_SPEC,
    clause: 'Virtual RPMB devices',
    level: 'MUST',
    requirement: 'A virtual device keeps its key, counter and blocks across a reset of the target, as a physical part does.',
    services: ['rpmb'],
    capabilities: [CAP.vm, 'target.reset'],
    destructive: true,
    run: async (t) => {
      const [a] = await guests(t, 1);
      const data = blockPattern(t, 208);
      const before = await mustWrite(t, a!, 5, [data]);
      await t.reset();
      const c = await counterRead(t, a!);
      expectMac(t, a!.key, [c.raw], 'counter read after reset');
      t.expectEqual(c.f.writeCounter, before + 1, 'counter after reset');
      const [got] = await mustRead(t, a!, 5, 1);
      expectData(t, got!, data, 'block 5 after reset');
    },
  }),
];
