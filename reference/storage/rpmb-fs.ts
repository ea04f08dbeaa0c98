// The ITS file store on RPMB: every ITS partition's assets in the secure
// world's partition of the board's eMMC, through the authenticated RPMB
// driver. RPMB gives integrity and replay protection (only the holder of the
// key writes, reads are MAC'd with a fresh nonce); AES-256-GCM with a key
// derived from the HUK gives confidentiality, since anyone can read RPMB.
//
// Layout of the region (block numbers relative to its first block):
//   0            superblock: "FWSITSFS" | u32le version 1 | u32le directory
//                blocks | u32le data start | u32le data blocks | u32le entry size
//   1..D         directory: 6 entries of 40 bytes per block
//                  u8 used | u8 version | u16le blocks | u32le first data block |
//                  u64le partition id | u64le uid | 16 bytes reserved
//   D+1..        data: nonce(12) | u32le n | AES-256-GCM(u32le flags |
//                u32le capacity | data) (n bytes, then the 16-byte tag),
//                AAD = partition id | uid | n
//
// A new version that needs the same number of blocks, no more than one
// reliable write carries (2 × REL_WR_SEC_C), is written in place by that one
// authenticated write: the device writes all of it or none. Anything else is
// copy-on-write: the new data goes to free blocks first, then the one
// directory block holding the entry is rewritten (a single-block write: the
// commit point). A power cut leaves the old version whole or the new one.
import { gcm } from '@noble/ciphers/aes.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { Reader, Writer, concat, utf8 } from '../../protocol/bytes.js';
import { PSA } from '../../protocol/psa/status.js';
import { BLOCK_SIZE } from '../../protocol/rpmb/frame.js';
import { RpmbHostError, type RpmbHost } from '../rpmb/host.js';
import { AssetIntegrityError, type AssetBackend, type AssetRecord } from './asset-store.js';

const MAGIC = 'FWSITSFS';
const VERSION = 1;
export const ENTRY_SIZE = 40;
export const ENTRIES_PER_BLOCK = Math.floor(BLOCK_SIZE / ENTRY_SIZE); // 6
const NONCE = 12;
const TAG = 16;

interface Entry {
  used: boolean;
  blocks: number;
  start: number;
  part: bigint;
  uid: bigint;
}

const FREE: Entry = { used: false, blocks: 0, start: 0, part: 0n, uid: 0n };

function encodeEntry(w: Writer, e: Entry): void {
  w.u8(e.used ? 1 : 0).u8(e.used ? 1 : 0).u16le(e.blocks).u32le(e.start).u64le(e.part).u64le(e.uid).zeros(16);
}

function decodeEntry(r: Reader): Entry {
  const used = r.u8() === 1;
  r.u8();
  const e = { used, blocks: r.u16le(), start: r.u32le(), part: r.u64le(), uid: r.u64le() };
  r.bytes(16);
  return used ? e : FREE;
}

function aad(part: bigint, uid: bigint, n: number): Uint8Array {
  return new Writer(20).u64le(part).u64le(uid).u32le(n).finish();
}

/** A partition name's id in the directory: the first 8 bytes of SHA-256(name). */
export function partitionId(name: string): bigint {
  return new DataView(sha256(utf8(name)).buffer).getBigUint64(0, true);
}

export interface RpmbFsOptions {
  dirEntries: number;
  /** AES-256-GCM key for asset data. */
  key: Uint8Array;
  log?: (line: string) => void;
}

export class RpmbFs {
  private entries: Entry[] = [];
  private used!: Uint8Array;
  private dirBlocks = 0;
  private dataStart = 0;
  private dataBlocks = 0;

  private constructor(
    private readonly host: RpmbHost,
    readonly region: { first: number; blocks: number },
    private readonly opts: RpmbFsOptions,
  ) {}

  /** Reads the superblock and the directory; formats a blank region. */
  static async mount(host: RpmbHost, region: { first: number; blocks: number }, opts: RpmbFsOptions): Promise<RpmbFs> {
    const fs = new RpmbFs(host, region, opts);
    await fs.mountRegion();
    return fs;
  }

  private async mountRegion(): Promise<void> {
    const [sb] = await this.host.read(this.region.first, 1);
    if (sb!.every((b) => b === 0)) {
      this.dirBlocks = Math.ceil(this.opts.dirEntries / ENTRIES_PER_BLOCK);
      this.dataStart = 1 + this.dirBlocks;
      this.dataBlocks = this.region.blocks - this.dataStart;
      if (this.dataBlocks < 16) throw new Error(`ITS region of ${this.region.blocks} blocks is too small for ${this.opts.dirEntries} directory entries`);
      const w = new Writer(BLOCK_SIZE);
      for (const c of MAGIC) w.u8(c.charCodeAt(0));
      w.u32le(VERSION).u32le(this.dirBlocks).u32le(this.dataStart).u32le(this.dataBlocks).u32le(ENTRY_SIZE).zeros(BLOCK_SIZE - 28);
      await this.host.write(this.region.first, [w.finish()]);
      this.opts.log?.(`ITS on RPMB: formatted ${this.region.blocks} blocks (${this.dirBlocks} directory blocks)`);
    } else {
      const r = new Reader(sb!, 'ITS superblock');
      const magic = String.fromCharCode(...r.bytes(8));
      const version = r.u32le();
      if (magic !== MAGIC || version !== VERSION) throw new Error(`ITS region holds no ${MAGIC} v${VERSION} superblock`);
      this.dirBlocks = r.u32le();
      this.dataStart = r.u32le();
      this.dataBlocks = r.u32le();
      if (r.u32le() !== ENTRY_SIZE || this.dataStart + this.dataBlocks > this.region.blocks) throw new Error('ITS superblock inconsistent');
    }
    const dir = await this.host.read(this.region.first + 1, this.dirBlocks);
    this.entries = [];
    for (const b of dir) {
      const r = new Reader(b, 'ITS directory block');
      for (let i = 0; i < ENTRIES_PER_BLOCK; i++) this.entries.push(decodeEntry(r));
    }
    this.used = new Uint8Array(this.dataBlocks);
    for (const e of this.entries) if (e.used) this.mark(e, 1);
  }

