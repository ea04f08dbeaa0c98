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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../protocol/bytes.js';
import { encodeRpmbReq, RPMB_REQ } from '../../protocol/rpmb/mmc-ioctl.js';
import { RpmbOp } from '../../protocol/rpmb/service.js';
import { DeviceDouble, deviceChild, type MmcCmdLine } from '../helpers/devdouble.js';

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
        if (type === RPMB_REQ.RESULT_READ) return; // the host asks for the result of the last write
        st.last = frames[0];
        if (type === RPMB_REQ.PROGRAM_KEY) {
          st.result = st.key ? 1 : 0;
          st.key ??= Buffer.from(frames[0]!.subarray(196, 228));
        } else if (type === RPMB_REQ.WRITE_DATA) {
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
        if (type === RPMB_REQ.READ_COUNTER) out.push(frame({ type: 0x0200, counter: st.counter, nonce: req.subarray(484, 500) }));
        else if (type === RPMB_REQ.READ_DATA) {
          const a = req.readUInt16BE(504);
          for (let k = 0; k < c.blocks; k++) out.push(frame({ type: 0x0400, address: a, count: c.blocks, nonce: req.subarray(484, 500), data: st.blocks.get(a + k) ?? Buffer.alloc(256) }));
        } else out.push(frame({ type: type << 8, counter: st.counter, address: req.readUInt16BE(504) }));
        for (const f of out) f.writeUInt16BE(st.result, 508);
        if (st.key && type !== RPMB_REQ.PROGRAM_KEY) mac(st.key, out).copy(out.at(-1)!, 196);
        data.set(i, Buffer.concat(out));
      }
    });
    return { data };
  };
  return { st, handler };
}



const req = (cmd: number, frames: Buffer[], blockCount = 0) => hex(encodeRpmbReq({ cmd, devId: 0, blockCount, frames: Buffer.concat(frames) }));

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
      const w0 = frame({ type: RPMB_REQ.WRITE_DATA, address: 4, count: 2, counter: 0, data: data0 });
      const w1 = frame({ type: RPMB_REQ.WRITE_DATA, address: 4, count: 2, counter: 0, data: data1 });
      mac(KEY, [w0, w1]).copy(w1, 196);
      const res = await child(dbl, `mmc:///dev/mmcblk0rpmb?cid=${cid}`, [
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(0, [frame({ type: RPMB_REQ.PROGRAM_KEY, key: KEY })]) },
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(0, [frame({ type: RPMB_REQ.READ_COUNTER, nonce })]) },
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(0, [w0, w1]) },
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(0, [frame({ type: RPMB_REQ.READ_DATA, address: 4, nonce })], 2) },
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(1, []) },
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(0, [frame({ type: RPMB_REQ.READ_DATA, address: 4, nonce })], 0) },
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
      expect(resultReads).toEqual([hex(frame({ type: RPMB_REQ.RESULT_READ })), hex(frame({ type: RPMB_REQ.RESULT_READ }))]);
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
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(0, [frame({ type: RPMB_REQ.READ_COUNTER })]) },
        { service: 'rpmb', opcode: RpmbOp.OPTEE_RPMB, body: req(0, [frame({ type: RPMB_REQ.READ_COUNTER })]) },
      ]);
      expect(res[0]!.error).toBe('remote');
      expect(res[0]!.message).toMatch(/ETIMEDOUT \(110\)/);
      expect(Buffer.from(fromHex(res[1]!.body!)).readUInt16BE(510)).toBe(0x0200);
    } finally {
      await dbl.close();
    }
  });
});
