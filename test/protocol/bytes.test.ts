import { describe, expect, it } from 'vitest';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { DecodeError, Reader, Writer, fromHex, hex, hexNum } from '../../protocol/bytes.js';

describe('Writer', () => {
  it('keeps every field when it has to grow past its initial size', () => {
    const w = new Writer(1);
    w.u8(0xaa).u16le(0x0102).u16be(0x0304).u32le(0x05060708).u32be(0x090a0b0c).i32le(-2).i32be(-3);
    w.u64le(0x1112131415161718n).u64be(0x2122232425262728n).bytes(fromHex('deadbeef')).zeros(2);
    expect(hex(w.finish())).toBe(
      'aa' + '0201' + '0304' + '08070605' + '090a0b0c' + 'feffffff' + 'fffffffd' + '1817161514131211' + '2122232425262728' + 'deadbeef' + '0000',
    );
  });

  fcTest.prop([fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 20 }), fc.integer({ min: 1, max: 8 })])(
    'bytes() appended through any number of reallocations come out in order',
    (parts, initial) => {
      const w = new Writer(initial);
      for (const p of parts) w.bytes(p);
      expect(hex(w.finish())).toBe(parts.map((p) => hex(p)).join(''));
    },
  );
});

describe('Reader', () => {
  it('reads fields in both byte orders and refuses to read past the end, naming the field', () => {
    const r = new Reader(fromHex('0102030405'), 'test message');
    expect(r.u16le()).toBe(0x0201);
    expect(r.u16be()).toBe(0x0304);
    expect(() => r.u32le('counter')).toThrow(new DecodeError('test message too short: counter needs 4 bytes, 1 left', 4));
  });
  it('formats hex and numbers', () => {
    expect(hex(fromHex('00ff10'), 2)).toBe('00ff…(+1 bytes)');
    expect(hexNum(255, 4)).toBe('0x00ff');
    expect(hexNum(-1)).toBe('-0x1');
    expect(() => fromHex('abc')).toThrow(DecodeError);
  });
});
