// The reference RPMB hardware and the storage stack on it, below the
// suites: persistence of the emulated eMMC, the secure world's recovery from
// lost answers, the guests' journal, power cuts at every medium write, and
// malformed input to the rpmb service.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesEqual } from '../../protocol/bytes.js';
import { PSA } from '../../protocol/psa/status.js';
import { StorageOpcode, encodeGet, encodeSet, encodeUid } from '../../protocol/psa/storage.js';
import { OPTEE_TEST_KEY, RPMB_EMU_CID, TEEC, encodeRpmbReq } from '../../protocol/rpmb/optee.js';
import { RpmbOp, decodeDevId, decodeDevices, encodeNewDevice, encodeSequence } from '../../protocol/rpmb/service.js';
import { RpmbReq, encodeFrame, keyProgramRequest } from '../../protocol/rpmb/frame.js';
import { SERVICES } from '../../protocol/services.js';
import { EmmcRpmb } from '../../reference/rpmb/device.js';
import { RpmbHost, RPMB_MAX_RETRIES, type FrameTransport } from '../../reference/rpmb/host.js';
import { MediumRpmbStore, CHUNK_BLOCKS } from '../../reference/rpmb/medium-store.js';
import { FileMedium, MemoryMedium, type Medium } from '../../reference/medium.js';
import { ReferenceStack } from '../../reference/stack.js';
import { RpmbBoard } from '../../reference/rpmb/board.js';
import { defaultRpmbConfig } from '../../reference/config.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'fwsec-rpmb-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const block = (v: number) => new Uint8Array(256).fill(v);

async function device(medium: Medium, prefix = 'dev', relWrSecC = 8): Promise<EmmcRpmb> {
  return new EmmcRpmb({ sizeMult: 2, relWrSecC, cid: RPMB_EMU_CID, deviceConfig: true }, new MediumRpmbStore(medium, prefix)).powerOn();
}

function hostFor(dev: EmmcRpmb, io?: FrameTransport): RpmbHost {
  return new RpmbHost(io ?? ((w, n, r) => dev.transact(w, n, r)), OPTEE_TEST_KEY, { blocks: dev.blocks, maxWriteBlocks: dev.maxWriteBlocks });
}

describe('emulated eMMC persistence', () => {
  it('keeps key, counter and blocks in files, including writes that span two chunks', async () => {
    const dir = tempDir();
    const dev = await device(new FileMedium(dir));
    const h = hostFor(dev);
    await h.programKey();
    await h.write(CHUNK_BLOCKS - 1, [block(1), block(2)]); // spans chunk 0 and chunk 1: journaled
    await h.write(5, [block(3)]);
    const again = await device(new FileMedium(dir));
    expect(again.keyProgrammed).toBe(true);
    expect(again.counter).toBe(2);
    const h2 = hostFor(again);
    expect(await h2.read(CHUNK_BLOCKS - 1, 2)).toEqual([block(1), block(2)]);
    expect((await h2.read(5, 1))[0]).toEqual(block(3));
  });

  it('replays a journal a power cut left behind', async () => {
    const m = new MemoryMedium();
    const dev = await device(m);
    await hostFor(dev).programKey();
    // the journal of a spanning write was committed, then power was lost before the chunks
    const store = new MediumRpmbStore(m, 'dev');
    await store.load();
    const origWrite = m.write.bind(m);
    let writes = 0;
    m.write = (k, v) => {
      writes += 1;
      if (writes > 1) throw new Error('power cut');
      origWrite(k, v);
    };
    await expect(store.writeBlocks(CHUNK_BLOCKS - 1, [block(7), block(8)], 1)).rejects.toThrow('power cut');
    m.write = origWrite;
    const after = await device(m);
    expect(after.counter).toBe(1);
    expect(await hostFor(after).read(CHUNK_BLOCKS - 1, 2)).toEqual([block(7), block(8)]);
  });
});