  private mark(e: Entry, v: number): void {
    this.used.fill(v, e.start, Math.min(this.dataBlocks, e.start + e.blocks));
  }

  private slotOf(part: bigint, uid: bigint): number {
    return this.entries.findIndex((e) => e.used && e.part === part && e.uid === uid);
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

  private async writeDirBlock(slot: number): Promise<void> {
    const b = Math.floor(slot / ENTRIES_PER_BLOCK);
    const w = new Writer(BLOCK_SIZE);
    for (let i = b * ENTRIES_PER_BLOCK; i < (b + 1) * ENTRIES_PER_BLOCK; i++) encodeEntry(w, this.entries[i] ?? FREE);
    w.zeros(BLOCK_SIZE - w.length);
    await this.host.write(this.region.first + 1 + b, [w.finish()]);
  }

  list(part: bigint): bigint[] {
    return this.entries.filter((e) => e.used && e.part === part).map((e) => e.uid);
  }

  get usage(): { entries: number; freeEntries: number; dataBlocks: number; freeBlocks: number } {
    const free = this.used.reduce((n, v) => n + (v ? 0 : 1), 0);
    const usedEntries = this.entries.filter((e) => e.used).length;
    return { entries: usedEntries, freeEntries: this.entries.length - usedEntries, dataBlocks: this.dataBlocks, freeBlocks: free };
  }

  async load(part: bigint, uid: bigint): Promise<AssetRecord | undefined> {
    const slot = this.slotOf(part, uid);
    if (slot < 0) return undefined;
    const e = this.entries[slot]!;
    const blocks = await this.io(() => this.host.read(this.region.first + this.dataStart + e.start, e.blocks));
    const blob = concat(...blocks);
    try {
      const n = new DataView(blob.buffer, blob.byteOffset + NONCE, 4).getUint32(0, true);
      if (NONCE + 4 + n + TAG > blob.length || n < 8) throw new Error('length');
      const plain = gcm(this.opts.key, blob.subarray(0, NONCE), aad(part, uid, n)).decrypt(blob.subarray(NONCE + 4, NONCE + 4 + n + TAG));
      const v = new DataView(plain.buffer, plain.byteOffset, 8);
      return { flags: v.getUint32(0, true), capacity: v.getUint32(4, true), data: plain.slice(8) };
    } catch {
      throw new AssetIntegrityError(PSA.ERROR_STORAGE_FAILURE, `ITS asset ${uid.toString(16)}: data failed authentication`);
    }
  }

  /** The blocks of one sealed version of an asset. */
  private seal(part: bigint, uid: bigint, rec: AssetRecord): Uint8Array[] {
    const plain = new Writer(8 + rec.data.length).u32le(rec.flags).u32le(rec.capacity).bytes(rec.data).finish();
    const nonce = new Uint8Array(randomBytes(NONCE));
    const sealed = concat(nonce, new Writer(4).u32le(plain.length).finish(), gcm(this.opts.key, nonce, aad(part, uid, plain.length)).encrypt(plain));
    const n = Math.ceil(sealed.length / BLOCK_SIZE);
    const padded = new Uint8Array(n * BLOCK_SIZE);
    padded.set(sealed);
    return Array.from({ length: n }, (_, i) => padded.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
  }

  async store(part: bigint, uid: bigint, rec: AssetRecord): Promise<void> {
    const blocks = this.seal(part, uid, rec);
    const n = blocks.length;
    const old = this.slotOf(part, uid);
    if (old >= 0 && this.entries[old]!.blocks === n && n <= this.host.opts.maxWriteBlocks) {
      // one reliable write replaces the whole version: atomic on the device
      await this.io(() => this.host.write(this.region.first + this.dataStart + this.entries[old]!.start, blocks));
      return;
    }
    let slot = old;
    if (slot < 0) slot = this.entries.findIndex((e) => !e.used);
    if (slot < 0) throw new AssetIntegrityError(PSA.ERROR_INSUFFICIENT_STORAGE, 'ITS directory on RPMB is full');
    const start = this.allocate(n);
    if (start < 0) throw new AssetIntegrityError(PSA.ERROR_INSUFFICIENT_STORAGE, `no ${n} contiguous free RPMB blocks for ITS data`);
    const e: Entry = { used: true, blocks: n, start, part, uid };
    this.mark(e, 1); // reserve the run before any await
    try {
      await this.io(() => this.host.write(this.region.first + this.dataStart + start, blocks));
      const before = this.entries[slot]!;
      this.entries[slot] = e;
      try {
        await this.io(() => this.writeDirBlock(slot)); // the commit point
      } catch (err) {
        this.entries[slot] = before;
        throw err;
      }
    } finally {
      // committed: the old run is free; failed: the reserved run is free again
      this.recomputeUsed();
    }
  }

  async remove(part: bigint, uid: bigint): Promise<void> {
    const slot = this.slotOf(part, uid);
    if (slot < 0) return;
    const before = this.entries[slot]!;
    this.entries[slot] = FREE;
    try {
      await this.io(() => this.writeDirBlock(slot));
    } catch (err) {
      this.entries[slot] = before;
      throw err;
    }
    this.recomputeUsed();
  }

  private recomputeUsed(): void {
    this.used.fill(0);
    for (const e of this.entries) if (e.used) this.mark(e, 1);
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
