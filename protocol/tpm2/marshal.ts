// Canonical TPM 2.0 marshalling (Part 1, 18 and Part 2, 4-5): big-endian
// integers and size-prefixed TPM2B buffers. Unmarshalling errors carry the
// TPM_RC a TPM answers for them (INSUFFICIENT when bytes run out, SIZE when a
// TPM2B is larger than its structure allows, VALUE / HASH / ... when a field
// is not one of its allowed values), so the reference TPM adds the parameter
// number and the client reports the same failure in the same words.
import { DecodeError, Writer } from '../bytes.js';
import { RC, rcName } from './rc.js';

/** A marshalling error with the response code a TPM gives for it (without parameter number). */
export class TpmDecodeError extends DecodeError {
  constructor(
    readonly rc: number,
    message: string,
    offset?: number,
  ) {
    super(`${message} [${rcName(rc)}]`, offset);
    this.name = 'TpmDecodeError';
  }
}

/** Bounded big-endian reader for TPM structures. */
export class TpmReader {
  offset = 0;
  private readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    readonly what = 'TPM structure',
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  fail(rc: number, message: string): never {
    throw new TpmDecodeError(rc, `${this.what}: ${message}`, this.offset);
  }

  private need(n: number, field: string): number {
    if (this.remaining < n) this.fail(RC.INSUFFICIENT, `${field} needs ${n} byte(s), ${this.remaining} left`);
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u8(field = 'u8'): number {
    return this.view.getUint8(this.need(1, field));
  }
  u16(field = 'u16'): number {
    return this.view.getUint16(this.need(2, field), false);
  }
  u32(field = 'u32'): number {
    return this.view.getUint32(this.need(4, field), false);
  }
  u64(field = 'u64'): bigint {
    return this.view.getBigUint64(this.need(8, field), false);
  }
  bytes(n: number, field = 'bytes'): Uint8Array {
    const at = this.need(n, field);
    return this.buf.slice(at, at + n);
  }
  /** TPM2B: u16 size then that many bytes; `max` is the largest size the structure allows. */
  tpm2b(field = 'TPM2B', max = 0xffff): Uint8Array {
    const size = this.u16(`${field}.size`);
    if (size > max) this.fail(RC.SIZE, `${field}.size ${size} is larger than ${max}`);
    return this.bytes(size, field);
  }
  rest(): Uint8Array {
    const out = this.buf.slice(this.offset);
    this.offset = this.buf.length;
    return out;
  }
  /** A sized structure: u16 size, then `parse` must consume exactly that many bytes (TPM_RC_SIZE otherwise). */
  sized<T>(field: string, parse: (r: TpmReader) => T, allowEmpty = false): T | undefined {
    const size = this.u16(`${field}.size`);
    if (size === 0 && allowEmpty) return undefined;
    if (size === 0) this.fail(RC.SIZE, `${field} is empty`);
    const inner = new TpmReader(this.bytes(size, field), field);
    const v = parse(inner);
    if (inner.remaining !== 0) this.fail(RC.SIZE, `${field}.size ${size} does not match its contents (${inner.remaining} byte(s) left over)`);
    return v;
  }
}

/** Big-endian writer with TPM2B helpers. */
export class TpmWriter {
  private readonly w: Writer;
  constructor(initial = 128) {
    this.w = new Writer(initial);
  }
  get length(): number {
    return this.w.length;
  }
  u8(v: number): this {
    this.w.u8(v & 0xff);
    return this;
  }
  u16(v: number): this {
    this.w.u16be(v & 0xffff);
    return this;
  }
  u32(v: number): this {
    this.w.u32be(v >>> 0);
    return this;
  }
  u64(v: bigint | number): this {
    this.w.u64be(v);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.w.bytes(b);
    return this;
  }
  tpm2b(b: Uint8Array): this {
    this.w.u16be(b.length);
    this.w.bytes(b);
    return this;
  }
  /** A sized structure: the bytes `fill` writes, prefixed by their u16 length. */
  sized(fill: (w: TpmWriter) => void): this {
    const inner = new TpmWriter();
    fill(inner);
    return this.tpm2b(inner.finish());
  }
  finish(): Uint8Array {
    return this.w.finish();
  }
}

export function be32(v: number): Uint8Array {
  return new TpmWriter(4).u32(v).finish();
}
export function be16(v: number): Uint8Array {
  return new TpmWriter(2).u16(v).finish();
}