describe('damaged emulated flash', () => {
  it('answers PSA_ERROR_STORAGE_FAILURE for ITS blocks that fail their check, and keeps running', async () => {
    const dir = tempDir();
    // 62 entry blocks: blocks 2..63, all in the first 64-block chunk of the medium; data from block 64
    const config = { rpmb: { itsDirEntries: 62 } };
    const boot = () => ReferenceStack.boot({ medium: new FileMedium(dir), services: ['its', 'ps', 'rpmb'], config });
    const stack = await boot();
    expect(await apply(stack, { svc: 'its', uid: 9n, data: new Uint8Array(200).fill(4) })).toBe(PSA.SUCCESS); // a data run
    expect(await apply(stack, { svc: 'ps', uid: 9n, data: new Uint8Array(20).fill(5) })).toBe(PSA.SUCCESS); // root inline
    const chunks = readdirSync(join(dir, 'rpmb', 'emmc0', 'c')).sort();
    // chunk 0: table, superblock, the first entry blocks; the other: the 200-byte asset's data run
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toBe('0000');
    const damage = (name: string) => writeFileSync(join(dir, 'rpmb', 'emmc0', 'c', name), new Uint8Array([1, 2, 3, 4, 5]));
    damage(chunks[1]!);
    const a = await boot();
    expect((await content(a, 'its', 9n)).status).toBe(PSA.ERROR_STORAGE_FAILURE);
    expect((await content(a, 'ps', 9n)).data).toEqual(new Uint8Array(20).fill(5)); // its root sits in an intact block
    expect(a.internalErrors).toBe(0);
    damage('0000'); // the partition table and the entries
    const b = await boot();
    expect((await b.handle(SERVICES.rpmb, RpmbOp.DEVICES, new Uint8Array(0)))!.status).toBe(TEEC.ERROR_COMMUNICATION | 0);
    expect((await content(b, 'its', 9n)).status).toBe(PSA.ERROR_STORAGE_FAILURE);
    expect((await content(b, 'ps', 9n)).status).toBe(PSA.ERROR_STORAGE_FAILURE);
    expect(await apply(b, { svc: 'its', uid: 10n, data: new Uint8Array(3) })).toBe(PSA.ERROR_STORAGE_FAILURE);
    expect(b.internalErrors).toBe(0);
  });
});

describe('secure-world driver (RpmbHost)', () => {
  it('recovers a write whose answer was lost by resending it with the same counter', async () => {
    const dev = await device(new MemoryMedium());
    let lose = false;
    const io: FrameTransport = async (w, n, r) => {
      const out = await dev.transact(w, n, r);
      if (lose && w.length && (w[0]![511] === RpmbReq.DATA_WRITE)) {
        lose = false;
        throw new Error('answer lost');
      }
      return out;
    };
    const h = hostFor(dev, io);
    await h.programKey();
    lose = true;
    await h.write(3, [block(9)]);
    expect(h.dead).toBe(false);
    expect(h.stats.recovered).toBe(1);
    expect(dev.counter).toBe(1); // executed once
    await h.write(4, [block(10)]); // the driver's counter is right: the next write goes through first time
    expect(h.stats.retries).toBe(1);
    expect(dev.counter).toBe(2);
  });

  it('resynchronises when another writer moved the counter', async () => {
    const dev = await device(new MemoryMedium());
    const a = hostFor(dev);
    const b = hostFor(dev);
    await a.programKey();
    await a.write(1, [block(1)]);
    await b.write(2, [block(2)]); // b read the counter itself
    await a.write(1, [block(3)]); // a's counter is stale by one
    expect(a.stats.resyncs).toBe(1);
    expect(dev.counter).toBe(3);
    expect((await b.read(1, 1))[0]).toEqual(block(3));
  });

  it('gives up after RPMB_MAX_RETRIES attempts and stays dead until reboot, as OP-TEE does', async () => {
    const dev = await device(new MemoryMedium());
    const good = hostFor(dev);
    await good.programKey();
    const h = hostFor(dev, async (w, n, r) => {
      if (w.length && w[0]![511] === RpmbReq.DATA_WRITE) throw new Error('link down');
      return dev.transact(w, n, r);
    });
    await expect(h.write(1, [block(1)])).rejects.toThrow(/dead/);
    expect(h.stats.retries).toBe(RPMB_MAX_RETRIES - 1);
    expect(h.dead).toBe(true);
    await expect(h.read(1, 1)).rejects.toThrow(/dead/);
    expect(dev.counter).toBe(0);
  });
});

