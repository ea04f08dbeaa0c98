// Shared RPMB for virtual machines: each guest named in the partition table
// gets a virtual RPMB device of its own (own key, own write counter, own
// address space starting at 0, own result register), backed by its
// partition of the one physical device, which only the secure world's
// driver (RpmbHost, holding the physical key) writes.
//
// A guest's authenticated write is checked against the guest's key and
// counter by the same device engine a physical eMMC uses, then committed in
// two physical writes: the journal (header with the guest's new counter,
// the address and the data: the commit point, one reliable write), then
// the data in place. Power-on replays the journal, so after a crash a guest
// sees its write with the counter that goes with it, or neither.
//
// Isolation follows from construction: a guest device translates only
// addresses inside its own partition (the engine refuses the rest with
// ADDRESS_FAILURE before touching the physical device), MACs with its own
// key, and keeps its counter and result register to itself.
import { gcm } from '@noble/ciphers/aes.js';
import { randomBytes } from 'node:crypto';
import { bytesEqual, concat, Reader, Writer } from '../../protocol/bytes.js';
import { BLOCK_SIZE, KEY_SIZE } from '../../protocol/rpmb/frame.js';
import { GUEST_JOURNAL_BLOCKS, GUEST_META_BLOCKS, PartitionKind, formatGuid, type PartitionEntry } from '../../protocol/rpmb/vm.js';
import { EmmcRpmb, type RpmbNvState, type RpmbStore } from './device.js';
import type { RpmbHost } from './host.js';

export const VIRTUAL_DEV_BASE = 0x100;
const META_MAGIC = 'FWSVMETA';
const JOURNAL_MAGIC = 'FWSVJRNL';
/** Largest guest write: REL_WR_SEC_C 1 → 2 frames (the journal holds them with its header). */
export const GUEST_REL_WR_SEC_C = 1;

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function block(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK_SIZE);
  out.set(bytes.subarray(0, BLOCK_SIZE));
  return out;
}

/** The CID a guest's virtual device reports: "FWSV" and 11 bytes of the GUID, CRC byte 0x01. */
export function guestCid(guid: Uint8Array): Uint8Array {
  return concat(ascii('FWSV'), guid.subarray(0, 11), Uint8Array.of(0x01));
}

/** One guest's virtual RPMB, stored in its partition of the physical device. */
export class VirtualStore implements RpmbStore {
  private readonly meta: number;
  private readonly journal: number;
  private readonly data: number;

  constructor(
    private readonly host: RpmbHost,
    readonly entry: PartitionEntry,
    /** AES-256-GCM key sealing the guest's key in the metadata block (derived from the HUK). */
    private readonly metaKey: Uint8Array,
  ) {
    this.meta = entry.first;
    this.journal = entry.first + GUEST_META_BLOCKS;
    this.data = this.journal + GUEST_JOURNAL_BLOCKS;
  }

  async load(): Promise<RpmbNvState> {
    const [meta, head, ...jdata] = await this.host.read(this.meta, GUEST_META_BLOCKS + GUEST_JOURNAL_BLOCKS);
    let key: Uint8Array | undefined;
    if (!meta!.every((b) => b === 0)) {
      const r = new Reader(meta!, 'guest metadata');
      if (String.fromCharCode(...r.bytes(8)) !== META_MAGIC) throw new Error(`guest ${formatGuid(this.entry.guid)}: metadata block damaged`);
      const nonce = r.bytes(12).slice();
      const sealed = r.bytes(1 + KEY_SIZE + 16).slice();
      const plain = gcm(this.metaKey, nonce, this.entry.guid).decrypt(sealed);
      if (plain[0] === 1) key = plain.slice(1, 1 + KEY_SIZE);
    }
    let counter = 0;
    const j = new Reader(head!, 'guest journal');
    if (String.fromCharCode(...j.bytes(8)) === JOURNAL_MAGIC) {
      counter = j.u32be();
      const address = j.u16be();
      const n = j.u16be();
      const blocks = jdata.slice(0, n);
      // replay: the commit point was reached; make the data match it
      const now = await this.host.read(this.data + address, n);
      if (!now.every((b, i) => bytesEqual(b, blocks[i]!))) await this.host.write(this.data + address, blocks);
    }
    return { key, counter, config: new Uint8Array(2) };
  }

  readBlocks(address: number, count: number): Promise<Uint8Array[]> {
    return this.host.read(this.data + address, count);
  }

  async writeBlocks(address: number, blocks: readonly Uint8Array[], counter: number): Promise<void> {
    if (blocks.length > GUEST_JOURNAL_BLOCKS - 1) throw new RangeError('guest writes carry at most 2 blocks');
    const head = block(new Writer(16).bytes(ascii(JOURNAL_MAGIC)).u32be(counter).u16be(address).u16be(blocks.length).finish());
    await this.host.write(this.journal, [head, ...blocks]); // commit point: one reliable write
    await this.host.write(this.data + address, [...blocks]);
  }

  async programKey(key: Uint8Array): Promise<void> {
    const nonce = new Uint8Array(randomBytes(12));
    const sealed = gcm(this.metaKey, nonce, this.entry.guid).encrypt(concat(Uint8Array.of(1), key));
    await this.host.write(this.meta, [block(concat(ascii(META_MAGIC), nonce, sealed))]);
  }

  async writeConfig(): Promise<void> {
    throw new Error('virtual RPMB devices have no device configuration');
  }
}

export interface GuestDevice {
  devId: number;
  entry: PartitionEntry;
  device: EmmcRpmb;
}

export class Multiplexer {
  private constructor(readonly guests: GuestDevice[]) {}

  /** Virtual devices for every guest partition, powered on (journals replayed). */
  static async open(
    host: RpmbHost,
    entries: readonly PartitionEntry[],
    metaKey: (guid: Uint8Array) => Uint8Array,
    device = defaultGuestDevice,
    log?: (line: string) => void,
  ): Promise<Multiplexer> {
    const guests: GuestDevice[] = [];
    let i = 0;
    for (const entry of entries) {
      if (entry.kind !== PartitionKind.GUEST) continue;
      const store = new VirtualStore(host, entry, metaKey(entry.guid));
      const dev = device(entry, store);
      const devId = VIRTUAL_DEV_BASE + i;
      i += 1;
      try {
        await dev.powerOn();
      } catch (e) {
        // one guest's damaged metadata or journal takes that guest's device away, not the others'
        log?.(`vRPMB dev_id ${devId} (${formatGuid(entry.guid)}) unavailable: ${(e as Error).message}`);
        continue;
      }
      guests.push({ devId, entry, device: dev });
    }
    return new Multiplexer(guests);
  }

  device(devId: number): EmmcRpmb | undefined {
    return this.guests.find((g) => g.devId === devId)?.device;
  }
}

export function defaultGuestDevice(entry: PartitionEntry, store: RpmbStore): EmmcRpmb {
  return new EmmcRpmb({ sizeMult: entry.sizeMult, relWrSecC: GUEST_REL_WR_SEC_C, cid: guestCid(entry.guid), deviceConfig: false }, store);
}
