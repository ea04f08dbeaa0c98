// mmc:///dev/mmcblk0rpmb in a child process whose open/ioctl of the RPMB
// partition go to the LD_PRELOAD double: it decodes struct mmc_ioc_multi_cmd
// with <linux/mmc/ioctl.h>, copies the data_ptr buffers out and in, and this
// process plays a small eMMC RPMB device at the MMC command level
// (CMD25 / CMD18 with the block counts the kernel would put in CMD23).
// Covered: the ioctl number and struct, the tee-supplicant sequences
// (write + result read + read; request + read), frames both ways intact,
// CMD8 EXT_CSD and the sysfs CID for GET_DEV_INFO. Not covered: a real MMC
// host controller, the kernel's CMD23 insertion, card timing (no eMMC here).
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../protocol/bytes.js';
import { RpmbReq } from '../../protocol/rpmb/frame.js';
import { parseMmcUri } from '../../transports/mmc.js';
import { encodeRpmbReq } from '../../protocol/rpmb/optee.js';
import { RpmbOp, encodeNewDevice, encodeSequence } from '../../protocol/rpmb/service.js';
import { ReferenceStack } from '../../reference/stack.js';
import { SERVICES } from '../../protocol/services.js';
import { run, verdicts } from '../helpers/run.js';
import { DeviceDouble, REPO, deviceChild, runChild, type MmcCmdLine } from '../helpers/devdouble.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fwsec-mmc-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const child = (dbl: DeviceDouble, uri: string, calls: object[], devices: Record<string, 'tee' | 'tpm' | 'mmc'> = { '/dev/mmcblk0rpmb': 'mmc', '/dev/mmcblk0': 'mmc' }) => deviceChild(dbl, uri, calls, devices);

const KEY = fromHex('d3eb3ec36e334c9f988ce2c0b85954610d2bcf8664844df2ab56e6c61bb701e4'); // CFG_RPMB_TESTKEY (rpmb.md)

/** 512-byte frame: data@228 nonce@484 counter@500 address@504 count@506 result@508 type@510. */
function frame(f: { type: number; address?: number; count?: number; counter?: number; nonce?: Uint8Array; data?: Uint8Array; mac?: Uint8Array; key?: Uint8Array }): Buffer {
  const b = Buffer.alloc(512);
  if (f.key) b.set(f.key, 196);
  if (f.data) b.set(f.data, 228);
  if (f.nonce) b.set(f.nonce, 484);
  b.writeUInt32BE(f.counter ?? 0, 500);
  b.writeUInt16BE(f.address ?? 0, 504);
  b.writeUInt16BE(f.count ?? 0, 506);
  b.writeUInt16BE(f.type, 510);
  if (f.mac) b.set(f.mac, 196);
  return b;
}
const mac = (key: Uint8Array, frames: Buffer[]) => {
  const h = createHmac('sha256', key);
  for (const f of frames) h.update(f.subarray(228));
  return h.digest();
};

