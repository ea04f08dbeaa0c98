// The ITS file store on RPMB: every ITS partition's assets in the secure
// world's partition of the board's eMMC, through the authenticated RPMB
// driver. RPMB gives integrity and replay protection (only the holder of the
// key writes, reads are MAC'd with a fresh nonce); AES-256-GCM with a key
// derived from the HUK gives confidentiality, since anyone can read RPMB.
//
// Layout of the region (block numbers relative to its first block):
//   0        superblock: "FWSITSFS" | u32le version 2 | u32le entry blocks E |
//            u32le data start | u32le data blocks | u32le entry blocks in use H
//            (a high-water mark, raised 64 at a time before a slot past it is
//            used, so power-on reads H entry blocks, not E)
//   1..E     one entry block per asset (OP-TEE's RPMB FS likewise gives each
//            file a 256-byte FAT entry), little-endian:
//              u8 used | u8 version | u16le data blocks (0: data inline) |
//              u32le first data block | u64le partition id | u64le uid | u32le 0 |
//              inline: the sealed asset from byte 28 (up to 188 bytes of data)
//   E+1..    data runs of larger assets: the sealed asset, block-padded
// sealed asset = nonce(12) | u32le n | AES-256-GCM(u32le flags | u32le capacity | data)
//                (n bytes, then the 16-byte tag); AAD = partition id | uid | n
//
// Small assets live in their entry block: creating, replacing and removing
// one is a single-block authenticated write, atomic on the device. A larger
// version that needs as many blocks as the old one, no more than one reliable
// write carries (2 × REL_WR_SEC_C), replaces it in place with that one write.
// Anything else is copy-on-write: the new run first, then the entry block
// (the commit point). A power cut leaves the old version whole or the new.
import { gcm } from '@noble/ciphers/aes.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { Reader, Writer, concat, utf8 } from '../../protocol/bytes.js';
import { PSA } from '../../protocol/psa/status.js';
import { BLOCK_SIZE } from '../../protocol/rpmb/frame.js';
import { RpmbHostError, type RpmbHost } from '../rpmb/host.js';
import { AssetIntegrityError, type AssetBackend, type AssetRecord } from './asset-store.js';

const MAGIC = 'FWSITSFS';
const VERSION = 2;
const HEADER = 28;
const NONCE = 12;
const TAG = 16;
/** Largest sealed asset kept in its entry block. */
const INLINE_MAX = BLOCK_SIZE - HEADER;

interface Entry {
  /** Data blocks; 0 when the data is inline. */
  blocks: number;
  start: number;
  part: bigint;
  uid: bigint;
  /** The entry block's content (kept: inline data is read from it). */
  raw: Uint8Array;
}

function aad(part: bigint, uid: bigint, n: number): Uint8Array {
  return new Writer(20).u64le(part).u64le(uid).u32le(n).finish();
}

/** A partition name's id in the directory: the first 8 bytes of SHA-256(name). */
export function partitionId(name: string): bigint {
  return new DataView(sha256(utf8(name)).buffer).getBigUint64(0, true);
}

const key = (part: bigint, uid: bigint) => `${part.toString(16)}:${uid.toString(16)}`;

export interface RpmbFsOptions {
  /** Entry blocks: the most assets the store holds, all ITS partitions together. */
  dirEntries: number;
  /** AES-256-GCM key for asset data. */
  key: Uint8Array;
  log?: (line: string) => void;
}

export class RpmbFs {
  /** slot -> entry, for used slots */
  private slots = new Map<number, Entry>();
  private index = new Map<string, number>();
  private used!: Uint8Array;
  private entryBlocks = 0;
  /** Entry blocks that may be in use: power-on reads these only. */
  private highWater = 0;
  private dataStart = 0;
  private dataBlocks = 0;

  private constructor(
    private readonly host: RpmbHost,
    readonly region: { first: number; blocks: number },
    private readonly opts: RpmbFsOptions,
  ) {}

  /** Reads the superblock and every entry block; formats a blank region. */
  static async mount(host: RpmbHost, region: { first: number; blocks: number }, opts: RpmbFsOptions): Promise<RpmbFs> {
    const fs = new RpmbFs(host, region, opts);
    await fs.mountRegion();
    return fs;
  }

  private superblock(): Uint8Array {
    const w = new Writer(BLOCK_SIZE);
    for (const c of MAGIC) w.u8(c.charCodeAt(0));
    w.u32le(VERSION).u32le(this.entryBlocks).u32le(this.dataStart).u32le(this.dataBlocks).u32le(this.highWater);
    return w.zeros(BLOCK_SIZE - w.length).finish();
  }

