// JESD84-B51 6.6.22.4.4 Authenticated Data Read: what every response frame
// carries, the MAC over all of them, and the address rules.
import { hex } from '../../protocol/bytes.js';
import { OFF, RpmbReq, RpmbResult } from '../../protocol/rpmb/frame.js';
import { check } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import {
  CL,
  JEDEC,
  blockPattern,
  counter,
  expectData,
  expectMac,
  expectNonce,
  expectResult,
  expectType,
  keyed,
  pastEnd,
  mustWrite,
  read,
  scratch,
  type Device,
} from './common.js';

/** Writes `n` known blocks at a scratch address, one write per block the device allows. */
async function known(t: CheckContext, d: Device, n: number, salt: number): Promise<{ at: number; blocks: Uint8Array[] }> {
  const at = scratch(t, d, n, salt);
  const blocks = Array.from({ length: n }, (_, i) => blockPattern(t, salt * 10 + i));
  for (let i = 0; i < n; i++) await mustWrite(t, d, at + i, [blocks[i]!]);
  return { at, blocks };
}

export default [
  check({
    id: 'rpmb.read.single-block',
    title: 'an authenticated read returns the data written',
    spec: JEDEC,
    clause: CL.read,
    level: 'MUST',
    requirement: 'The device returns a data frame with response type 0x0400, result OK and the data of the addressed block.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const { at, blocks } = await known(t, d, 1, 50);
      const r = await read(t, d, at, 1);
      expectType(t, r.frames[0]!, RpmbReq.DATA_READ, 'data read');
      expectResult(t, r.frames[0]!, RpmbResult.OK, 'data read');
      expectData(t, r.frames[0]!.data, blocks[0]!, `block ${at}`);
    },
  }),
  check({
    id: 'rpmb.read.nonce-echo',
    title: 'a read response carries back the nonce of the request',
    spec: JEDEC,
    clause: CL.read,
    level: 'MUST',
    requirement: 'The read response contains a copy of the nonce received in the read request (the freshness OP-TEE relies on: a stale answer replayed by the normal world has another nonce).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const { at } = await known(t, d, 1, 51);
      const r = await read(t, d, at, 1);
      const last = r.frames[0]!;
      expectNonce(t, last.nonce, r.nonce, 'data read');
    },
  }),
  check({
    id: 'rpmb.read.mac',
    title: 'a read response is MAC\'d with the key',
    spec: JEDEC,
    clause: CL.read,
    level: 'MUST',
    requirement: 'The MAC of a read response is HMAC-SHA256 with the authentication key over bytes 228..511 of every response frame, in order, placed in the last frame.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const { at } = await known(t, d, 1, 52);
      const r = await read(t, d, at, 1);
      expectMac(t, d.key, r.raw, 'read response');
    },
  }),
  check({
    id: 'rpmb.read.multi-block',
    title: 'a multi-block read returns every block in order under one MAC',
    spec: JEDEC,
    clause: CL.read,
    level: 'MUST',
    requirement: 'A read of N blocks (the count given by CMD23) answers N frames holding blocks address .. address + N − 1 in order; the MAC in the last frame covers all N frames.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const { at, blocks } = await known(t, d, 4, 53);
      const r = await read(t, d, at, 4);
      expectResult(t, r.frames[3]!, RpmbResult.OK, 'last frame of a 4-block read');
      r.frames.forEach((f, i) => expectData(t, f.data, blocks[i]!, `frame ${i} of a 4-block read`));
      expectMac(t, d.key, r.raw, '4-block read response');
    },
  }),
  check({
    id: 'rpmb.read.address-in-every-frame',
    title: 'every frame of a multi-block read carries the start address',
    spec: JEDEC,
    clause: CL.read,
    level: 'MUST',
    requirement:
      'In an authenticated read response with block count greater than one, the address in each frame is the start address of the full access, not the address of the individual half sector (JESD84-B51 wording quoted in OP-TEE, which rejects other answers).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const { at } = await known(t, d, 3, 54);
      const r = await read(t, d, at, 3);
      r.frames.forEach((f, i) => t.expectEqual(f.address, at, `address in frame ${i} of a 3-block read`));
    },
  }),
  check({
    id: 'rpmb.read.block-count-in-every-frame',
    title: 'every frame of a multi-block read carries the total block count',
    spec: JEDEC,
    clause: CL.read,
    level: 'SHOULD',
    requirement: 'In each frame of a read response the block count is the total number of blocks read (big-endian), not a sequence number and not host byte order.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const { at } = await known(t, d, 2, 55);
      const r = await read(t, d, at, 2);
      r.frames.forEach((f, i) => t.expectEqual(f.blockCount, 2, `block count in frame ${i} of a 2-block read`));
    },
  }),
  check({
    id: 'rpmb.read.nonce-in-every-frame',
    title: 'every frame of a multi-block read carries the nonce',
    spec: JEDEC,
    clause: CL.read,
    level: 'SHOULD',
    requirement: 'In each frame of a read response the nonce is a copy of the nonce received in the request.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const { at } = await known(t, d, 2, 56);
      const r = await read(t, d, at, 2);
      r.frames.forEach((f, i) => {
        expectNonce(t, f.nonce, r.nonce, `frame ${i} of a 2-block read`);
      });
    },
  }),
  check({
    id: 'rpmb.read.mac-in-last-frame-only',
    title: 'only the last frame of a multi-block read carries the MAC',
    spec: JEDEC,
    clause: CL.read,
    level: 'SHOULD',
    requirement: 'In a read response with block count greater than one the MAC is included only in the last frame; the MAC field is zero in all previous frames.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const { at } = await known(t, d, 2, 57);
      const r = await read(t, d, at, 2);
      const first = r.raw[0]!.subarray(OFF.keyMac, OFF.keyMac + 32);
      t.assert(first.every((b) => b === 0), 'the first frame of a 2-block read carries a non-zero MAC field', { expected: 'zeros', actual: hex(first) });
    },
  }),
  check({
    id: 'rpmb.read.block-count-zero',
    title: 'a read request with block count 0 reads as many blocks as CMD23 asks',
    spec: JEDEC,
    clause: CL.read,
    level: 'MUST',
    requirement:
      'On eMMC the number of blocks read is set by CMD23 before CMD18; the read request frame carries block count 0 (as mmc-utils and OP-TEE send it) and the device answers that many frames with result OK.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const { at, blocks } = await known(t, d, 2, 58);
      const r = await read(t, d, at, 2, undefined, 0);
      expectResult(t, r.frames[1]!, RpmbResult.OK, '2-block read requested with block count 0');
      expectData(t, r.frames[1]!.data, blocks[1]!, 'second block');
    },
  }),
  check({
    id: 'rpmb.read.address-past-end',
    title: 'a read at an address past the partition answers ADDRESS_FAILURE',
    spec: JEDEC,
    clause: CL.read,
    level: 'MUST',
    requirement: 'If the address is equal to or greater than the size of the partition, the result is Address Failure (0x0004) and the data read is not valid.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const r = await read(t, d, pastEnd(t, d), 1);
      expectType(t, r.frames[0]!, RpmbReq.DATA_READ, `read at address ${d.blocks}`);
      expectResult(t, r.frames[0]!, RpmbResult.ADDRESS_FAILURE, `read at address ${d.blocks} of a ${d.blocks}-block partition`);
    },
  }),
  check({
    id: 'rpmb.read.range-past-end',
    title: 'a multi-block read running past the end answers ADDRESS_FAILURE',
    spec: JEDEC,
    clause: CL.read,
    level: 'MUST',
    requirement: 'If the address plus the block count is greater than the size of the partition, the result is Address Failure (0x0004).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const r = await read(t, d, d.blocks - 1, 2);
      expectResult(t, r.frames[1]!, RpmbResult.ADDRESS_FAILURE, `2-block read at the last block (${d.blocks - 1})`);
    },
  }),
  check({
    id: 'rpmb.read.last-block',
    title: 'the last block of the partition can be read',
    spec: JEDEC,
    clause: CL.read,
    level: 'MUST',
    requirement: 'Addresses below the partition size are readable, up to and including the last block (size_mult × 512 − 1).',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const r = await read(t, d, d.blocks - 1, 1);
      expectResult(t, r.frames[0]!, RpmbResult.OK, `read of the last block (${d.blocks - 1})`);
      expectMac(t, d.key, r.raw, 'read of the last block');
    },
  }),
  check({
    id: 'rpmb.read.no-counter-change',
    title: 'reads never move the write counter',
    spec: JEDEC,
    clause: CL.read,
    level: 'MUST',
    requirement: 'Authenticated reads, failed ones included, do not change the write counter.',
    services: ['rpmb'],
    run: async (t) => {
      const d = await keyed(t);
      const c = await counter(t, d);
      await read(t, d, 0, 2);
      if (d.blocks <= 0xffff) await read(t, d, d.blocks, 1);
      t.expectEqual(await counter(t, d), c, 'write counter after reads');
    },
  }),
];
