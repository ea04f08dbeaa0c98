// UEFI 2.10 8.2 GetVariable(), through SMM_VARIABLE_FUNCTION_GET_VARIABLE.
import { U64_MAX } from '../../protocol/bytes.js';
import {
  ATTR,
  BS_RT,
  EFI,
  NV_BS,
  NV_BS_RT,
  SmmVariableFunction as F,
  attrName,
  encodeAccessVariable,
  encodeName,
} from '../../protocol/smm-variable/index.js';
import { check } from '../harness/check.js';
import { CLAUSE, MM_ABI, UEFI, client, expectAbsent, expectEfi, expectRefused, expectValue, newGuid, newName, pattern, put, services } from './common.js';
import { SENTINEL } from './mm-buffer.js';

const base = { spec: UEFI, clause: CLAUSE.get, level: 'MUST' as const, services: services() };
const MALFORMED = [EFI.ACCESS_DENIED, EFI.INVALID_PARAMETER, EFI.BAD_BUFFER_SIZE];

export default [
  check({
    ...base,
    id: 'smm-variable.get.round-trip',
    title: 'GetVariable returns the data SetVariable stored',
    requirement: 'GetVariable returns the value of the variable: EFI_SUCCESS, DataSize set to the size of the data returned, and the bytes last written by SetVariable.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      const data = pattern(37, 2);
      await put(t, name, guid, NV_BS_RT, data);
      await expectValue(t, name, guid, data, 'after SetVariable');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get.attributes',
    title: 'GetVariable returns the attributes the variable was created with',
    requirement: 'If Attributes is not NULL, on return it holds the attributes bitmask of the variable: NV|BS|RT, NV|BS and BS|RT variables report exactly those bits.',
    run: async (t) => {
      const guid = newGuid(t);
      for (const attrs of [NV_BS_RT, NV_BS, BS_RT, ATTR.BOOTSERVICE_ACCESS]) {
        const name = newName(t, guid);
        await put(t, name, guid, attrs, pattern(5, attrs));
        await expectValue(t, name, guid, pattern(5, attrs), `variable created with ${attrName(attrs)}`, attrs);
      }
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get.not-found',
    title: 'GetVariable of a name that was never set answers EFI_NOT_FOUND',
    requirement: 'EFI_NOT_FOUND: the variable was not found.',
    run: async (t) => {
      const guid = newGuid(t);
      await expectAbsent(t, newName(t, guid, 'Missing', false), guid, 'never set');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get.other-guid',
    title: 'the same name under another VendorGuid is another variable',
    requirement: 'A variable is identified by VariableName and VendorGuid together: GetVariable of an existing name under a different GUID answers EFI_NOT_FOUND.',
    run: async (t) => {
      const g1 = newGuid(t);
      const g2 = newGuid(t);
      const name = newName(t, g1);
      await put(t, name, g1, NV_BS_RT, pattern(4));
      await expectAbsent(t, name, g2, 'same name, other GUID');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get.empty-name',
    title: 'GetVariable of the empty name does not succeed',
    requirement: 'VariableName must name a variable: GetVariable with an empty (NUL-only) name answers EFI_NOT_FOUND (edk2) or EFI_INVALID_PARAMETER.',
    run: async (t) => {
      const r = await client(t).getVariable('', newGuid(t), 16);
      expectEfi(t, r, [EFI.NOT_FOUND, EFI.INVALID_PARAMETER], 'GetVariable("")');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get.buffer-too-small',
    title: 'GetVariable with a DataSize one byte short answers EFI_BUFFER_TOO_SMALL and the size needed',
    requirement: 'If the Data buffer is too small to hold the contents of the variable, EFI_BUFFER_TOO_SMALL is returned and DataSize is set to the required buffer size to obtain the data.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(40, 3));
      const r = await client(t).getVariable(name, guid, 39);
      expectEfi(t, r, EFI.BUFFER_TOO_SMALL, 'GetVariable with DataSize = required - 1');
      t.expectEqual(r.dataSize, 40n, 'DataSize after EFI_BUFFER_TOO_SMALL');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get.size-query',
    title: 'GetVariable with DataSize 0 answers EFI_BUFFER_TOO_SMALL and the size',
    requirement: 'A caller asks for the size with DataSize 0: EFI_BUFFER_TOO_SMALL and DataSize set to the size of the data (SCT GetVariable_Conf, Trusted Services "size query").',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(123, 4));
      const r = await client(t).getVariable(name, guid, 0);
      expectEfi(t, r, EFI.BUFFER_TOO_SMALL, 'GetVariable with DataSize 0');
      t.expectEqual(r.dataSize, 123n, 'DataSize after EFI_BUFFER_TOO_SMALL');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get.buffer-too-small-attributes',
    title: 'EFI_BUFFER_TOO_SMALL also returns the attributes',
    requirement:
      'If Attributes is not NULL, it is set on output both when EFI_SUCCESS and when EFI_BUFFER_TOO_SMALL is returned (UEFI 2.8 and later; SCT checks it since edk2-test #306/#307).',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(16, 5));
      const r = await client(t).getVariable(name, guid, 2, { attributes: 0x5a5a0000 });
      expectEfi(t, r, EFI.BUFFER_TOO_SMALL, 'GetVariable with DataSize 2');
      t.expectEqual(r.attributes, NV_BS_RT, 'Attributes after EFI_BUFFER_TOO_SMALL', attrName);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get.error-leaves-attributes',
    title: 'a GetVariable that fails leaves the caller\'s Attributes alone',
    level: 'SHOULD',
    requirement:
      'Attributes is an output only on EFI_SUCCESS and EFI_BUFFER_TOO_SMALL; when GetVariable fails with EFI_NOT_FOUND the Attributes field of the buffer should be left as the caller wrote it (edk2 PR #11989: a client that overwrote Attributes on error broke SCT authenticated-variable tests).',
    run: async (t) => {
      const guid = newGuid(t);
      const r = await client(t).getVariable(newName(t, guid, 'Missing', false), guid, 8, { attributes: 0x27 });
      expectEfi(t, r, EFI.NOT_FOUND, 'GetVariable of a missing variable');
      if (r.attributes !== 0x27) t.nonStrict(`Attributes changed from NV|BS|RT|AT to ${attrName(r.attributes)} on EFI_NOT_FOUND`, { expected: 'NV|BS|RT|AT (unchanged)', actual: attrName(r.attributes) });
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get.exact-size',
    title: 'GetVariable with DataSize equal to the data size succeeds',
    requirement: 'A Data buffer exactly as large as the variable is large enough: EFI_SUCCESS and the data.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      const data = pattern(64, 6);
      await put(t, name, guid, NV_BS_RT, data);
      const r = await client(t).getVariable(name, guid, 64);
      expectEfi(t, r, EFI.SUCCESS, 'GetVariable with DataSize = size');
      t.expectBytes(r.data, data, 'data');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get.larger-buffer',
    title: 'GetVariable with a larger buffer returns the true DataSize',
    requirement: 'On output DataSize is the size of the data returned in Data: with a 256-byte buffer and a 10-byte variable, DataSize comes back as 10.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(10, 7));
      const r = await client(t).getVariable(name, guid, 256);
      expectEfi(t, r, EFI.SUCCESS, 'GetVariable with DataSize 256');
      t.expectEqual(r.dataSize, 10n, 'DataSize on output');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get.empty-variable-absent',
    title: 'a variable written with DataSize 0 does not exist afterwards',
    requirement: 'Unless APPEND or an authentication attribute is set, SetVariable with DataSize 0 deletes the variable: GetVariable then answers EFI_NOT_FOUND, never a zero-length variable.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(3));
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT, new Uint8Array(0)), EFI.SUCCESS, 'SetVariable with DataSize 0');
      await expectAbsent(t, name, guid, 'after the zero-length write');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get.name-not-terminated',
    title: 'a GetVariable name without a NUL within NameSize is refused',
    spec: MM_ABI,
    clause: CLAUSE.handler,
    requirement:
      'The handler makes sure VariableName is NUL-terminated within NameSize: a name whose last CHAR16 is not NUL is refused (edk2 EFI_ACCESS_DENIED, Trusted Services EFI_INVALID_PARAMETER), never served.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(4));
      const enc = encodeName(name).subarray(0, name.length * 2);
      const r = await client(t).getVariable(enc, guid, 16);
      t.note(expectRefused(t, r, 'GetVariable with an unterminated name', { allowed: MALFORMED }));
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get.name-size-overflow',
    title: 'GetVariable with NameSize past the buffer or SIZE_MAX is refused',
    spec: MM_ABI,
    clause: CLAUSE.handler,
    requirement:
      'InfoSize = OFFSET_OF(Name) + DataSize + NameSize must not overflow and must fit the payload (Trusted Services SmmVariableAttackTests getWithOversizeName / getWithSizeMaxName): NameSize of buffer + 2, of 2^63 and of SIZE_MAX are refused.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(4));
      const nameBytes = BigInt(encodeName(name).length);
      for (const ns of [nameBytes + 16n + 2n, 1n << 63n, U64_MAX]) {
        const r = await client(t).getVariable(name, guid, 16, { nameSize: ns });
        t.note(`NameSize ${ns}: ${expectRefused(t, r, `GetVariable with NameSize ${ns}`, { allowed: MALFORMED })}`);
      }
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get.data-size-overflow',
    title: 'GetVariable with DataSize SIZE_MAX is refused without overflow',
    spec: MM_ABI,
    clause: CLAUSE.handler,
    requirement:
      'A DataSize beyond the payload (SIZE_MAX, SIZE_MAX - 35, 2^32 + 8) makes InfoSize overflow or exceed the buffer: it is refused (edk2 EFI_ACCESS_DENIED) or served within the bytes actually present (DataSize = the true 8 bytes), never answered with a size or data from outside the buffer.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(8));
      for (const ds of [U64_MAX, U64_MAX - 35n, (1n << 32n) + 8n]) {
        const payload = encodeAccessVariable({ guid, name, attributes: 0, dataSize: ds, room: 8 });
        const r = await client(t).call(F.GET_VARIABLE, payload, `GetVariable(DataSize=${ds}) with 8 bytes of room`, { returnStatus: SENTINEL });
        if (r.spm === 0 && r.status === SENTINEL) {
          t.note(`DataSize ${ds}: ReturnStatus left untouched`);
          continue;
        }
        if (r.spm === 0 && r.status === EFI.SUCCESS) {
          // served within the real room (Trusted Services sizes the answer from the buffer, not DataSize)
          const back = new DataView(r.payload.buffer, r.payload.byteOffset).getBigUint64(16, true);
          t.expectEqual(back, 8n, `DataSize returned for a request with DataSize ${ds}`);
          t.note(`DataSize ${ds}: served within the buffer (DataSize 8 returned)`);
          continue;
        }
        const how = expectRefused(t, r, `GetVariable with DataSize ${ds}`, { allowed: [...MALFORMED, EFI.BUFFER_TOO_SMALL] });
        t.note(`DataSize ${ds}: ${how}`);
      }
    },
  }),
];
