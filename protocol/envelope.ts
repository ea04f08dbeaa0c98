// The fwsec envelope: how a request for one service, and its answer, travel
// over a byte stream (TCP, serial, telnet). Layout in docs/wire-protocol.md.
//
//   off len field
//    0   4  magic "FWSE"
//    4   1  version (1)
//    5   1  kind: 1 request, 2 response, 3 error
//    6   2  service id              (big-endian)
//    8   4  sequence number         (big-endian)
//   12   4  opcode                  (big-endian, unsigned)
//   16   4  status                  (big-endian, signed)
//   20   4  body length             (big-endian, <= the receiver's max)
//   24   4  header CRC-32 of bytes 0..23
//   28   n  body
//   28+n 4  body CRC-32 of the body bytes
import { crc32 } from 'node:zlib';
import { DecodeError, Reader, Writer, fromUtf8, utf8 } from './bytes.js';

export const MAGIC = 0x46575345; // "FWSE"
export const VERSION = 1;
export const HEADER_LEN = 28;
export const TRAILER_LEN = 4;
export const OVERHEAD = HEADER_LEN + TRAILER_LEN;
export const DEFAULT_MAX_BODY = 1 << 20;

export const FrameKind = { REQUEST: 1, RESPONSE: 2, ERROR: 3 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Codes carried in the body of an error frame (u16 code, then UTF-8 text). */
export const EnvelopeError = {
  BAD_MAGIC: 1,
  UNSUPPORTED_VERSION: 2,
  FRAME_TOO_LARGE: 3,
  BAD_CRC: 4,
  UNKNOWN_SERVICE: 5,
  BAD_KIND: 6,
  SERVICE_FAILURE: 7,
  BUSY: 8,
} as const;

const ERROR_NAMES = new Map<number, string>(Object.entries(EnvelopeError).map(([k, v]) => [v, k]));
export function envelopeErrorName(code: number): string {
  return ERROR_NAMES.get(code) ?? `UNKNOWN_ERROR_${code}`;
}

export interface Frame {
  kind: FrameKind;
  service: number;
  seq: number;
  opcode: number;
  status: number;
  body: Uint8Array;
}

export function encodeFrame(f: Frame): Uint8Array {
  const w = new Writer(OVERHEAD + f.body.length);
  w.u32be(MAGIC).u8(VERSION).u8(f.kind).u16be(f.service).u32be(f.seq);
  w.u32be(f.opcode).i32be(f.status).u32be(f.body.length);
  const head = w.finish();
  w.u32be(crc32(head));
  w.bytes(f.body).u32be(crc32(f.body));
  return w.finish();
}

export function encodeErrorBody(code: number, message: string): Uint8Array {
  return new Writer().u16be(code).bytes(utf8(message)).finish();
}

export function decodeErrorBody(body: Uint8Array): { code: number; message: string } {
  if (body.length < 2) return { code: 0, message: '(empty error frame)' };
  const r = new Reader(body, 'error frame');
  return { code: r.u16be(), message: fromUtf8(r.rest()) };
}

export function errorFrame(seq: number, service: number, code: number, message: string): Frame {
  return {
    kind: FrameKind.ERROR,
    service,
    seq,
    opcode: 0,
    status: code,
    body: encodeErrorBody(code, message),
  };
}

/** Decodes exactly one complete frame (used by vector tests and one-shot tools). */
export function decodeFrame(bytes: Uint8Array, maxBody = DEFAULT_MAX_BODY): Frame {
  const events: ParserEvent[] = [];
  const p = new FrameParser(maxBody);
  p.push(bytes, (e) => events.push(e));
  const frames = events.filter((e): e is { type: 'frame'; frame: Frame } => e.type === 'frame');
  if (frames.length !== 1 || events.length !== 1 || p.buffered !== 0) {
    const problem = events.find((e) => e.type !== 'frame');
    throw new DecodeError(
      problem ? `not one valid frame: ${describeEvent(problem)}` : 'not one complete frame',
    );
  }
  return frames[0]!.frame;
}

export type ParserEvent =
  | { type: 'frame'; frame: Frame }
  /** Bytes that were not part of any frame (line noise, boot chatter, a wrong protocol). */
  | { type: 'garbage'; bytes: number }
  /** A header with a valid CRC but a version this side does not speak. */
  | { type: 'bad-version'; version: number; seq: number; service: number }
  /** A valid header announcing a body over the limit; the body is skipped. */
  | { type: 'too-large'; length: number; seq: number; service: number }
  /** Header valid, body CRC wrong: the frame is dropped. */
  | { type: 'bad-crc'; seq: number; service: number };

export function describeEvent(e: ParserEvent): string {
  switch (e.type) {
    case 'frame':
      return `frame seq ${e.frame.seq}`;
    case 'garbage':
      return `${e.bytes} byte(s) outside any frame`;
    case 'bad-version':
      return `unsupported envelope version ${e.version}`;
    case 'too-large':
      return `frame body of ${e.length} bytes over the limit`;
    case 'bad-crc':
      return `body CRC mismatch in frame seq ${e.seq}`;
  }
}

const MAGIC_BYTES = [0x46, 0x57, 0x53, 0x45];

/**
 * Incremental, resynchronising frame parser. Feed it whatever the stream
 * delivers (split or merged frames, noise); it emits complete frames and
 * reports what it had to discard. It never throws on input bytes.
 */
export class FrameParser {
  private buf = new Uint8Array(0);
  private skip = 0; // body+trailer bytes of an oversize frame still to discard
  private garbage = 0;

  constructor(readonly maxBody = DEFAULT_MAX_BODY) {}

  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array, emit: (e: ParserEvent) => void): void {
    if (this.skip > 0) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      chunk = chunk.subarray(n);
    }
    if (chunk.length === 0) return;
    const merged = new Uint8Array(this.buf.length + chunk.length);
    merged.set(this.buf);
    merged.set(chunk, this.buf.length);
    this.buf = merged;
    this.drain(emit);
  }

  private flushGarbage(emit: (e: ParserEvent) => void): void {
    if (this.garbage > 0) {
      emit({ type: 'garbage', bytes: this.garbage });
      this.garbage = 0;
    }
  }

  private drain(emit: (e: ParserEvent) => void): void {
    let pos = 0;
    const buf = this.buf;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (;;) {
      // find the magic
      const start = findMagic(buf, pos);
      if (start < 0) {
        // keep up to 3 trailing bytes that could begin a magic
        const keep = partialMagicTail(buf, pos);
        this.garbage += buf.length - pos - keep;
        pos = buf.length - keep;
        break;
      }
      this.garbage += start - pos;
      pos = start;
      if (buf.length - pos < HEADER_LEN) break;
      const headCrc = view.getUint32(pos + 24, false);
      if (crc32(buf.subarray(pos, pos + 24)) !== headCrc) {
        // a magic inside noise: not a header, step over one byte
        this.garbage += 1;
        pos += 1;
        continue;
      }
      const version = buf[pos + 4]!;
      const service = view.getUint16(pos + 6, false);
      const seq = view.getUint32(pos + 8, false);
      const length = view.getUint32(pos + 20, false);
      if (version !== VERSION || length > this.maxBody) {
        this.flushGarbage(emit);
        pos += HEADER_LEN;
        // the header CRC vouches for the length; skip the body it announces
        // (a body over the limit is never buffered, only counted away)
        const toSkip = length + TRAILER_LEN;
        const avail = buf.length - pos;
        if (avail >= toSkip) pos += toSkip;
        else {
          this.skip = toSkip - avail;
          pos = buf.length;
        }
        emit(
          version !== VERSION
            ? { type: 'bad-version', version, seq, service }
            : { type: 'too-large', length, seq, service },
        );
        continue;
      }
      const total = HEADER_LEN + length + TRAILER_LEN;
      if (buf.length - pos < total) break;
      this.flushGarbage(emit);
      const body = buf.slice(pos + HEADER_LEN, pos + HEADER_LEN + length);
      const bodyCrc = view.getUint32(pos + HEADER_LEN + length, false);
      if (crc32(body) !== bodyCrc) {
        emit({ type: 'bad-crc', seq, service });
      } else {
        emit({
          type: 'frame',
          frame: {
            kind: buf[pos + 5]! as FrameKind,
            service,
            seq,
            opcode: view.getUint32(pos + 12, false),
            status: view.getInt32(pos + 16, false),
            body,
          },
        });
      }
      pos += total;
    }
    this.flushGarbage(emit);
    this.buf = buf.slice(pos);
  }
}

function findMagic(buf: Uint8Array, from: number): number {
  for (let i = from; i + 4 <= buf.length; i++) {
    if (
      buf[i] === MAGIC_BYTES[0] &&
      buf[i + 1] === MAGIC_BYTES[1] &&
      buf[i + 2] === MAGIC_BYTES[2] &&
      buf[i + 3] === MAGIC_BYTES[3]
    ) {
      return i;
    }
  }
  return -1;
}

function partialMagicTail(buf: Uint8Array, from: number): number {
  for (let k = Math.min(3, buf.length - from); k > 0; k--) {
    let ok = true;
    for (let j = 0; j < k; j++) {
      if (buf[buf.length - k + j] !== MAGIC_BYTES[j]) {
        ok = false;
        break;
      }
    }
    if (ok) return k;
  }
  return 0;
}
