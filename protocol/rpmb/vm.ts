// The fwsec shared-RPMB partition table: how one physical RPMB partition is
// divided between the host's secure world and virtual machines. It is the
// data of block 0 of the physical device, written once (authenticated) by
// the secure world when it provisions the device. Big-endian like the
// RPMB frame fields; GUIDs in RFC 4122 byte order (the order of their text).
//
//   off  len  field
//     0    8  magic "FWSRPMBT"
//     8    2  version (1)
//    10    2  entry count n (1..6)
//    12    4  reserved (0)
//    16 40×n  entries:
//               +0  16  owner GUID (all zeros: the host's secure world)
//               +16  4  first block (256-byte half-sector index)
//               +20  4  block count
//               +24  4  kind: 0 host, 1 guest virtual RPMB
//               +28  4  virtual size (RPMB_SIZE_MULT of the guest's device; 0 for the host)
//               +32  8  reserved (0)
//
// A guest partition holds, in order: 1 metadata block (the guest's key,
// encrypted), 3 journal blocks (header + up to 2 data blocks of the last
// write, the commit point of a guest write), then the guest's blocks.
import { DecodeError, Reader, Writer, fromHex, hex } from '../bytes.js';
import { BLOCK_SIZE, BLOCKS_PER_SIZE_MULT } from './frame.js';

export const PT_MAGIC = 'FWSRPMBT';
export const PT_VERSION = 1;
export const PT_MAX_ENTRIES = 6;
export const PT_ENTRY_SIZE = 40;
export const GUEST_META_BLOCKS = 1;
export const GUEST_JOURNAL_BLOCKS = 3;
export const GUEST_OVERHEAD_BLOCKS = GUEST_META_BLOCKS + GUEST_JOURNAL_BLOCKS;

export const PartitionKind = { HOST: 0, GUEST: 1 } as const;

export interface PartitionEntry {
  guid: Uint8Array;
  first: number;
  blocks: number;
  kind: number;
  sizeMult: number;
}

export function encodePartitionTable(entries: readonly PartitionEntry[]): Uint8Array {
  if (entries.length < 1 || entries.length > PT_MAX_ENTRIES) throw new RangeError(`a partition table holds 1..${PT_MAX_ENTRIES} entries`);
  const w = new Writer(BLOCK_SIZE);
  for (const c of PT_MAGIC) w.u8(c.charCodeAt(0));
  w.u16be(PT_VERSION).u16be(entries.length).u32be(0);
  for (const e of entries) {
    if (e.guid.length !== 16) throw new RangeError('GUIDs are 16 bytes');
    w.bytes(e.guid).u32be(e.first).u32be(e.blocks).u32be(e.kind).u32be(e.sizeMult).zeros(8);
  }
  w.zeros(BLOCK_SIZE - w.length);
  return w.finish();
}

/** Decodes block 0; `undefined` for an erased (all-zero) block. */
export function decodePartitionTable(block: Uint8Array): PartitionEntry[] | undefined {
  if (block.every((b) => b === 0)) return undefined;
  const r = new Reader(block, 'RPMB partition table');
  const magic = String.fromCharCode(...r.bytes(8, 'magic'));
  if (magic !== PT_MAGIC) throw new DecodeError(`partition table magic ${JSON.stringify(magic)} is not ${PT_MAGIC}`);
  const version = r.u16be('version');
  if (version !== PT_VERSION) throw new DecodeError(`partition table version ${version} is not ${PT_VERSION}`);
  const n = r.u16be('count');
  if (n < 1 || n > PT_MAX_ENTRIES) throw new DecodeError(`partition table count ${n} outside 1..${PT_MAX_ENTRIES}`);
  r.u32be('reserved');
  const out: PartitionEntry[] = [];
  for (let i = 0; i < n; i++) {
    const guid = r.bytes(16, 'guid').slice();
    const first = r.u32be('first');
    const blocks = r.u32be('blocks');
    const kind = r.u32be('kind');
    const sizeMult = r.u32be('size');
    r.bytes(8, 'reserved');
    out.push({ guid, first, blocks, kind, sizeMult });
  }
  return out;
}

/** Problems that make a table unusable: overlaps, entries past the device, bad guest sizes. */
export function partitionTableProblems(entries: readonly PartitionEntry[], deviceBlocks: number): string[] {
  const problems: string[] = [];
  const sorted = [...entries].sort((a, b) => a.first - b.first);
  let end = 1; // block 0 holds the table itself
  for (const e of sorted) {
    if (e.first < end) problems.push(`partition at block ${e.first} overlaps the one before it (ends at ${end})`);
    if (e.first + e.blocks > deviceBlocks) problems.push(`partition at block ${e.first} (${e.blocks} blocks) runs past the device (${deviceBlocks} blocks)`);
    if (e.kind === PartitionKind.GUEST && e.blocks !== GUEST_OVERHEAD_BLOCKS + e.sizeMult * BLOCKS_PER_SIZE_MULT) {
      problems.push(`guest partition at block ${e.first}: ${e.blocks} blocks do not hold a ${e.sizeMult} × 128 KiB device and its ${GUEST_OVERHEAD_BLOCKS} metadata blocks`);
    }
    end = Math.max(end, e.first + e.blocks);
  }
  const guids = entries.map((e) => hex(e.guid));
  if (new Set(guids).size !== guids.length) problems.push('two partitions have the same owner GUID');
  return problems;
}

export function parseGuid(text: string): Uint8Array {
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(text)) {
    throw new DecodeError(`not a GUID: ${JSON.stringify(text)}`);
  }
  return fromHex(text.replace(/-/g, ''));
}

export function formatGuid(g: Uint8Array): string {
  const h = hex(g);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