describe('shared RPMB: guest journal', () => {
  it('a guest write cut between its journal and its data shows up whole after power-on', async () => {
    const m = new MemoryMedium();
    const cfg = defaultRpmbConfig();
    const board = await RpmbBoard.open(m, cfg);
    const guest = board.device(0x100)!;
    await guest.transact([keyProgramRequest(OPTEE_TEST_KEY)], 0, true);
    // cut the power after the journal write of the next guest write reached the physical device
    let physicalWrites = 0;
    let off = false;
    const cut = await RpmbBoard.open(m, cfg, {
      wrapIo: (io) => async (w, n, r) => {
        if (w.length && w[0]![511] === RpmbReq.DATA_WRITE && ++physicalWrites === 2) off = true;
        if (off) throw new Error('power cut');
        return io(w, n, r);
      },
    });
    const g = cut.device(0x100)!;
    const gh = new RpmbHost((w, n, r) => g.transact(w, n, r), OPTEE_TEST_KEY, { blocks: g.blocks, maxWriteBlocks: 2 });
    await expect(gh.write(7, [block(0x42)])).rejects.toThrow();
    const after = await RpmbBoard.open(m, cfg);
    const g2 = after.device(0x100)!;
    expect(g2.counter).toBe(1);
    const h2 = new RpmbHost((w, n, r) => g2.transact(w, n, r), OPTEE_TEST_KEY, { blocks: g2.blocks, maxWriteBlocks: 2 });
    expect((await h2.read(7, 1))[0]).toEqual(block(0x42));
  });
});

/** A medium whose power fails after `budget` writes/deletes: nothing after that reaches it. */
class CrashingMedium implements Medium {
  used = 0;
  constructor(
    readonly inner: Medium,
    private readonly budget: number,
  ) {}
  get description() {
    return 'crashing';
  }
  read(k: string) {
    return this.inner.read(k);
  }
  list(p: string) {
    return this.inner.list(p);
  }
  write(k: string, v: Uint8Array) {
    if (this.used++ >= this.budget) throw new Error('power cut');
    this.inner.write(k, v);
  }
  delete(k: string) {
    if (this.used++ >= this.budget) throw new Error('power cut');
    this.inner.delete(k);
  }
}

type Op = { svc: 'its' | 'ps'; uid: bigint; data: Uint8Array | null };

async function apply(stack: ReferenceStack, op: Op): Promise<number> {
  const id = SERVICES[op.svc];
  const r = op.data
    ? await stack.handle(id, StorageOpcode.SET, encodeSet({ uid: op.uid, data: op.data, flags: 0 }))
    : await stack.handle(id, StorageOpcode.REMOVE, encodeUid(op.uid));
  return r!.status;
}

async function content(stack: ReferenceStack, svc: 'its' | 'ps', uid: bigint): Promise<{ status: number; data: Uint8Array }> {
  const r = await stack.handle(SERVICES[svc], StorageOpcode.GET, encodeGet({ uid, offset: 0n, size: 100000n }));
  return { status: r!.status, data: r!.body };
}

describe('power cut at every medium write (ITS on RPMB, PS on the REE FS)', () => {
  const opArb = fc.record({
    svc: fc.constantFrom<'its' | 'ps'>('its', 'ps'),
    uid: fc.integer({ min: 1, max: 3 }).map(BigInt),
    data: fc.option(fc.uint8Array({ maxLength: 700 }), { nil: null, freq: 4 }),
  });

  it('leaves every asset before or after the write in flight', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 2, maxLength: 6 }), fc.nat(), async (ops, pick) => {
        // how many medium writes the whole workload makes without a power cut
        const probe = new CrashingMedium(new MemoryMedium(), Infinity);
        const s0 = await ReferenceStack.boot({ medium: probe, services: ['its', 'ps'] });
        for (const op of ops) await apply(s0, op);
        const cutAt = pick % (probe.used + 1);
        const inner = new MemoryMedium();
        const m = new CrashingMedium(inner, cutAt);
        const model = new Map<string, Uint8Array | null>();
        let inFlight: Op | undefined;
        try {
          const s = await ReferenceStack.boot({ medium: m, services: ['its', 'ps'] });
          for (const op of ops) {
            inFlight = op;
            if ((await apply(s, op)) !== PSA.SUCCESS) break; // the cut happened inside this operation
            model.set(`${op.svc}:${op.uid}`, op.data);
            inFlight = undefined;
          }
        } catch {
          // power cut during boot
        }
        const after = await ReferenceStack.boot({ medium: inner, services: ['its', 'ps'] });
        for (const svc of ['its', 'ps'] as const) {
          for (const uid of [1n, 2n, 3n]) {
            const got = await content(after, svc, uid);
            const key = `${svc}:${uid}`;
            const allowed = [model.has(key) ? model.get(key)! : null];
            if (inFlight && `${inFlight.svc}:${inFlight.uid}` === key) allowed.push(inFlight.data);
            const ok = allowed.some((a) => (a === null ? got.status === PSA.ERROR_DOES_NOT_EXIST : got.status === PSA.SUCCESS && bytesEqual(got.data, a)));
            expect(ok, `${key} after a cut at medium write ${cutAt}: status ${got.status}, ${got.data.length} bytes`).toBe(true);
          }
        }
        expect(after.internalErrors).toBe(0);
      }),
      { numRuns: 40 },
    );
  });
});