/** An eMMC RPMB device at the command level: what the card does with CMD25/CMD18 after CMD23. */
function rpmbCard() {
  const st = { key: undefined as Buffer | undefined, counter: 0, blocks: new Map<number, Buffer>(), last: undefined as Buffer | undefined, result: 0, seqs: [] as string[] };
  const handler = (cmds: MmcCmdLine[]) => {
    st.seqs.push(cmds.map((c) => `CMD${c.opcode}x${c.blocks}${c.writeFlag & 0x80000000 ? 'R' : ''}/${c.flags}`).join(' '));
    const data = new Map<number, Uint8Array>();
    cmds.forEach((c, i) => {
      if (c.opcode === 8) {
        const ext = Buffer.alloc(512);
        ext[168] = 2; // RPMB_SIZE_MULT: 256 KiB
        ext[222] = 1; // REL_WR_SEC_C
        data.set(i, ext);
      } else if (c.opcode === 25) {
        const frames = Array.from({ length: c.blocks }, (_, k) => Buffer.from(c.data!.subarray(k * 512, k * 512 + 512)));
        const type = frames[0]!.readUInt16BE(510);
        if (type === RpmbReq.RESULT_READ) return; // the host asks for the result of the last write
        st.last = frames[0];
        if (type === RpmbReq.KEY_PROGRAM) {
          st.result = st.key ? 1 : 0;
          st.key ??= Buffer.from(frames[0]!.subarray(196, 228));
        } else if (type === RpmbReq.DATA_WRITE) {
          const ok = st.key && mac(st.key, frames).equals(frames.at(-1)!.subarray(196, 228)) && frames[0]!.readUInt32BE(500) === st.counter;
          st.result = ok ? 0 : 2;
          if (ok) {
            frames.forEach((f, k) => st.blocks.set(f.readUInt16BE(504) + k, Buffer.from(f.subarray(228, 484))));
            st.counter += 1;
          }
        }
      } else if (c.opcode === 18) {
        const req = st.last!;
        const type = req.readUInt16BE(510);
        const out: Buffer[] = [];
        if (type === RpmbReq.COUNTER_READ) out.push(frame({ type: 0x0200, counter: st.counter, nonce: req.subarray(484, 500) }));
        else if (type === RpmbReq.DATA_READ) {
          const a = req.readUInt16BE(504);
          for (let k = 0; k < c.blocks; k++) out.push(frame({ type: 0x0400, address: a, count: c.blocks, nonce: req.subarray(484, 500), data: st.blocks.get(a + k) ?? Buffer.alloc(256) }));
        } else out.push(frame({ type: type << 8, counter: st.counter, address: req.readUInt16BE(504) }));
        for (const f of out) f.writeUInt16BE(st.result, 508);
        if (st.key && type !== RpmbReq.KEY_PROGRAM) mac(st.key, out).copy(out.at(-1)!, 196);
        data.set(i, Buffer.concat(out));
      }
    });
    return { data };
  };
  return { st, handler };
}



const req = (cmd: number, frames: Buffer[], blockCount = 0) => hex(encodeRpmbReq({ cmd, devId: 0, blockCount }, frames));

