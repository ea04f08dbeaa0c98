// Vector tests of the RPMB codecs, both directions. Vectors are written from
// the facts (byte offsets of JESD84-B51's frame table, the rpmb_req and
// rpmb_dev_info layouts, OP-TEE's key derivation); the MAC and the derived
// key are checked against node:crypto as an independent HMAC.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, fromHex, hex } from '../../protocol/bytes.js';
import {
  COUNTER_MAX,
  RpmbReq,
  RpmbResp,
  computeMac,
  dataWriteRequest,
  decodeFrame,
  encodeFrame,
  macInput,
  macValid,
  resultName,
  splitFrames,
} from '../../protocol/rpmb/frame.js';
import {
  DEV_INFO_SIZE,
  OPTEE_TEST_KEY,
  RPMB_EMU_CID,
  TEEC,
  decodeDevInfo,
  decodeRpmbReq,
  deriveOpteeRpmbKey,
  encodeDevInfo,
  encodeRpmbReq,
  teecName,
  teecStatus,
} from '../../protocol/rpmb/optee.js';
import {
  decodeDevices,
  decodeSequence,
  encodeDevices,
  encodeSequence,
  validReePath,
} from '../../protocol/rpmb/service.js';
import { VIRTIO_ID_RPMB, decodeVirtioConfig, encodeVirtioConfig, readBlockCount, virtioChain } from '../../protocol/rpmb/virtio.js';
import { decodePartitionTable, encodePartitionTable, formatGuid, parseGuid, partitionTableProblems } from '../../protocol/rpmb/vm.js';

/** A frame built by hand from the JEDEC table: every field at its documented offset. */
function handFrame(): Uint8Array {
  const f = new Uint8Array(512);
  for (let i = 0; i < 196; i++) f[i] = 0xee; // stuff
  for (let i = 0; i < 32; i++) f[196 + i] = 0xa0 + i; // key/MAC
  for (let i = 0; i < 256; i++) f[228 + i] = i; // data
  for (let i = 0; i < 16; i++) f[484 + i] = 0x50 + i; // nonce
  f.set([0x01, 0x02, 0x03, 0x04], 500); // write counter 0x01020304
  f.set([0xff, 0xfe], 504); // address 0xfffe
  f.set([0x00, 0x02], 506); // block count 2
  f.set([0x00, 0x85], 508); // result 0x0085
  f.set([0x03, 0x00], 510); // response 0x0300
  return f;
}