  private async mountRegion(): Promise<void> {
    const [sb] = await this.host.read(this.region.first, 1);
    if (sb!.every((b) => b === 0)) {
      this.entryBlocks = this.opts.dirEntries;
      this.dataStart = 1 + this.entryBlocks;
      this.dataBlocks = this.region.blocks - this.dataStart;
      this.highWater = 0;
      if (this.dataBlocks < 16) throw new Error(`ITS region of ${this.region.blocks} blocks is too small for ${this.opts.dirEntries} entries`);
      await this.host.write(this.region.first, [this.superblock()]);
      this.opts.log?.(`ITS on RPMB: formatted ${this.region.blocks} blocks (${this.entryBlocks} entry blocks)`);
    } else {
      const r = new Reader(sb!, 'ITS superblock');
      const magic = String.fromCharCode(...r.bytes(8));
      const version = r.u32le();
      if (magic !== MAGIC || version !== VERSION) throw new Error(`ITS region holds no ${MAGIC} v${VERSION} superblock`);
      this.entryBlocks = r.u32le();
      this.dataStart = r.u32le();
      this.dataBlocks = r.u32le();
      this.highWater = r.u32le();
      if (this.dataStart !== 1 + this.entryBlocks || this.dataStart + this.dataBlocks > this.region.blocks || this.highWater > this.entryBlocks) {
        throw new Error('ITS superblock inconsistent');
      }
    }
    this.used = new Uint8Array(this.dataBlocks);
    const blocks = this.highWater ? await this.host.read(this.region.first + 1, this.highWater) : [];
    blocks.forEach((b, slot) => {
      if (b[0] !== 1) return;
      const r = new Reader(b, 'ITS entry');
      r.u8();
      r.u8();
      const e: Entry = { blocks: r.u16le(), start: r.u32le(), part: r.u64le(), uid: r.u64le(), raw: b.slice() };
      this.slots.set(slot, e);
      this.index.set(key(e.part, e.uid), slot);
      this.mark(e, 1);
    });
  }

  private mark(e: Entry, v: number): void {
    if (e.blocks) this.used.fill(v, e.start, Math.min(this.dataBlocks, e.start + e.blocks));
  }

  /** First fit of `n` contiguous free data blocks, or -1. */
  private allocate(n: number): number {
    let run = 0;
    for (let i = 0; i < this.dataBlocks; i++) {
      run = this.used[i] ? 0 : run + 1;
      if (run === n) return i - n + 1;
    }
    return -1;
  }

  /** A free entry slot, raising the high-water mark (a superblock write) when all below it are taken. */
  private async freeSlot(): Promise<number> {
    for (let s = 0; s < this.highWater; s++) if (!this.slots.has(s)) return s;
    if (this.highWater >= this.entryBlocks) return -1;
    const slot = this.highWater;
    const before = this.highWater;
    this.highWater = Math.min(this.entryBlocks, this.highWater + 64);
    try {
      await this.io(() => this.host.write(this.region.first, [this.superblock()]));
    } catch (e) {
      this.highWater = before;
      throw e;
    }
    return slot;
  }

  list(part: bigint): bigint[] {
    return [...this.slots.values()].filter((e) => e.part === part).map((e) => e.uid);
  }

  get usage(): { entries: number; freeEntries: number; dataBlocks: number; freeBlocks: number } {
    const free = this.used.reduce((n, v) => n + (v ? 0 : 1), 0);
    return { entries: this.slots.size, freeEntries: this.entryBlocks - this.slots.size, dataBlocks: this.dataBlocks, freeBlocks: free };
  }

  private seal(part: bigint, uid: bigint, rec: AssetRecord): Uint8Array {
    const plain = new Writer(8 + rec.data.length).u32le(rec.flags).u32le(rec.capacity).bytes(rec.data).finish();
    const nonce = new Uint8Array(randomBytes(NONCE));
    return concat(nonce, new Writer(4).u32le(plain.length).finish(), gcm(this.opts.key, nonce, aad(part, uid, plain.length)).encrypt(plain));
  }

  private unseal(e: Entry, blob: Uint8Array): AssetRecord {
    try {
      const n = new DataView(blob.buffer, blob.byteOffset + NONCE, 4).getUint32(0, true);
      if (NONCE + 4 + n + TAG > blob.length || n < 8) throw new Error('length');
      const plain = gcm(this.opts.key, blob.subarray(0, NONCE), aad(e.part, e.uid, n)).decrypt(blob.subarray(NONCE + 4, NONCE + 4 + n + TAG));
      const v = new DataView(plain.buffer, plain.byteOffset, 8);
      return { flags: v.getUint32(0, true), capacity: v.getUint32(4, true), data: plain.slice(8) };
    } catch {
      throw new AssetIntegrityError(PSA.ERROR_STORAGE_FAILURE, `ITS asset ${e.uid.toString(16)}: data failed authentication`);
    }
  }

  private entryBlock(e: Omit<Entry, 'raw'>, inline?: Uint8Array): Uint8Array {
    const w = new Writer(BLOCK_SIZE).u8(1).u8(VERSION).u16le(e.blocks).u32le(e.start).u64le(e.part).u64le(e.uid).u32le(0);
    if (inline) w.bytes(inline);
    w.zeros(BLOCK_SIZE - w.length);
    return w.finish();
  }

