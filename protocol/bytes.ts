// Byte helpers shared by every codec: bounded readers and growable writers
// for little- and big-endian fields, hex formatting. Pure, no I/O.

/** Thrown by a codec when bytes do not form a valid message. */
export class DecodeError extends Error {
  constructor(message: string, readonly offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = 'DecodeError';
  }
}

export const U64_MAX = 0xffff_ffff_ffff_ffffn;

export function hex(bytes: Uint8Array, max = Infinity): string {
  const n = Math.min(bytes.length, max);
  let s = '';
  for (let i = 0; i < n; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  if (n < bytes.length) s += `…(+${bytes.length - n} bytes)`;
  return s;
}

export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/[\s:_]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new DecodeError(`not a hex string: ${JSON.stringify(text.slice(0, 40))}`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function fromUtf8(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** `0x` + hex of a bigint or number, for messages. */
export function hexNum(v: number | bigint, width = 0): string {
  const n = BigInt(v);
  const digits = (n < 0n ? -n : n).toString(16).padStart(width, '0');
  return (n < 0n ? '-0x' : '0x') + digits;
}

/** Sequential reader with bounds checks; every read past the end throws DecodeError. */
export class Reader {
  private readonly view: DataView;
  offset = 0;

  constructor(readonly buf: Uint8Array, private readonly what = 'message') {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number, field: string): number {
    if (this.remaining < n) {
      throw new DecodeError(
        `${this.what} too short: ${field} needs ${n} bytes, ${this.remaining} left`,
        this.offset,
      );
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u8(field = 'u8'): number {
    return this.view.getUint8(this.need(1, field));
  }
  u16le(field = 'u16'): number {
    return this.view.getUint16(this.need(2, field), true);
  }
  u16be(field = 'u16'): number {
    return this.view.getUint16(this.need(2, field), false);
  }
  u32le(field = 'u32'): number {
    return this.view.getUint32(this.need(4, field), true);
  }
  u32be(field = 'u32'): number {
    return this.view.getUint32(this.need(4, field), false);
  }
  i32le(field = 'i32'): number {
    return this.view.getInt32(this.need(4, field), true);
  }
  i32be(field = 'i32'): number {
    return this.view.getInt32(this.need(4, field), false);
  }
  u64le(field = 'u64'): bigint {
    return this.view.getBigUint64(this.need(8, field), true);
  }
  u64be(field = 'u64'): bigint {
    return this.view.getBigUint64(this.need(8, field), false);
  }
  bytes(n: number, field = 'bytes'): Uint8Array {
    const at = this.need(n, field);
    return this.buf.subarray(at, at + n);
  }
  rest(): Uint8Array {
    const out = this.buf.subarray(this.offset);
    this.offset = this.buf.length;
    return out;
  }
}

/** Growable writer. */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initial = 64) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  u8(v: number): this {
    const at = this.room(1);
    this.view.setUint8(at, v);
    return this;
  }
  u16le(v: number): this {
    const at = this.room(2);
    this.view.setUint16(at, v, true);
    return this;
  }
  u16be(v: number): this {
    const at = this.room(2);
    this.view.setUint16(at, v, false);
    return this;
  }
  u32le(v: number): this {
    const at = this.room(4);
    this.view.setUint32(at, v >>> 0, true);
    return this;
  }
  u32be(v: number): this {
    const at = this.room(4);
    this.view.setUint32(at, v >>> 0, false);
    return this;
  }
  i32le(v: number): this {
    const at = this.room(4);
    this.view.setInt32(at, v | 0, true);
    return this;
  }
  i32be(v: number): this {
    const at = this.room(4);
    this.view.setInt32(at, v | 0, false);
    return this;
  }
  u64le(v: bigint | number): this {
    const at = this.room(8);
    this.view.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
    return this;
  }
  u64be(v: bigint | number): this {
    const at = this.room(8);
    this.view.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), false);
    return this;
  }
  bytes(b: Uint8Array): this {
    const at = this.room(b.length); // room() may replace this.buf: take the offset first
    this.buf.set(b, at);
    return this;
  }
  zeros(n: number): this {
    this.room(n);
    return this;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
