// Packed-c secure storage messages: hand-written vectors (trusted-services
// secure_storage_proto.h: packed, little-endian) in both directions.
import { describe, expect, it } from 'vitest';
import { DecodeError, U64_MAX, fromHex, hex } from '../../protocol/bytes.js';
import * as S from '../../protocol/psa/storage.js';
import { psaStatusName } from '../../protocol/psa/status.js';

const vectors = {
  set: '0807060504030201' + '0300000000000000' + '01000000' + '616263',
  get: '0100000000000000' + '0200000000000000' + '1000000000000000',
  info: '2000000000000000' + '1000000000000000' + '04000000',
  create: 'ff00000000000000' + '0001000000000000' + '02000000',
  setExtended: '0200000000000000' + '0300000000000000' + '0200000000000000' + '7879',
  support: '01000000',
  uid: 'efcdab8967452301',
};

describe('secure-storage packed-c codec', () => {
  it('set: uid, data_length, create_flags, then raw data', () => {
    const req = { uid: 0x0102030405060708n, data: fromHex('616263'), flags: S.StorageFlag.WRITE_ONCE };
    expect(hex(S.encodeSet(req))).toBe(vectors.set);
    expect(S.decodeSet(fromHex(vectors.set))).toEqual(req);
  });
  it('get: uid, data_offset, data_size', () => {
    const req = { uid: 1n, offset: 2n, size: 16n };
    expect(hex(S.encodeGet(req))).toBe(vectors.get);
    expect(S.decodeGet(fromHex(vectors.get))).toEqual(req);
  });
  it('get_info response: capacity, size, flags (20 bytes)', () => {
    const info = { capacity: 32n, size: 16n, flags: S.StorageFlag.NO_REPLAY_PROTECTION };
    expect(hex(S.encodeInfo(info))).toBe(vectors.info);
    expect(S.decodeInfo(fromHex(vectors.info))).toEqual(info);
    expect(fromHex(vectors.info).length).toBe(S.SIZES.getInfoResponse);
  });
  it('create: uid, capacity, create_flags', () => {
    const req = { uid: 0xffn, capacity: 256n, flags: S.StorageFlag.NO_CONFIDENTIALITY };
    expect(hex(S.encodeCreate(req))).toBe(vectors.create);
    expect(S.decodeCreate(fromHex(vectors.create))).toEqual(req);
  });
  it('set_extended: uid, data_offset, data_length, then raw data', () => {
    const req = { uid: 2n, offset: 3n, data: fromHex('7879') };
    expect(hex(S.encodeSetExtended(req))).toBe(vectors.setExtended);
    expect(S.decodeSetExtended(fromHex(vectors.setExtended))).toEqual(req);
  });
  it('get_support response and uid-only requests', () => {
    expect(hex(S.encodeSupport(S.STORAGE_SUPPORT_SET_EXTENDED))).toBe(vectors.support);
    expect(S.decodeSupport(fromHex(vectors.support))).toBe(1);
    expect(hex(S.encodeUid(0x0123456789abcdefn))).toBe(vectors.uid);
    expect(S.decodeUid(fromHex(vectors.uid), 'remove')).toBe(0x0123456789abcdefn);
  });
  it('refuses short bodies and data_length past the body, naming the field', () => {
    expect(() => S.decodeSet(fromHex(vectors.set).subarray(0, 19))).toThrow(/create_flags/);
    expect(() => S.decodeGet(fromHex(vectors.get).subarray(0, 23))).toThrow(DecodeError);
    expect(() => S.decodeSet(S.encodeSet({ uid: 1n, data: fromHex('aa'), flags: 0 }, 2n))).toThrow(/data_length 2 exceeds the 1 byte/);
    expect(() => S.decodeSet(S.encodeSet({ uid: 1n, data: fromHex('aa'), flags: 0 }, U64_MAX))).toThrow(/SIZE_MAX/);
    expect(() => S.decodeUid(new Uint8Array(7), 'remove request')).toThrow(/remove request too short: uid/);
  });
  it('names flags, opcodes and statuses', () => {
    expect(S.storageFlagsName(0)).toBe('NONE');
    expect(S.storageFlagsName(5)).toBe('WRITE_ONCE|NO_REPLAY_PROTECTION');
    expect(S.storageFlagsName(0x80000001)).toBe('WRITE_ONCE|0x80000000');
    expect(S.storageOpcodeName(0x105)).toBe('set_extended');
    expect(psaStatusName(-133)).toBe('PSA_ERROR_NOT_PERMITTED (-133)');
    expect(psaStatusName(-1)).toBe('unknown psa_status_t -1 (0xffffffff)');
  });
});
