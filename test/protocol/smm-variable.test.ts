// Codec vectors for the MM communication buffer, the SMM variable payloads,
// EFI_STATUS, EFI_TIME, EFI_VARIABLE_AUTHENTICATION_2 and signature lists.
// The hex is written from the struct layouts in the facts file (edk2
// SmmVariableCommon.h, MmCommunication.h, PiMultiPhase.h, UefiMultiPhase.h),
// and the EFI_TIME / descriptor bytes were observed in a file made by efitools
// sign-efi-sig-list 1.9.2: none of it comes from the codec under test.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecodeError, U64_MAX, fromHex, hex } from '../../protocol/bytes.js';
import {
  ATTR,
  EFI,
  GUIDS,
  NV_BS_RT,
  SPM_RET,
  SmmVariableFunction as F,
  accessVariableParts,
  attrName,
  authSignedBytes,
  buildCommBuffer,
  compareEfiTime,
  decodeAccessVariable,
  decodeAuthentication2,
  decodeCommBuffer,
  decodeEfiTime,
  decodeMmHeader,
  decodeName,
  decodeNameGuid,
  decodeQueryInfo,
  decodeSignatureLists,
  decodeVarCheck,
  efiStatusName,
  encodeAccessVariable,
  encodeAuthentication2,
  encodeEfiTime,
  encodeGetNext,
  encodeName,
  encodeQueryInfo,
  encodeSignatureList,
  encodeVarCheck,
  functionName,
  guidBytes,
  guidText,
  messageOf,
  spmRetName,
  spmRetToEfi,
} from '../../protocol/smm-variable/index.js';

const SMM_GUID_HEX = '33d532ede69909429cc02d72cdd998a7';
const V3_GUID_HEX = '53c8e868a92bd74d9ac091e16155c935';

describe('EFI_GUID', () => {
  it('encodes Data1..Data3 little-endian and Data4 as is', () => {
    expect(hex(guidBytes(GUIDS.SMM_VARIABLE))).toBe(SMM_GUID_HEX);
    // a5c059a1-94e4-4aa7-87b5-ab155c2bf072 as stored in ibmtss eventlib.c
    expect(hex(guidBytes(GUIDS.CERT_X509))).toBe('a159c0a5e494a74a87b5ab155c2bf072');
    expect(guidText(fromHex('61dfe48bca93d211aa0d00e098032b8c'))).toBe(GUIDS.GLOBAL_VARIABLE);
  });
  it('refuses text that is not a GUID and byte strings of the wrong size', () => {
    expect(() => guidBytes('ed32d533-99e6-4209-9cc0')).toThrow(DecodeError);
    expect(() => guidText(new Uint8Array(15))).toThrow(DecodeError);
  });
  it('round-trips any 16 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        expect(guidBytes(guidText(b))).toEqual(b);
      }),
    );
  });
});

describe('EFI_STATUS and MM return codes', () => {
  it('names errors with MAX_BIT set on 64 bits', () => {
    expect(EFI.ACCESS_DENIED).toBe(0x800000000000000fn);
    expect(EFI.SECURITY_VIOLATION).toBe(0x800000000000001an);
    expect(efiStatusName(EFI.BUFFER_TOO_SMALL)).toBe('EFI_BUFFER_TOO_SMALL (0x8000000000000005)');
    expect(efiStatusName(0x8000000000000099n)).toBe('unknown EFI_STATUS 0x8000000000000099');
  });
  it('names ARM_SVC_SPM_RET_* and maps them as U-Boot does', () => {
    expect(spmRetName(-2)).toBe('ARM_SVC_SPM_RET_INVALID_PARAMS (-2)');
    expect(spmRetToEfi(SPM_RET.NO_MEMORY)).toBe(EFI.OUT_OF_RESOURCES);
    expect(spmRetToEfi(SPM_RET.NOT_SUPPORTED)).toBe(EFI.ACCESS_DENIED);
  });
  it('names functions and attributes', () => {
    expect(functionName(11)).toBe('SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE');
    expect(attrName(0x67)).toBe('NV|BS|RT|AT|APPEND');
    expect(attrName(0x107)).toBe('NV|BS|RT|0x100');
  });
});

