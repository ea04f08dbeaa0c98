// The non-volatile part of an emulated eMMC RPMB partition on the reference
// Medium (memory, or atomic files under --state DIR):
//
//   <prefix>/meta         u32le version 1 | u8 key programmed | u8[32] key |
//                         u32le counter | u8[2] configuration | u32le CRC-32
//   <prefix>/c/<chunk>    u32le counter stamp | 64 blocks × 256 bytes | u32le CRC-32
//   <prefix>/journal      u32le counter | u16le address | u16le count | blocks | u32le CRC-32
//
// Every authenticated write is one atomic Medium write: the chunk holding
// the blocks, stamped with the counter value after the write. The counter
// at power-on is the largest stamp (or the meta counter, which key
// programming and configuration writes set). A write that spans two chunks
// first writes the journal (its commit point), then both chunks, then
// removes the journal; power-on replays a journal it finds.
import { crc32 } from 'node:zlib';
import { Reader, Writer } from '../../protocol/bytes.js';
import { BLOCK_SIZE, KEY_SIZE } from '../../protocol/rpmb/frame.js';
import type { Medium } from '../medium.js';
import type { RpmbNvState, RpmbStore } from './device.js';

export const CHUNK_BLOCKS = 64;
const CHUNK_BYTES = CHUNK_BLOCKS * BLOCK_SIZE;
const META_VERSION = 1;

function seal(w: Writer): Uint8Array {
  const body = w.finish();
  return new Writer(body.length + 4).bytes(body).u32le(crc32(body)).finish();
}

function unseal(bytes: Uint8Array | undefined): Uint8Array | undefined {
  if (!bytes || bytes.length < 4) return undefined;
  const body = bytes.subarray(0, bytes.length - 4);
  const crc = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
  return crc32(body) === crc ? body : undefined;
}

interface Chunk {
  stamp: number;
  data: Uint8Array;
  /** The chunk file exists but fails its CRC (the emulated flash was damaged): reads fail. */
  damaged?: boolean;
}

export class MediumRpmbStore implements RpmbStore {
  private chunks = new Map<number, Chunk>();
  private meta: RpmbNvState = { counter: 0, config: new Uint8Array(2) };

  constructor(
    private readonly medium: Medium,
    readonly prefix: string,
    /** Counter of a factory-fresh device (0 for real parts; test devices may start elsewhere). */
    private readonly initialCounter = 0,
  ) {}

  /** A device is present on the medium once anything of it was written. */
  static exists(medium: Medium, prefix: string): boolean {
    return medium.read(`${prefix}/meta`) !== undefined || medium.list(`${prefix}/c`).length > 0;
  }

  private chunkKey(i: number): string {
    return `${this.prefix}/c/${i.toString(16).padStart(4, '0')}`;
  }

  private readChunk(i: number): Chunk {
    let c = this.chunks.get(i);
    if (!c) {
      const raw = this.medium.read(this.chunkKey(i));
      const body = unseal(raw);
      if (body && body.length === 4 + CHUNK_BYTES) {
        c = { stamp: new DataView(body.buffer, body.byteOffset, 4).getUint32(0, true), data: body.slice(4) };
      } else {
        // never written: the erased state; written but unreadable: damaged (writes are atomic, so not by a power cut)
        c = { stamp: 0, data: new Uint8Array(CHUNK_BYTES), damaged: raw !== undefined };
      }
      this.chunks.set(i, c);
    }
    return c;
  }

  private writeChunk(i: number, c: Chunk): void {
    this.medium.write(this.chunkKey(i), seal(new Writer(8 + CHUNK_BYTES).u32le(c.stamp).bytes(c.data)));
    this.chunks.set(i, c);
  }

  private writeMeta(m: RpmbNvState): void {
    const w = new Writer(48).u32le(META_VERSION).u8(m.key ? 1 : 0).bytes(m.key ?? new Uint8Array(KEY_SIZE)).u32le(m.counter).bytes(m.config);
    this.medium.write(`${this.prefix}/meta`, seal(w));
    this.meta = { ...m, config: m.config.slice() };
  }