describe('mmc:// RPMB sequences through the MMC ioctl double', () => {
  it('program key, counter, authenticated write and multi-block read go down as tee-supplicant sends them', async () => {
    const card = rpmbCard();
    const dbl = await DeviceDouble.start({ mmc: card.handler }, dir);
    const cid = join(dir, 'cid');
    writeFileSync(cid, 'fe014e4d4d4330344742c8f6552a6115\n'); // the Micron CID of tee-supplicant's RPMB_EMU
    try {
      const nonce = Buffer.alloc(16, 0x5a);
      const data0 = Buffer.alloc(256, 0x11);
      const data1 = Buffer.alloc(256, 0x22);
      const w0 = frame({ type: RpmbReq.DATA_WRITE, address: 4, count: 2, counter: 0, data: data0 });
      const w1 = frame({ type: RpmbReq.DATA_WRITE, address: 4, count: 2, counter: 0, data: data1 });
      mac(KEY, [w0, w1]).copy(w1, 196);
      const res = await child(dbl, `mmc:///dev/mmcblk0rpmb?cid=${cid}`, [
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(0, [frame({ type: RpmbReq.KEY_PROGRAM, key: KEY })]) },
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(0, [frame({ type: RpmbReq.COUNTER_READ, nonce })]) },
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(0, [w0, w1]) },
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(0, [frame({ type: RpmbReq.DATA_READ, address: 4, nonce })], 2) },
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(1, []) },
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(0, [frame({ type: RpmbReq.DATA_READ, address: 4, nonce })], 0) },
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: '0000' },
        { service: 'rpmb', opcode: RpmbOp.SEQUENCE, body: '0000000000000000' },
      ]);
      // key programmed: result frame type 0x0100, result 0
      const k = fromHex(res[0]!.body!);
      expect(k.length).toBe(512);
      expect(hex(k.subarray(508))).toBe('00000100');
      // counter 0, nonce echoed, MAC over bytes 228..511 with the key
      const c = Buffer.from(fromHex(res[1]!.body!));
      expect(c.readUInt32BE(500)).toBe(0);
      expect(c.subarray(484, 500).equals(nonce)).toBe(true);
      expect(c.subarray(196, 228).equals(mac(KEY, [c]))).toBe(true);
      // write accepted, counter now 1 (one per request, not per block)
      const w = Buffer.from(fromHex(res[2]!.body!));
      expect([w.readUInt16BE(510), w.readUInt16BE(508), w.readUInt32BE(500)]).toEqual([0x0300, 0, 1]);
      // two frames read back with the data written, MAC on the last frame over both
      const r = Buffer.from(fromHex(res[3]!.body!));
      expect(r.length).toBe(1024);
      expect(r.subarray(228, 484).equals(data0)).toBe(true);
      expect(r.subarray(512 + 228, 512 + 484).equals(data1)).toBe(true);
      expect(r.subarray(512 + 196, 512 + 228).equals(mac(KEY, [r.subarray(0, 512), r.subarray(512)]))).toBe(true);
      // GET_DEV_INFO: CID + EXT_CSD[168], [222] + ret_code
      expect(res[4]).toEqual({ status: 0, body: 'fe014e4d4d4330344742c8f6552a6115020100' });
      expect(res[5]!.error).toBe('unsupported'); // a read needs its block count
      expect(res[6]!.error).toBe('unsupported');
      // only OPTEE_RPMB reaches a device: SEQUENCE and the test hooks are not expressible
      expect(res[7]!.error).toBe('unsupported');
      expect(res[7]!.message).toMatch(/carries rpmb opcode 1 \(OPTEE_RPMB\) only, not opcode 0x2/);
      expect(card.st.seqs).toEqual([
        'CMD25x1R/53 CMD25x1/53 CMD18x1/53',
        'CMD25x1/53 CMD18x1/53',
        'CMD25x2R/53 CMD25x1/53 CMD18x1/53',
        'CMD25x1/53 CMD18x2/53',
        'CMD8x1/53',
      ]);
      // the result-read request frame: zeroed, type 0x0005
      const resultReads = dbl.lines.filter((l) => l.startsWith('MMC_MULTI n=3')).map((l) => /d1=([0-9a-f]+)/.exec(l)![1]!);
      expect(resultReads).toEqual([hex(frame({ type: RpmbReq.RESULT_READ })), hex(frame({ type: RpmbReq.RESULT_READ }))]);
      // tee-supplicant's postsleep after the reliable write (HiKey workaround)
      expect(dbl.lines.filter((l) => l.startsWith('MMC_MULTI n=3')).every((l) => / c0=-2147483647,0,25,0,53,512,\d+,20000,50000/.test(l))).toBe(true);
    } finally {
      await dbl.close();
    }
  });

  it('a host controller error is an ERROR of the call, and the device stays usable', async () => {
    let fail = true;
    const card = rpmbCard();
    const dbl = await DeviceDouble.start({ mmc: (cmds) => (fail ? ((fail = false), { errno: 110 }) : card.handler(cmds)) }, dir);
    try {
      const res = await child(dbl, 'mmc:///dev/mmcblk0rpmb', [
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(0, [frame({ type: RpmbReq.COUNTER_READ })]) },
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(0, [frame({ type: RpmbReq.COUNTER_READ })]) },
      ]);
      expect(res[0]!.error).toBe('remote');
      expect(res[0]!.message).toMatch(/ETIMEDOUT \(110\)/);
      expect(Buffer.from(fromHex(res[1]!.body!)).readUInt16BE(510)).toBe(0x0200);
    } finally {
      await dbl.close();
    }
  });
});

describe('mmc:// URIs', () => {
  it('answer to the dev_id tee-supplicant would map to the device: N of mmcblkNrpmb, or ?devId=', () => {
    expect(parseMmcUri(new URL('mmc:///dev/mmcblk2rpmb')).devId).toBe(2);
    expect(parseMmcUri(new URL('mmc:///dev/mmcblk0rpmb')).devId).toBe(0);
    expect(parseMmcUri(new URL('mmc:///dev/rpmb-board?devId=5&dev=/dev/mmcblk1')).devId).toBe(5);
    expect(() => parseMmcUri(new URL('mmc:///dev/mmcblk0rpmb?devId=x'))).toThrow(/devId must be 0\.\.65535/);
  });
});