describe('RPMB data frame', () => {
  it('decodes every field from its JEDEC offset, big-endian', () => {
    const f = decodeFrame(handFrame());
    expect(f.writeCounter).toBe(0x01020304);
    expect(f.address).toBe(0xfffe);
    expect(f.blockCount).toBe(2);
    expect(f.result).toBe(0x0085);
    expect(f.reqResp).toBe(0x0300);
    expect(f.stuff.every((b) => b === 0xee)).toBe(true);
    expect(f.keyMac[0]).toBe(0xa0);
    expect(f.data[255]).toBe(255);
    expect(hex(f.nonce)).toBe('505152535455565758595a5b5c5d5e5f');
  });

  it('encodes back to the same 512 bytes', () => {
    const f = decodeFrame(handFrame());
    expect(hex(encodeFrame(f))).toBe(hex(handFrame()));
  });

  it('round-trips any field values', () => {
    fc.assert(
      fc.property(
        fc.record({ writeCounter: fc.integer({ min: 0, max: COUNTER_MAX }), address: fc.integer({ min: 0, max: 0xffff }), blockCount: fc.integer({ min: 0, max: 0xffff }), result: fc.integer({ min: 0, max: 0xffff }), reqResp: fc.integer({ min: 0, max: 0xffff }), data: fc.uint8Array({ minLength: 256, maxLength: 256 }) }),
        (v) => {
          const d = decodeFrame(encodeFrame(v));
          expect([d.writeCounter, d.address, d.blockCount, d.result, d.reqResp]).toEqual([v.writeCounter, v.address, v.blockCount, v.result, v.reqResp]);
          expect(hex(d.data)).toBe(hex(v.data));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses buffers that are not 512 bytes, and splits only whole frames', () => {
    expect(() => decodeFrame(new Uint8Array(511))).toThrow(DecodeError);
    expect(() => splitFrames(new Uint8Array(1023))).toThrow(DecodeError);
    expect(splitFrames(new Uint8Array(1024))).toHaveLength(2);
  });

  it('names response types as request << 8, and the expired bit', () => {
    expect(RpmbResp.KEY_PROGRAM).toBe(0x0100);
    expect(RpmbResp.DATA_WRITE).toBe(RpmbReq.DATA_WRITE << 8);
    expect(RpmbResp.CONFIG_READ).toBe(0x0700);
    expect(resultName(0x0085)).toBe('WRITE_FAILURE|WRITE_COUNTER_EXPIRED (0x0085)');
    expect(resultName(0x0007)).toBe('KEY_NOT_PROGRAMMED (0x0007)');
  });
});

describe('RPMB MAC', () => {
  const key = OPTEE_TEST_KEY;
  const oracle = (frames: Uint8Array[]) => {
    const h = createHmac('sha256', key);
    for (const f of frames) h.update(f.subarray(228, 512));
    return h.digest('hex');
  };

  it('is HMAC-SHA256 over bytes 228..511 of every frame in order (node:crypto oracle)', () => {
    const frames = dataWriteRequest(key, 7, 42, [new Uint8Array(256).fill(1), new Uint8Array(256).fill(2)]);
    expect(hex(computeMac(key, frames))).toBe(oracle(frames));
    expect(hex(frames[1]!.subarray(196, 228))).toBe(oracle(frames)); // carried in the last frame
    expect(frames[0]!.subarray(196, 228).every((b) => b === 0)).toBe(true);
    expect(macInput(frames).length).toBe(2 * 284);
    expect(macValid(key, frames)).toBe(true);
  });

  it('does not cover the stuff bytes but covers every byte from 228', () => {
    const [f] = dataWriteRequest(key, 1, 1, [new Uint8Array(256)]);
    const stuffed = f!.slice();
    stuffed[10] = 0x55;
    expect(macValid(key, [stuffed])).toBe(true);
    for (const at of [228, 483, 484, 500, 504, 506, 508, 511]) {
      const c = f!.slice();
      c[at]! ^= 1;
      expect(macValid(key, [c]), `byte ${at}`).toBe(false);
    }
  });

  it('uses the CFG_RPMB_TESTKEY key as published', () => {
    expect(hex(OPTEE_TEST_KEY)).toBe('d3eb3ec36e334c9f988ce2c0b85954610d2bcf8664844df2ab56e6c61bb701e4');
  });
});

describe('OP-TEE RPMB RPC structures', () => {
  it('rpmb_req: u16 cmd, dev_id, block_count little-endian, then frames from byte 6', () => {
    const frame = encodeFrame({ reqResp: RpmbReq.DATA_READ });
    const body = encodeRpmbReq({ cmd: 0, devId: 1, blockCount: 3 }, [frame]);
    expect(hex(body.subarray(0, 6))).toBe('000001000300');
    expect(body.length).toBe(6 + 512);
    const d = decodeRpmbReq(fromHex(`010002000000${hex(frame)}`));
    expect([d.cmd, d.devId, d.blockCount, d.frames.length]).toEqual([1, 2, 0, 1]);
    expect(() => decodeRpmbReq(body.subarray(0, 6 + 511))).toThrow(DecodeError);
    expect(() => decodeRpmbReq(body.subarray(0, 5))).toThrow(DecodeError);
  });

  it('rpmb_dev_info: cid[16], size mult, rel_wr_sec_c, ret_code = 19 bytes exactly', () => {
    const v = fromHex(`${hex(RPMB_EMU_CID)}020100`);
    const d = decodeDevInfo(v);
    expect([d.rpmbSizeMult, d.relWrSecC, d.retCode]).toEqual([2, 1, 0]);
    expect(hex(encodeDevInfo(d))).toBe(hex(v));
    expect(DEV_INFO_SIZE).toBe(19);
    expect(() => decodeDevInfo(v.subarray(0, 18))).toThrow(DecodeError);
    expect(() => decodeDevInfo(new Uint8Array(20))).toThrow(DecodeError);
  });

  it('derives the RPMB key as OP-TEE does: HMAC(HUK, u32le 0 || CID with PRV and CRC zeroed)', () => {
    const huk = fromHex('000102030405060708090a0b0c0d0e0f');
    const cid = RPMB_EMU_CID;
    const masked = Buffer.from(cid);
    masked[9] = 0;
    masked[15] = 0;
    const want = createHmac('sha256', huk).update(Buffer.from([0, 0, 0, 0])).update(masked).digest('hex');
    expect(hex(deriveOpteeRpmbKey(huk, cid))).toBe(want);
    const revised = cid.slice();
    revised[9] = 0x43; // firmware update changes PRV: same key
    revised[15] = 0x77;
    expect(hex(deriveOpteeRpmbKey(huk, revised))).toBe(want);
    const other = cid.slice();
    other[10] ^= 1; // another serial number: another key
    expect(hex(deriveOpteeRpmbKey(huk, other))).not.toBe(want);
  });

  it('names TEEC results and carries them as signed 32-bit statuses', () => {
    expect(teecStatus(TEEC.ERROR_ITEM_NOT_FOUND)).toBe(-65528);
    expect(teecName(-65528)).toBe('TEEC_ERROR_ITEM_NOT_FOUND (0xffff0008)');
    expect(teecName(0)).toBe('TEEC_SUCCESS (0x00000000)');
  });
});

describe('virtio-rpmb', () => {
  it('config space: capacity, max_wr_cnt, max_rd_cnt; capacity at most 0x80', () => {
    expect(VIRTIO_ID_RPMB).toBe(28);
    expect(hex(encodeVirtioConfig({ capacity: 2, maxWrCnt: 1, maxRdCnt: 0 }))).toBe('020100');
    expect(decodeVirtioConfig(fromHex('800000')).capacity).toBe(0x80);
    expect(() => decodeVirtioConfig(fromHex('810000'))).toThrow(DecodeError);
  });

  it('counts blocks from the frame, where eMMC takes CMD23', () => {
    expect(virtioChain(RpmbReq.DATA_WRITE, 3, false)).toEqual({ out: 3, in: 0 });
    expect(virtioChain(RpmbReq.DATA_WRITE, 2, true)).toEqual({ out: 3, in: 1 });
    expect(virtioChain(RpmbReq.DATA_READ, 4, false)).toEqual({ out: 1, in: 4 });
    expect(readBlockCount('emmc', 0, 4)).toBe(4);
    expect(readBlockCount('virtio', 4, 0)).toBe(4);
  });
});

describe('fwsec rpmb envelope bodies', () => {
  it('SEQUENCE: u16le dev_id, write_frames, read_frames, flags, then frames', () => {
    const f = encodeFrame({ reqResp: RpmbReq.COUNTER_READ });
    const b = encodeSequence({ devId: 0x100, write: [f], readFrames: 1, reliable: true });
    expect(hex(b.subarray(0, 8))).toBe('0001010001000100');
    const d = decodeSequence(b);
    expect([d.devId, d.write.length, d.readFrames, d.reliable]).toEqual([0x100, 1, 1, true]);
    expect(() => decodeSequence(fromHex('0001020001000000'))).toThrow(DecodeError); // announces 2 frames, carries 0
    expect(() => decodeSequence(fromHex('0000000000000000'))).toThrow(DecodeError); // nothing to do
    expect(() => decodeSequence(fromHex('0000000001000200'))).toThrow(DecodeError); // undefined flag bit
  });

  it('DEVICES: u16le count, then 40-byte entries', () => {
    const e = { devId: 0x200, kind: 2, sizeMult: 128, relWrSecC: 1, flags: 1, cid: RPMB_EMU_CID, guid: new Uint8Array(16).fill(7) };
    const b = encodeDevices([e]);
    expect(b.length).toBe(2 + 40);
    expect(hex(b.subarray(0, 10))).toBe('0100000202800101' + '0000');
    expect(decodeDevices(b)[0]!.sizeMult).toBe(128);
    expect(() => decodeDevices(b.subarray(0, 41))).toThrow(DecodeError);
  });

  it('REE paths are names of [A-Za-z0-9_.-], never starting with a dot', () => {
    expect(validReePath('ps/ns/dirf.0')).toBe(true);
    expect(validReePath('../etc')).toBe(false);
    expect(validReePath('ps/.tmp-x')).toBe(false);
    expect(validReePath('a//b')).toBe(false);
    expect(validReePath('', true)).toBe(true);
  });
});

describe('shared-RPMB partition table', () => {
  const guid = parseGuid('8f6a3c1e-2b4d-4e5f-9a0b-1c2d3e4f5a60');
  const entries = [
    { guid: new Uint8Array(16), first: 1, blocks: 100, kind: 0, sizeMult: 0 },
    { guid, first: 101, blocks: 4 + 512, kind: 1, sizeMult: 1 },
  ];

  it('is magic, version, count, then 40-byte big-endian entries in block 0', () => {
    const b = encodePartitionTable(entries);
    expect(b.length).toBe(256);
    expect(hex(b.subarray(0, 16))).toBe(`${hex(new TextEncoder().encode('FWSRPMBT'))}0001000200000000`);
    expect(hex(b.subarray(56, 56 + 28))).toBe(`${hex(guid)}000000650000020400000001`);
    const d = decodePartitionTable(b)!;
    expect(formatGuid(d[1]!.guid)).toBe('8f6a3c1e-2b4d-4e5f-9a0b-1c2d3e4f5a60');
    expect(decodePartitionTable(new Uint8Array(256))).toBeUndefined();
    expect(() => decodePartitionTable(new Uint8Array(256).fill(1))).toThrow(DecodeError);
  });

  it('reports overlaps, partitions past the device and wrong guest sizes', () => {
    expect(partitionTableProblems(entries, 1000)).toEqual([]);
    expect(partitionTableProblems(entries, 600).join()).toMatch(/runs past the device/);
    expect(partitionTableProblems([entries[0]!, { ...entries[1]!, first: 50 }], 1000).join()).toMatch(/overlaps/);
    expect(partitionTableProblems([entries[0]!, { ...entries[1]!, blocks: 512 }], 1000).join()).toMatch(/do not hold/);
  });
});