describe('MM communication buffer', () => {
  // EFI_MM_COMMUNICATE_HEADER (HeaderGuid, MessageLength = 16 + 32 = 0x30),
  // Function 4 (QUERY_VARIABLE_INFO), ReturnStatus 0, the 32-byte payload
  // with Attributes NV|BS|RT at offset 24
  const query = SMM_GUID_HEX + '3000000000000000' + '0400000000000000' + '0000000000000000' + '00'.repeat(24) + '07000000' + '00000000';

  it('builds a v1 buffer byte for byte', () => {
    const payload = encodeQueryInfo({ maximumVariableStorageSize: 0n, remainingVariableStorageSize: 0n, maximumVariableSize: 0n, attributes: NV_BS_RT });
    expect(hex(buildCommBuffer(F.QUERY_VARIABLE_INFO, payload))).toBe(query);
  });
  it('decodes the same bytes', () => {
    const a = decodeCommBuffer(fromHex(query));
    expect(a.header).toMatchObject({ version: 1, guid: GUIDS.SMM_VARIABLE, headerSize: 24, messageLength: 48n });
    expect(a.fn).toBe(4n);
    expect(decodeQueryInfo(a.payload).attributes).toBe(7);
  });
  it('builds and recognises a v3 header by its GUID', () => {
    const buf = buildCommBuffer(F.GET_PAYLOAD_SIZE, new Uint8Array(8), { version: 3 });
    // HeaderGuid v3 @0, BufferSize @16 (56 + 16 + 8 = 80 = 0x50), Reserved @24, MessageGuid @32, MessageSize @48 (0x18)
    expect(hex(buf)).toBe(V3_GUID_HEX + '5000000000000000' + '0000000000000000' + SMM_GUID_HEX + '1800000000000000' + '0b00000000000000' + '0000000000000000' + '0000000000000000');
    const h = decodeMmHeader(buf);
    expect(h).toMatchObject({ version: 3, guid: GUIDS.SMM_VARIABLE, headerSize: 56, messageLength: 24n, bufferSize: 80n });
  });
  it('refuses a MessageLength past the buffer (including SIZE_MAX) and a v3 BufferSize that disagrees', () => {
    for (const len of [49n, U64_MAX]) {
      const b = buildCommBuffer(F.QUERY_VARIABLE_INFO, new Uint8Array(32), { messageLength: len });
      expect(() => messageOf(b, decodeMmHeader(b))).toThrow(/exceeds/);
    }
    const v3 = buildCommBuffer(F.QUERY_VARIABLE_INFO, new Uint8Array(32), { version: 3, bufferSize: 999n });
    expect(() => messageOf(v3, decodeMmHeader(v3))).toThrow(/BufferSize/);
    expect(() => decodeMmHeader(new Uint8Array(20))).toThrow(DecodeError);
  });
});

describe('SMM variable payloads', () => {
  // Guid @0, DataSize 1 @16, NameSize 4 @24, Attributes 7 @32, Name "A\0" @36, data 0xaa @40
  const access = hex(guidBytes(GUIDS.GLOBAL_VARIABLE)) + '0100000000000000' + '0400000000000000' + '07000000' + '41000000' + 'aa';

  it('encodes SMM_VARIABLE_COMMUNICATE_ACCESS_VARIABLE with the data right after the name', () => {
    expect(hex(encodeAccessVariable({ guid: GUIDS.GLOBAL_VARIABLE, name: 'A', attributes: 7, data: new Uint8Array([0xaa]) }))).toBe(access);
  });
  it('decodes it, with name and data checked against the payload', () => {
    const a = decodeAccessVariable(fromHex(access));
    expect(a).toMatchObject({ guid: GUIDS.GLOBAL_VARIABLE, dataSize: 1n, nameSize: 4n, attributes: 7 });
    const p = accessVariableParts(a);
    expect(p.name).toBe('A');
    expect(hex(p.data)).toBe('aa');
  });
  it('refuses sizes that do not fit or wrap, and names without a NUL', () => {
    const bad = (over: { dataSize?: bigint; nameSize?: bigint }, name = 'A') =>
      () => accessVariableParts(decodeAccessVariable(encodeAccessVariable({ guid: GUIDS.GLOBAL_VARIABLE, name, attributes: 7, data: new Uint8Array(1), ...over })));
    expect(bad({ dataSize: 2n })).toThrow(/exceed/);
    expect(bad({ dataSize: U64_MAX })).toThrow(/SIZE_MAX/);
    expect(bad({ nameSize: U64_MAX })).toThrow(/NameSize/);
    expect(bad({ nameSize: 3n })).toThrow(/CHAR16/);
    expect(bad({ nameSize: 2n })).toThrow(/NUL/);
    expect(() => decodeAccessVariable(new Uint8Array(35))).toThrow(DecodeError);
  });
  it('encodes GET_NEXT_VARIABLE_NAME and VAR_CHECK_VARIABLE_PROPERTY at their offsets', () => {
    expect(hex(encodeGetNext({ guid: GUIDS.GLOBAL_VARIABLE, name: '', bufferSize: 4 }))).toBe(hex(guidBytes(GUIDS.GLOBAL_VARIABLE)) + '0400000000000000' + '00000000');
    const vc = encodeVarCheck({ guid: GUIDS.GLOBAL_VARIABLE, name: 'A', property: { revision: 1, property: 1, attributes: 7, minSize: 1n, maxSize: 8n } });
    // NameSize @16, Revision @24, Property @26, Attributes @28, MinSize @32, MaxSize @40, Name @48
    expect(hex(vc)).toBe(hex(guidBytes(GUIDS.GLOBAL_VARIABLE)) + '0400000000000000' + '0100' + '0100' + '07000000' + '0100000000000000' + '0800000000000000' + '41000000');
    expect(decodeVarCheck(vc).property).toEqual({ revision: 1, property: 1, attributes: 7, minSize: 1n, maxSize: 8n });
    expect(decodeNameGuid(encodeGetNext({ guid: GUIDS.GLOBAL_VARIABLE, name: 'Boot0001' })).nameSize).toBe(18n);
  });
  it('names are CHAR16 with a NUL; a missing terminator is reported', () => {
    expect(hex(encodeName('Ab'))).toBe('410062000000');
    expect(decodeName(fromHex('41006200'))).toBeUndefined();
    expect(decodeName(fromHex('410000006200'))).toBe('A');
  });
  it('round-trips any access-variable request', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\0')), fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 0xff }), (name, data, attrs) => {
        const p = accessVariableParts(decodeAccessVariable(encodeAccessVariable({ guid: GUIDS.IMAGE_SECURITY_DATABASE, name, attributes: attrs, data })));
        expect(p.name).toBe(name);
        expect(p.data).toEqual(data);
      }),
    );
  });
});

