// UEFI 2.10 8.2 QueryVariableInfo(), through SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO.
import { ATTR, BS_RT, EFI, NV_BS, NV_BS_RT, SmmVariableFunction as F, attrName } from '../../protocol/smm-variable/index.js';
import { check } from '../harness/check.js';
import { CLAUSE, MM_ABI, UEFI, client, expectEfi, expectRefused, newGuid, newName, pattern, put, services } from './common.js';

const { NON_VOLATILE: NV, RUNTIME_ACCESS: RT, HARDWARE_ERROR_RECORD: HR, BOOTSERVICE_ACCESS: BS } = ATTR;
const AW = ATTR.AUTHENTICATED_WRITE_ACCESS;
const base = { spec: UEFI, clause: CLAUSE.query, level: 'MUST' as const, services: services() };

export default [
  check({
    ...base,
    id: 'smm-variable.query.consistent',
    title: 'QueryVariableInfo answers sizes that are consistent with each other',
    requirement:
      'QueryVariableInfo returns MaximumVariableStorageSize, RemainingVariableStorageSize and MaximumVariableSize for the attributes given: for NV|BS|RT, NV|BS and BS|RT it answers EFI_SUCCESS with Remaining <= Maximum storage, MaximumVariableSize <= Maximum storage, and a non-zero Maximum storage.',
    run: async (t) => {
      for (const attrs of [NV_BS_RT, NV_BS, BS_RT]) {
        const r = await client(t).queryVariableInfo(attrs);
        expectEfi(t, r, EFI.SUCCESS, `QueryVariableInfo(${attrName(attrs)})`);
        const i = r.info!;
        t.note(`${attrName(attrs)}: max ${i.maximumVariableStorageSize}, remaining ${i.remainingVariableStorageSize}, max variable ${i.maximumVariableSize}`);
        t.assert(i.maximumVariableStorageSize > 0n, `${attrName(attrs)}: MaximumVariableStorageSize is 0`);
        t.assert(i.remainingVariableStorageSize <= i.maximumVariableStorageSize, `${attrName(attrs)}: RemainingVariableStorageSize ${i.remainingVariableStorageSize} exceeds MaximumVariableStorageSize ${i.maximumVariableStorageSize}`);
        t.assert(i.maximumVariableSize <= i.maximumVariableStorageSize, `${attrName(attrs)}: MaximumVariableSize ${i.maximumVariableSize} exceeds MaximumVariableStorageSize ${i.maximumVariableStorageSize}`);
      }
    },
  }),
  check({
    ...base,
    id: 'smm-variable.query.attributes-zero',
    title: 'QueryVariableInfo with Attributes 0 answers EFI_INVALID_PARAMETER',
    requirement: 'EFI_INVALID_PARAMETER: an invalid combination of attribute bits was supplied; Attributes 0 selects no variable type (SCT QueryVariableInfo_Conf).',
    run: async (t) => {
      expectEfi(t, await client(t).queryVariableInfo(0), EFI.INVALID_PARAMETER, 'QueryVariableInfo(0)');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.query.runtime-without-bootservice',
    title: 'QueryVariableInfo with RT but not BS answers EFI_INVALID_PARAMETER',
    requirement: 'Runtime access implies boot service access: RT without BS (with or without NV) is an invalid combination, EFI_INVALID_PARAMETER.',
    run: async (t) => {
      for (const attrs of [RT, NV | RT]) expectEfi(t, await client(t).queryVariableInfo(attrs), EFI.INVALID_PARAMETER, `QueryVariableInfo(${attrName(attrs)})`);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.query.nv-only',
    title: 'QueryVariableInfo with NV as the only attribute answers EFI_INVALID_PARAMETER',
    requirement: 'NON_VOLATILE alone names no accessible variable type: EFI_INVALID_PARAMETER (edk2 VariableServiceQueryVariableInfo); EFI_UNSUPPORTED is accepted too, as the precedence is ambiguous (edk2 #9386).',
    run: async (t) => {
      expectEfi(t, await client(t).queryVariableInfo(NV), [EFI.INVALID_PARAMETER, EFI.UNSUPPORTED], 'QueryVariableInfo(NV)');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.query.hardware-error-without-nv',
    title: 'QueryVariableInfo with HR but not NV answers EFI_INVALID_PARAMETER',
    requirement: 'Hardware error records are non-volatile: HARDWARE_ERROR_RECORD without NON_VOLATILE is an invalid combination (EFI_INVALID_PARAMETER; EFI_UNSUPPORTED where HR is not supported at all).',
    run: async (t) => {
      expectEfi(t, await client(t).queryVariableInfo(BS | RT | HR), [EFI.INVALID_PARAMETER, EFI.UNSUPPORTED], 'QueryVariableInfo(BS|RT|HR)');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.query.authenticated-write-access',
    title: 'QueryVariableInfo with the deprecated AUTHENTICATED_WRITE_ACCESS is not answered as a valid type',
    requirement:
      'EFI_VARIABLE_AUTHENTICATED_WRITE_ACCESS is deprecated: QueryVariableInfo(NV|BS|RT|AW) answers EFI_UNSUPPORTED (edk2 checks it first) or EFI_INVALID_PARAMETER; EFI_SUCCESS is NON-STRICT.',
    run: async (t) => {
      const r = await client(t).queryVariableInfo(NV_BS_RT | AW);
      if (r.spm === 0 && r.status === EFI.SUCCESS) {
        t.nonStrict('QueryVariableInfo(NV|BS|RT|AW) answered EFI_SUCCESS for the deprecated attribute');
        return;
      }
      expectEfi(t, r, [EFI.UNSUPPORTED, EFI.INVALID_PARAMETER], 'QueryVariableInfo(NV|BS|RT|AW)');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.query.no-defined-bits',
    title: 'QueryVariableInfo with only undefined bits is refused',
    requirement: 'Attributes with none of the defined bits (0x100) do not name a variable type supported by the platform: EFI_UNSUPPORTED (edk2) or EFI_INVALID_PARAMETER.',
    run: async (t) => {
      expectEfi(t, await client(t).queryVariableInfo(0x100), [EFI.UNSUPPORTED, EFI.INVALID_PARAMETER], 'QueryVariableInfo(0x100)');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.query.remaining-decreases',
    title: 'RemainingVariableStorageSize shrinks when a variable is stored',
    requirement: 'RemainingVariableStorageSize is the remaining size of the storage space available for variables of that type: after storing a 1 KiB NV|BS|RT variable it is smaller than before.',
    run: async (t) => {
      const c = client(t);
      const before = await c.queryVariableInfo(NV_BS_RT);
      expectEfi(t, before, EFI.SUCCESS, 'QueryVariableInfo before');
      const guid = newGuid(t);
      await put(t, newName(t, guid), guid, NV_BS_RT, pattern(1024, 1));
      const after = await c.queryVariableInfo(NV_BS_RT);
      expectEfi(t, after, EFI.SUCCESS, 'QueryVariableInfo after');
      const b = before.info!.remainingVariableStorageSize;
      const a = after.info!.remainingVariableStorageSize;
      t.assert(a < b, `RemainingVariableStorageSize did not shrink (${b} -> ${a}) after storing 1 KiB`, { expected: `< ${b}`, actual: String(a) });
      if (b - a < 1024n) t.nonStrict(`RemainingVariableStorageSize shrank by ${b - a} bytes for a 1024-byte variable`);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.query.remaining-recovers',
    title: 'RemainingVariableStorageSize grows back when a variable is deleted at boot time',
    level: 'SHOULD',
    requirement: 'Before ExitBootServices the space of a deleted variable is reclaimable (edk2 counts only VAR_ADDED variables): after storing then deleting a 1 KiB variable, RemainingVariableStorageSize is back to at least its earlier value.',
    run: async (t) => {
      const c = client(t);
      const before = await c.queryVariableInfo(NV_BS_RT);
      expectEfi(t, before, EFI.SUCCESS, 'QueryVariableInfo before');
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(1024, 2));
      expectEfi(t, await c.deleteVariable(name, guid), EFI.SUCCESS, 'delete');
      const after = await c.queryVariableInfo(NV_BS_RT);
      expectEfi(t, after, EFI.SUCCESS, 'QueryVariableInfo after');
      t.assert(after.info!.remainingVariableStorageSize >= before.info!.remainingVariableStorageSize, `RemainingVariableStorageSize ${after.info!.remainingVariableStorageSize} after the delete is below ${before.info!.remainingVariableStorageSize} before the write`);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.query.attributes-kept',
    title: 'the Attributes field of the QueryVariableInfo payload is not altered',
    spec: MM_ABI,
    clause: CLAUSE.handler,
    requirement: 'SMM_VARIABLE_COMMUNICATE_QUERY_VARIABLE_INFO is answered in place: the three UINT64 sizes are written and Attributes (offset 24) still holds what the caller sent.',
    run: async (t) => {
      const r = await client(t).queryVariableInfo(NV_BS_RT);
      expectEfi(t, r, EFI.SUCCESS, 'QueryVariableInfo(NV|BS|RT)');
      t.expectEqual(r.info!.attributes, NV_BS_RT, 'Attributes in the answered payload', attrName);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.query.short-payload',
    title: 'a QUERY_VARIABLE_INFO payload shorter than 32 bytes is refused',
    spec: MM_ABI,
    clause: CLAUSE.handler,
    requirement: 'A payload shorter than SMM_VARIABLE_COMMUNICATE_QUERY_VARIABLE_INFO (32 bytes) is not processed; it is never answered EFI_SUCCESS with sizes written past the payload.',
    run: async (t) => {
      const sentinel = 0x8000_0000_0000_00fen;
      const r = await client(t).call(F.QUERY_VARIABLE_INFO, new Uint8Array(24), 'QueryVariableInfo with a 24-byte payload', { returnStatus: sentinel });
      t.note(expectRefused(t, r, 'QUERY_VARIABLE_INFO with a 24-byte payload', { sentinel }));
    },
  }),
];
