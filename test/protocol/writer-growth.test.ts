// protocol/bytes.ts Writer: fields written while the buffer grows land in the
// grown buffer (they were written into the discarded one before the fix).
import { describe, expect, it } from 'vitest';
import { Writer, hex } from '../../protocol/bytes.js';

describe('Writer growth', () => {
  it('keeps every field written across a reallocation', () => {
    const w = new Writer(2);
    w.u8(1).u16be(0x0203).u32le(0x07060504).u64be(0x08090a0b0c0d0e0fn).bytes(Uint8Array.from([0x10, 0x11])).i32be(-1);
    expect(hex(w.finish())).toBe('0102030405060708090a0b0c0d0e0f1011ffffffff');
  });
  it('appends a large byte string to a small writer', () => {
    const big = new Uint8Array(300).fill(0xab);
    const out = new Writer().u8(1).bytes(big).bytes(big).finish();
    expect(out.length).toBe(601);
    expect(out[600]).toBe(0xab);
  });
});