describe('EFI_TIME, EFI_VARIABLE_AUTHENTICATION_2 and signature lists', () => {
  // observed in the output of `TZ=UTC sign-efi-sig-list -t "2030-01-02 03:04:05" ... PK`
  const efitoolsTime = 'ee070102030405000000000000000000';
  const efitoolsHead = 'a30400000002f10e9dd2af4adf68ee498aa9347d375665a7';

  it('EFI_TIME matches the bytes efitools writes', () => {
    expect(hex(encodeEfiTime({ year: 2030, month: 1, day: 2, hour: 3, minute: 4, second: 5 }))).toBe(efitoolsTime);
    expect(decodeEfiTime(fromHex(efitoolsTime))).toMatchObject({ year: 2030, month: 1, day: 2, hour: 3, minute: 4, second: 5, nanosecond: 0, timeZone: 0 });
    expect(decodeEfiTime(encodeEfiTime({ year: 2030, month: 1, day: 2, hour: 3, minute: 4, second: 5, timeZone: -60 })).timeZone).toBe(-60);
    expect(compareEfiTime({ year: 2030, month: 1, day: 2, hour: 3, minute: 4, second: 5 }, { year: 2030, month: 1, day: 2, hour: 3, minute: 4, second: 6 })).toBe(-1);
  });
  it('the WIN_CERTIFICATE_UEFI_GUID header matches efitools: dwLength, 0x0200, 0x0EF1, EFI_CERT_TYPE_PKCS7_GUID', () => {
    const certData = new Uint8Array(0x4a3 - 24);
    const d = encodeAuthentication2({ timeStamp: fromHex(efitoolsTime), certData }, fromHex('beef'));
    expect(hex(d.subarray(0, 40))).toBe(efitoolsTime + efitoolsHead);
    const back = decodeAuthentication2(d);
    expect(back.dwLength).toBe(0x4a3);
    expect(back.certType).toBe(GUIDS.CERT_TYPE_PKCS7);
    expect(hex(back.payload)).toBe('beef');
  });
  it('refuses a dwLength below the header or past the data', () => {
    const d = encodeAuthentication2({ timeStamp: fromHex(efitoolsTime), certData: new Uint8Array(4), dwLength: 23 }, new Uint8Array(0));
    expect(() => decodeAuthentication2(d)).toThrow(/below/);
    const e = encodeAuthentication2({ timeStamp: fromHex(efitoolsTime), certData: new Uint8Array(4), dwLength: 0xffffffff }, new Uint8Array(0));
    expect(() => decodeAuthentication2(e)).toThrow(/exceeds/);
  });
  it('serialises the signed bytes as name (no NUL) ‖ GUID ‖ Attributes ‖ TimeStamp ‖ data', () => {
    const s = authSignedBytes('PK', GUIDS.GLOBAL_VARIABLE, 0x27, fromHex(efitoolsTime), fromHex('01'));
    expect(hex(s)).toBe('50004b00' + '61dfe48bca93d211aa0d00e098032b8c' + '27000000' + efitoolsTime + '01');
  });
  it('encodes EFI_SIGNATURE_LIST (type, ListSize = 28 + n × SignatureSize, header 0, SignatureSize = 16 + data)', () => {
    const l = encodeSignatureList({ type: GUIDS.CERT_SHA256, signatures: [{ owner: GUIDS.GLOBAL_VARIABLE, data: new Uint8Array(32).fill(0xab) }] });
    expect(hex(l.subarray(0, 28))).toBe('2616c4c14c509240aca941f936934328' + '4c000000' + '00000000' + '30000000');
    expect(decodeSignatureLists(l)[0]!.signatures[0]!.owner).toBe(GUIDS.GLOBAL_VARIABLE);
    const broken = l.slice();
    new DataView(broken.buffer).setUint32(16, 0x4d, true);
    expect(() => decodeSignatureLists(broken)).toThrow(DecodeError);
    expect(ATTR.TIME_BASED_AUTHENTICATED_WRITE_ACCESS).toBe(0x20);
  });
});