  async load(part: bigint, uid: bigint): Promise<AssetRecord | undefined> {
    const slot = this.index.get(key(part, uid));
    if (slot === undefined) return undefined;
    const e = this.slots.get(slot)!;
    if (!e.blocks) return this.unseal(e, e.raw.subarray(HEADER));
    const blocks = await this.io(() => this.host.read(this.region.first + this.dataStart + e.start, e.blocks));
    return this.unseal(e, concat(...blocks));
  }

  async store(part: bigint, uid: bigint, rec: AssetRecord): Promise<void> {
    const sealed = this.seal(part, uid, rec);
    const existing = this.index.get(key(part, uid));
    const old = existing === undefined ? undefined : this.slots.get(existing)!;
    const slot = existing ?? (await this.freeSlot());
    if (slot < 0) throw new AssetIntegrityError(PSA.ERROR_INSUFFICIENT_STORAGE, 'ITS on RPMB has no free entry');
    const entryAt = this.region.first + 1 + slot;

    if (sealed.length <= INLINE_MAX) {
      // one single-block write creates or replaces the asset
      const block = this.entryBlock({ blocks: 0, start: 0, part, uid }, sealed);
      await this.io(() => this.host.write(entryAt, [block]));
      this.commit(slot, { blocks: 0, start: 0, part, uid, raw: block }, old);
      return;
    }
    const n = Math.ceil(sealed.length / BLOCK_SIZE);
    const padded = new Uint8Array(n * BLOCK_SIZE);
    padded.set(sealed);
    const blocks = Array.from({ length: n }, (_, i) => padded.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
    if (old && old.blocks === n && n <= this.host.opts.maxWriteBlocks) {
      // one reliable write replaces the whole run in place; the entry does not change
      await this.io(() => this.host.write(this.region.first + this.dataStart + old.start, blocks));
      return;
    }
    const start = this.allocate(n);
    if (start < 0) throw new AssetIntegrityError(PSA.ERROR_INSUFFICIENT_STORAGE, `no ${n} contiguous free RPMB blocks for ITS data`);
    const e = { blocks: n, start, part, uid };
    this.mark(e as Entry, 1); // reserve the run before any await
    try {
      await this.io(() => this.host.write(this.region.first + this.dataStart + start, blocks));
      const block = this.entryBlock(e);
      await this.io(() => this.host.write(entryAt, [block])); // the commit point
      this.commit(slot, { ...e, raw: block }, old);
    } catch (err) {
      this.mark(e as Entry, 0);
      if (old) this.mark(old, 1);
      throw err;
    }
  }

  private commit(slot: number, e: Entry, old: Entry | undefined): void {
    if (old) this.mark(old, 0);
    this.mark(e, 1);
    this.slots.set(slot, e);
    this.index.set(key(e.part, e.uid), slot);
  }

  async remove(part: bigint, uid: bigint): Promise<void> {
    const slot = this.index.get(key(part, uid));
    if (slot === undefined) return;
    await this.io(() => this.host.write(this.region.first + 1 + slot, [new Uint8Array(BLOCK_SIZE)]));
    this.mark(this.slots.get(slot)!, 0);
    this.slots.delete(slot);
    this.index.delete(key(part, uid));
  }

  /** RPMB failures become PSA_ERROR_STORAGE_FAILURE. */
  private async io<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      if (e instanceof RpmbHostError) throw new AssetIntegrityError(PSA.ERROR_STORAGE_FAILURE, `RPMB: ${e.message}`);
      throw e;
    }
  }
}

/** One ITS partition's view of the RPMB file store. */
export class RpmbFsBackend implements AssetBackend {
  private readonly part: bigint;

  constructor(
    private readonly fs: RpmbFs,
    partition: string,
  ) {
    this.part = partitionId(partition);
  }

  load(uid: bigint): Promise<AssetRecord | undefined> {
    return this.fs.load(this.part, uid);
  }
  store(uid: bigint, rec: AssetRecord): Promise<void> {
    return this.fs.store(this.part, uid, rec);
  }
  remove(uid: bigint): Promise<void> {
    return this.fs.remove(this.part, uid);
  }
  async list(): Promise<bigint[]> {
    return this.fs.list(this.part);
  }
}

/** A partition whose store could not be opened: every access answers `status`. */
export class FailedBackend implements AssetBackend {
  constructor(
    private readonly status: number,
    private readonly why: string,
    log: (line: string) => void = () => {},
  ) {
    log(why);
  }
  private fail(): never {
    throw new AssetIntegrityError(this.status, this.why);
  }
  async load(): Promise<AssetRecord | undefined> {
    return this.fail();
  }
  async store(): Promise<void> {
    return this.fail();
  }
  async remove(): Promise<void> {
    return this.fail();
  }
  async list(): Promise<bigint[]> {
    return [];
  }
}
