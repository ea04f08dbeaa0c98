// The fwsec envelope: vectors computed outside this codebase (Python's
// binascii.crc32 over the hand-written header bytes), both directions, and
// the resynchronising parser under noise, splits and oversize frames.
import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { concat, fromHex, hex } from '../../protocol/bytes.js';
import {
  EnvelopeError,
  FrameKind,
  FrameParser,
  decodeErrorBody,
  decodeFrame,
  encodeFrame,
  errorFrame,
  type Frame,
  type ParserEvent,
} from '../../protocol/envelope.js';

const REQUEST_HEX =
  '465753450101000100000007000001030000000000000008' + 'f4e6c2c9' + '0100000000000000' + 'a988dff7';
const REQUEST: Frame = { kind: FrameKind.REQUEST, service: 1, seq: 7, opcode: 0x103, status: 0, body: fromHex('0100000000000000') };
const RESPONSE_HEX = '46575345010200010000000700000103ffffff7400000000' + '05806d47' + '00000000';
const ERROR_HEX = '465753450103000100000009000000000000000300000009' + '9c5cd535' + '0003746f6f20626967' + '1ee92e03';

function parseAll(bytes: Uint8Array, chunks: number[] = [], max?: number): ParserEvent[] {
  const p = new FrameParser(max);
  const events: ParserEvent[] = [];
  let off = 0;
  for (const n of chunks) {
    p.push(bytes.subarray(off, off + n), (e) => events.push(e));
    off += n;
  }
  p.push(bytes.subarray(off), (e) => events.push(e));
  return events;
}

const frames = (evs: ParserEvent[]) => evs.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));

describe('envelope vectors', () => {
  it('encodes a request (remove uid 1 on ITS) to the known bytes', () => {
    expect(hex(encodeFrame(REQUEST))).toBe(REQUEST_HEX);
  });
  it('decodes the known request bytes', () => {
    expect(decodeFrame(fromHex(REQUEST_HEX))).toEqual(REQUEST);
  });
  it('encodes and decodes a response carrying a negative status (PSA_ERROR_DOES_NOT_EXIST)', () => {
    const f: Frame = { kind: FrameKind.RESPONSE, service: 1, seq: 7, opcode: 0x103, status: -140, body: new Uint8Array(0) };
    expect(hex(encodeFrame(f))).toBe(RESPONSE_HEX);
    expect(decodeFrame(fromHex(RESPONSE_HEX))).toEqual(f);
  });
  it('encodes an error frame with code and text', () => {
    const f = errorFrame(9, 1, EnvelopeError.FRAME_TOO_LARGE, 'too big');
    expect(hex(encodeFrame(f))).toBe(ERROR_HEX);
    expect(decodeErrorBody(decodeFrame(fromHex(ERROR_HEX)).body)).toEqual({ code: 3, message: 'too big' });
  });
  it('rejects a frame whose body CRC is wrong', () => {
    const bad = fromHex(REQUEST_HEX);
    bad[bad.length - 1] ^= 1;
    expect(() => decodeFrame(bad)).toThrow(/CRC/);
    expect(parseAll(bad)).toEqual([{ type: 'bad-crc', seq: 7, service: 1 }]);
  });
});

describe('frame parser', () => {
  it('skips boot chatter and line noise before a frame, and reports it', () => {
    const noise = new TextEncoder().encode('U-Boot 2024.01\r\nFWS garbage FWSE\x00\x01');
    const evs = parseAll(concat(noise, fromHex(REQUEST_HEX)));
    expect(frames(evs)).toEqual([REQUEST]);
    const garbage = evs.filter((e) => e.type === 'garbage').reduce((n, e) => n + (e as { bytes: number }).bytes, 0);
    expect(garbage).toBe(noise.length);
  });

  it('skips an oversize frame without buffering it and parses the next one', () => {
    const big = encodeFrame({ ...REQUEST, seq: 8, body: new Uint8Array(5000) });
    const evs = parseAll(concat(big, fromHex(REQUEST_HEX)), [100, 3000], 4096);
    expect(evs[0]).toEqual({ type: 'too-large', length: 5000, seq: 8, service: 1 });
    expect(frames(evs)).toEqual([REQUEST]);
  });

  it('reports a header of another envelope version and skips its body', () => {
    const v2 = encodeFrame({ ...REQUEST, seq: 3 });
    v2[4] = 2;
    // re-seal the header so only the version is wrong
    new DataView(v2.buffer).setUint32(24, crc32(v2.subarray(0, 24)), false);
    const evs = parseAll(concat(v2, fromHex(REQUEST_HEX)));
    expect(evs[0]).toEqual({ type: 'bad-version', version: 2, seq: 3, service: 1 });
    expect(frames(evs)).toEqual([REQUEST]);
  });

  fcTest.prop([
    fc.array(
      fc.record({
        service: fc.integer({ min: 0, max: 0xffff }),
        seq: fc.integer({ min: 0, max: 0xffffffff }),
        opcode: fc.integer({ min: 0, max: 0xffffffff }),
        status: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        body: fc.uint8Array({ maxLength: 300 }),
        noise: fc.uint8Array({ maxLength: 40 }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    fc.array(fc.integer({ min: 1, max: 97 }), { maxLength: 30 }),
  ])('recovers every frame from any mix of frames, noise and split reads', (items, cuts) => {
    const sent: Frame[] = items.map(({ noise: _n, ...f }) => ({ kind: FrameKind.REQUEST, ...f }));
    // noise must not itself contain a complete valid frame: random bytes never carry both CRCs
    const stream = concat(...items.flatMap((it, i) => [it.noise, encodeFrame(sent[i]!)]));
    expect(frames(parseAll(stream, cuts))).toEqual(sent);
  });
});