describe('the whole stack with a lossy path to the eMMC', () => {
  it('keeps ITS and PS working when one write answer in three is lost', async () => {
    let n = 0;
    const stack = await ReferenceStack.boot({
      services: ['its', 'ps'],
      rpmb: {
        wrapIo: (io) => async (w, c, r) => {
          const out = await io(w, c, r);
          if (w.length && w[0]![511] === RpmbReq.DATA_WRITE && ++n % 3 === 0) throw new Error('answer lost');
          return out;
        },
      },
    });
    for (let i = 1; i <= 12; i++) {
      const svc = i % 2 ? 'its' : 'ps';
      const data = new Uint8Array(300 + i).fill(i);
      expect(await apply(stack, { svc, uid: BigInt(i), data })).toBe(PSA.SUCCESS);
      expect((await content(stack, svc, BigInt(i))).data).toEqual(data);
    }
    expect(n).toBeGreaterThan(12);
    expect(stack.internalErrors).toBe(0);
  });
});

describe('test devices', () => {
  it('reuses the oldest of 256 slots instead of refusing the 257th device', async () => {
    const stack = await ReferenceStack.boot({ services: ['rpmb'] });
    const body = encodeNewDevice({ sizeMult: 1, relWrSecC: 1, deviceConfig: false, initialCounter: 5, cid: RPMB_EMU_CID });
    const ids: number[] = [];
    for (let i = 0; i < 260; i++) {
      const r = (await stack.handle(SERVICES.rpmb, RpmbOp.TEST_NEW_DEVICE, body))!;
      expect(r.status).toBe(0);
      ids.push(decodeDevId(r.body));
    }
    expect(ids[256]).toBe(ids[0]);
    const list = decodeDevices((await stack.handle(SERVICES.rpmb, RpmbOp.DEVICES, new Uint8Array(0)))!.body);
    expect(list.filter((d) => d.kind === 2)).toHaveLength(256);
    await stack.reboot();
    const again = decodeDevices((await stack.handle(SERVICES.rpmb, RpmbOp.DEVICES, new Uint8Array(0)))!.body);
    expect(again.filter((d) => d.kind === 2)).toHaveLength(256);
  });
});

describe('the rpmb service never crashes on malformed input', () => {
  it('answers random opcodes, bodies and frames with a TEEC status; internalErrors stays 0', async () => {
    const stack = await ReferenceStack.boot({ services: ['its', 'ps', 'rpmb'] });
    const frame = fc.record({ reqResp: fc.integer({ min: 0, max: 9 }), address: fc.integer({ min: 0, max: 0xffff }), blockCount: fc.integer({ min: 0, max: 4 }), writeCounter: fc.nat() }).map((f) => encodeFrame(f));
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 1100 }),
      fc.record({ devId: fc.constantFrom(0, 0x100, 0x101, 0x200, 7), frames: fc.array(frame, { minLength: 1, maxLength: 3 }), read: fc.integer({ min: 0, max: 3 }), reliable: fc.boolean() }).map((s) =>
        encodeSequence({ devId: s.devId, write: s.frames, readFrames: s.read, reliable: s.reliable }),
      ),
      fc.record({ cmd: fc.integer({ min: 0, max: 3 }), devId: fc.constantFrom(0, 0x100, 9), blockCount: fc.integer({ min: 0, max: 2000 }), frames: fc.array(frame, { maxLength: 2 }) }).map((r) => encodeRpmbReq(r, r.frames)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(RpmbOp.OPTEE_RPMB, RpmbOp.SEQUENCE, RpmbOp.DEVICES, RpmbOp.TEST_NEW_DEVICE, RpmbOp.TEST_REE_LIST, RpmbOp.TEST_REE_READ, RpmbOp.TEST_REE_WRITE, RpmbOp.TEST_REE_DELETE, 0, 0x1234), body, async (op, b) => {
        const r = await stack.handle(SERVICES.rpmb, op, b);
        expect(r).toBeDefined();
        expect(typeof r!.status).toBe('number');
      }),
      { numRuns: 400 },
    );
    expect(stack.internalErrors).toBe(0);
    // the secure world's storage still works, and dev_id 0's key was never replaced
    expect(await apply(stack, { svc: 'its', uid: 5n, data: new Uint8Array([1, 2, 3]) })).toBe(PSA.SUCCESS);
    await stack.reboot();
    expect((await content(stack, 'its', 5n)).data).toEqual(new Uint8Array([1, 2, 3]));
    expect(stack.internalErrors).toBe(0);
  });
});