  /** Records a factory-fresh device (used for test devices with a chosen initial counter). */
  create(): void {
    this.writeMeta({ counter: this.initialCounter, config: new Uint8Array(2) });
  }

  async load(): Promise<RpmbNvState> {
    this.chunks.clear();
    const body = unseal(this.medium.read(`${this.prefix}/meta`));
    if (body) {
      const r = new Reader(body, 'rpmb meta');
      r.u32le('version');
      const programmed = r.u8('programmed') === 1;
      const key = r.bytes(KEY_SIZE, 'key').slice();
      const counter = r.u32le('counter');
      const config = r.bytes(2, 'config').slice();
      this.meta = { key: programmed ? key : undefined, counter, config };
    } else {
      this.meta = { counter: this.initialCounter, config: new Uint8Array(2) };
    }
    let counter = this.meta.counter;
    for (const name of this.medium.list(`${this.prefix}/c`)) {
      const i = Number.parseInt(name, 16);
      if (Number.isInteger(i)) counter = Math.max(counter, this.readChunk(i).stamp);
    }
    const journal = unseal(this.medium.read(`${this.prefix}/journal`));
    if (journal) {
      const r = new Reader(journal, 'rpmb journal');
      const jc = r.u32le('counter');
      const address = r.u16le('address');
      const count = r.u16le('count');
      const blocks: Uint8Array[] = [];
      for (let i = 0; i < count; i++) blocks.push(r.bytes(BLOCK_SIZE, 'block').slice());
      this.apply(address, blocks, jc);
      this.medium.delete(`${this.prefix}/journal`);
      counter = Math.max(counter, jc);
    }
    return { key: this.meta.key, counter, config: this.meta.config.slice() };
  }

  async readBlocks(address: number, count: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (let a = address; a < address + count; a++) {
      const c = this.readChunk(Math.floor(a / CHUNK_BLOCKS));
      if (c.damaged) throw new Error(`${this.prefix}: chunk ${Math.floor(a / CHUNK_BLOCKS)} is damaged`);
      const off = (a % CHUNK_BLOCKS) * BLOCK_SIZE;
      out.push(c.data.slice(off, off + BLOCK_SIZE));
    }
    return out;
  }

  private apply(address: number, blocks: readonly Uint8Array[], counter: number): void {
    const touched = new Map<number, Chunk>();
    blocks.forEach((b, k) => {
      const a = address + k;
      const i = Math.floor(a / CHUNK_BLOCKS);
      let c = touched.get(i);
      if (!c) {
        const old = this.readChunk(i);
        c = { stamp: counter, data: old.data.slice() };
        touched.set(i, c);
      }
      c.data.set(b, (a % CHUNK_BLOCKS) * BLOCK_SIZE);
    });
    for (const [i, c] of touched) this.writeChunk(i, c);
  }

  async writeBlocks(address: number, blocks: readonly Uint8Array[], counter: number): Promise<void> {
    const first = Math.floor(address / CHUNK_BLOCKS);
    const last = Math.floor((address + blocks.length - 1) / CHUNK_BLOCKS);
    if (first === last) {
      this.apply(address, blocks, counter);
      return;
    }
    const w = new Writer(12 + blocks.length * BLOCK_SIZE).u32le(counter).u16le(address).u16le(blocks.length);
    for (const b of blocks) w.bytes(b);
    this.medium.write(`${this.prefix}/journal`, seal(w));
    this.apply(address, blocks, counter);
    this.medium.delete(`${this.prefix}/journal`);
  }

  async programKey(key: Uint8Array): Promise<void> {
    const counter = await this.currentCounter();
    this.writeMeta({ key: key.slice(), counter, config: this.meta.config });
  }

  async writeConfig(config: Uint8Array, counter: number): Promise<void> {
    this.writeMeta({ key: this.meta.key, counter, config });
  }

  private async currentCounter(): Promise<number> {
    let counter = this.meta.counter;
    for (const c of this.chunks.values()) counter = Math.max(counter, c.stamp);
    for (const name of this.medium.list(`${this.prefix}/c`)) {
      const i = Number.parseInt(name, 16);
      if (Number.isInteger(i)) counter = Math.max(counter, this.readChunk(i).stamp);
    }
    return counter;
  }
}