describe('the rpmb suite over mmc:///dev/mmcblk0rpmb against the reference eMMC', () => {
  it('gives the in-process verdicts, except UNSUPPORTED (with the reason) where a check needs what only the reference offers', async () => {
    const stack = await ReferenceStack.boot();
    const cidHex = 'fe014e4d4d4330344742c8f6552a6115';
    // a factory-fresh 256 KiB RPMB, as a board's eMMC comes: blank key, counter 0
    const made = (await stack.handle(SERVICES.rpmb, RpmbOp.TEST_NEW_DEVICE, encodeNewDevice({ sizeMult: 2, relWrSecC: 1, deviceConfig: false, initialCounter: 0, cid: fromHex(cidHex) })))!;
    expect(made.status).toBe(0);
    const devId = new DataView(made.body.buffer, made.body.byteOffset).getUint16(0, true);
    // the card: CMD8 reads EXT_CSD, CMD25 writes frames (reliable write in bit 31 of write_flag), CMD18 reads frames;
    // each goes to the reference device as one SEQUENCE, in the order the ioctl carries them
    let sequences = 0;
    const seq = async (write: Uint8Array[], readFrames: number, reliable: boolean) => {
      sequences++;
      return (await stack.handle(SERVICES.rpmb, RpmbOp.SEQUENCE, encodeSequence({ devId, write, readFrames, reliable })))!;
    };
    const card = async (cmds: MmcCmdLine[]) => {
      const data = new Map<number, Uint8Array>();
      for (const [i, c] of cmds.entries()) {
        if (c.opcode === 8) {
          const ext = new Uint8Array(512);
          ext[168] = 2;
          ext[222] = 1;
          data.set(i, ext);
        } else if (c.opcode === 25) {
          const frames = Array.from({ length: c.blocks }, (_, k) => c.data!.subarray(k * 512, k * 512 + 512));
          if ((await seq(frames, 0, (c.writeFlag & 0x80000000) !== 0)).status !== 0) return { errno: 5 };
        } else if (c.opcode === 18) {
          const r = await seq([], c.blocks, false);
          if (r.status !== 0) return { errno: 5 };
          data.set(i, r.body);
        } else return { errno: 22 };
      }
      return { data };
    };
    const dbl = await DeviceDouble.start({ mmc: card }, dir);
    try {
      const cid = join(dir, 'cid-e2e');
      writeFileSync(cid, `${cidHex}\n`);
      const profile = join(dir, 'mmcblk0rpmb.json');
      writeFileSync(
        profile,
        JSON.stringify({
          name: 'mmcblk0rpmb',
          kind: 'hardware',
          services: { rpmb: `mmc:///dev/mmcblk0rpmb?cid=${cid}` },
          capabilities: { 'rpmb.key-programmed': false, 'rpmb.scratch-first': 0, 'rpmb.scratch-count': 1024 },
          allowDestructive: true,
        }),
      );
      const out = join(dir, 'results-rpmb');
      const r = await runChild([join(REPO, 'bin/fwsec.js'), 'run', '--profile', profile, '--suite', 'rpmb', '--allow-destructive', '--out', out], dbl.env({ '/dev/mmcblk0rpmb': 'mmc', '/dev/mmcblk0': 'mmc' }));
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { results: { id: string; verdict: string; message?: string }[] };
      const inproc = verdicts(await run({ suites: ['rpmb'] }));
      expect(report.results.length).toBe(inproc.size);
      const differ = report.results.filter((x) => inproc.get(x.id) !== x.verdict);
      // what cannot be judged over a bare device: checks that need the reference's test devices,
      // shared-RPMB listing, a reset, or ITS/PS (not mapped): UNSUPPORTED or SKIP, saying why; nothing FAILs
      const why = new Map<string, number>();
      for (const x of differ) {
        const m = /carries rpmb opcode 1 \(OPTEE_RPMB\) only, not opcode (0x[0-9a-f]+)|declares no way to reset|maps no transport for (its|ps)|not an RPMB request type|the request is not an rpmb_req/.exec(x.message ?? '');
        expect(m && (x.verdict === 'UNSUPPORTED' || x.verdict === 'SKIP'), `${x.id}: ${x.verdict}: ${x.message}`).toBeTruthy();
        const k = `${x.verdict} ${m![1] ? `opcode ${m![1]}` : m![2] ? 'no ITS/PS' : m![0]}`;
        why.set(k, (why.get(k) ?? 0) + 1);
      }
      console.log(`rpmb over mmc:// not judged, by reason: ${JSON.stringify(Object.fromEntries(why))}`);
      expect(r.code).toBe(0);
      console.log(`rpmb over mmc:///dev/mmcblk0rpmb: ${report.results.length - differ.length} checks as in-process, ${differ.length} not judged; ${sequences} sequences`);
    } finally {
      await dbl.close();
    }
  });
});
