// edk2 VarCheck properties (VAR_CHECK_VARIABLE_PROPERTY through functions 9
// and 10) and VariableLock (function 8): U-Boot emulates
// EFI_VARIABLE_READ_ONLY with them; Trusted Services implements 9 and 10.
import { U64_MAX } from '../../protocol/bytes.js';
import {
  BS_RT,
  EFI,
  NV_BS,
  NV_BS_RT,
  VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY,
  VAR_CHECK_VARIABLE_PROPERTY_REVISION,
  attrName,
  encodeName,
  type VarCheckProperty,
} from '../../protocol/smm-variable/index.js';
import { check } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import { CAP, CLAUSE, VARCHECK, client, expectAbsent, expectEfi, expectRefused, expectValue, newGuid, newName, pattern, put, resetAfter, services } from './common.js';

const base = { spec: VARCHECK, clause: CLAUSE.varCheck, level: 'MUST' as const, services: services(), capabilities: [CAP.varCheck] };

const prop = (p: Partial<VarCheckProperty>): VarCheckProperty => ({
  revision: VAR_CHECK_VARIABLE_PROPERTY_REVISION,
  property: 0,
  attributes: 0,
  minSize: 1n,
  maxSize: U64_MAX,
  ...p,
});

/**
 * Sets a property as a precondition. Properties cannot be removed (edk2 keeps
 * them until the next boot), so the check resets the target afterwards.
 */
async function setProperty(t: CheckContext, name: string, guid: string, p: VarCheckProperty): Promise<void> {
  const r = await client(t).varCheckPropertySet(name, guid, p);
  t.optional(CAP.varCheck, r.spm === 0 && r.status === EFI.UNSUPPORTED, 'VAR_CHECK_VARIABLE_PROPERTY_SET answers EFI_UNSUPPORTED');
  expectEfi(t, r, EFI.SUCCESS, 'precondition VariablePropertySet');
}

export default [
  check({
    ...base,
    id: 'smm-variable.var-check.get-unknown',
    title: 'VariablePropertyGet of a variable without a property answers EFI_NOT_FOUND',
    requirement: 'VariablePropertyGet returns EFI_NOT_FOUND when the variable has no property set (U-Boot reads NOT_FOUND as "not read-only").',
    run: async (t) => {
      const guid = newGuid(t);
      const r = await client(t).varCheckPropertyGet(newName(t, guid, 'NoProp', false), guid);
      t.optional(CAP.varCheck, r.spm === 0 && r.status === EFI.UNSUPPORTED, 'VAR_CHECK_VARIABLE_PROPERTY_GET answers EFI_UNSUPPORTED');
      expectEfi(t, r, EFI.NOT_FOUND, 'VariablePropertyGet of a variable without property');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.var-check.round-trip',
    title: 'VariablePropertyGet returns the property VariablePropertySet stored',
    capabilities: [CAP.varCheck, 'target.reset'],
    requirement: 'VariablePropertySet records Revision, Property, Attributes, MinSize and MaxSize for a variable name and GUID; VariablePropertyGet returns them (EFI_SUCCESS).',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid, 'Prop');
      resetAfter(t);
      const p = prop({ attributes: NV_BS_RT, minSize: 2n, maxSize: 64n });
      await setProperty(t, name, guid, p);
      const r = await client(t).varCheckPropertyGet(name, guid);
      expectEfi(t, r, EFI.SUCCESS, 'VariablePropertyGet');
      const got = r.property!;
      t.expectEqual(got.revision, p.revision, 'Revision');
      t.expectEqual(got.property, p.property, 'Property');
      t.expectEqual(got.attributes, p.attributes, 'Attributes', attrName);
      t.expectEqual(got.minSize, p.minSize, 'MinSize');
      t.expectEqual(got.maxSize, p.maxSize, 'MaxSize');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.var-check.read-only',
    title: 'a READ_ONLY property makes SetVariable answer EFI_WRITE_PROTECTED',
    capabilities: [CAP.varCheck, 'target.reset'],
    requirement:
      'VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY: SetVariable of the variable (update or delete) answers EFI_WRITE_PROTECTED and the value is unchanged (Trusted Services readOnlyConstraint; U-Boot EFI_VARIABLE_READ_ONLY).',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid, 'Ro');
      await put(t, name, guid, NV_BS_RT, pattern(4, 1));
      resetAfter(t);
      await setProperty(t, name, guid, prop({ property: VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY }));
      const c = client(t);
      expectEfi(t, await c.setVariable(name, guid, NV_BS_RT, pattern(4, 2)), EFI.WRITE_PROTECTED, 'update of a READ_ONLY variable');
      expectEfi(t, await c.deleteVariable(name, guid), EFI.WRITE_PROTECTED, 'delete of a READ_ONLY variable');
      await expectValue(t, name, guid, pattern(4, 1), 'after the refused writes');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.var-check.read-only-create',
    title: 'a READ_ONLY property on a missing variable prevents its creation',
    capabilities: [CAP.varCheck, 'target.reset'],
    requirement: 'A property can be set before the variable exists; with READ_ONLY, SetVariable creating it answers EFI_WRITE_PROTECTED and nothing is created.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid, 'RoNew');
      resetAfter(t);
      await setProperty(t, name, guid, prop({ property: VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY }));
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT, pattern(4)), EFI.WRITE_PROTECTED, 'create of a READ_ONLY variable');
      await expectAbsent(t, name, guid, 'after the refused create');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.var-check.min-size',
    title: 'DataSize below MinSize is refused with EFI_INVALID_PARAMETER',
    capabilities: [CAP.varCheck, 'target.reset'],
    requirement: 'When DataSize is outside [MinSize, MaxSize] SetVariable answers EFI_INVALID_PARAMETER (VarCheckLibSetVariableCheck) and stores nothing.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid, 'Min');
      resetAfter(t);
      await setProperty(t, name, guid, prop({ minSize: 8n, maxSize: 16n }));
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT, pattern(7)), EFI.INVALID_PARAMETER, 'DataSize 7 with MinSize 8');
      await expectAbsent(t, name, guid, 'after the refused write');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.var-check.max-size',
    title: 'DataSize above MaxSize is refused with EFI_INVALID_PARAMETER',
    capabilities: [CAP.varCheck, 'target.reset'],
    requirement: 'DataSize > MaxSize gives EFI_INVALID_PARAMETER (Trusted Services variableSizeConstraint: MaxSize exceeded) and the stored value is unchanged.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid, 'Max');
      await put(t, name, guid, NV_BS_RT, pattern(10, 3));
      resetAfter(t);
      await setProperty(t, name, guid, prop({ minSize: 1n, maxSize: 16n }));
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT, pattern(17, 4)), EFI.INVALID_PARAMETER, 'DataSize 17 with MaxSize 16');
      await expectValue(t, name, guid, pattern(10, 3), 'after the refused write');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.var-check.in-range',
    title: 'writes within the property\'s bounds and attributes are accepted',
    capabilities: [CAP.varCheck, 'target.reset'],
    requirement: 'A property does not refuse a compliant write: DataSize within [MinSize, MaxSize] (both ends) with the property\'s attributes is stored, and a delete is allowed.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid, 'Rng');
      resetAfter(t);
      await setProperty(t, name, guid, prop({ attributes: NV_BS_RT, minSize: 4n, maxSize: 8n }));
      const c = client(t);
      for (const n of [4, 8]) expectEfi(t, await c.setVariable(name, guid, NV_BS_RT, pattern(n, n)), EFI.SUCCESS, `DataSize ${n} within [4, 8]`);
      await expectValue(t, name, guid, pattern(8, 8), 'after the writes');
      expectEfi(t, await c.deleteVariable(name, guid), EFI.SUCCESS, 'delete (size checks do not apply)');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.var-check.attributes',
    title: 'attributes other than the property\'s are refused',
    capabilities: [CAP.varCheck, 'target.reset'],
    requirement: 'If the property\'s Attributes is not 0 and the SetVariable attributes (without APPEND) differ from it, SetVariable answers EFI_INVALID_PARAMETER.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid, 'Att');
      resetAfter(t);
      await setProperty(t, name, guid, prop({ attributes: NV_BS_RT }));
      for (const attrs of [NV_BS, BS_RT]) {
        expectEfi(t, await client(t).setVariable(name, guid, attrs, pattern(4)), EFI.INVALID_PARAMETER, `SetVariable(${attrName(attrs)}) with property attributes NV|BS|RT`);
      }
      await expectAbsent(t, name, guid, 'after the refused writes');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.var-check.revision',
    title: 'a property with an unknown Revision is refused',
    level: 'SHOULD',
    capabilities: [CAP.varCheck, 'target.reset'],
    requirement: 'VariablePropertySet checks Revision == VAR_CHECK_VARIABLE_PROPERTY_REVISION (0x0001) and answers EFI_INVALID_PARAMETER otherwise (VarCheckLibVariablePropertySet).',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid, 'Rev');
      resetAfter(t);
      const r = await client(t).varCheckPropertySet(name, guid, prop({ revision: 2, property: VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY }));
      t.optional(CAP.varCheck, r.spm === 0 && r.status === EFI.UNSUPPORTED, 'VAR_CHECK_VARIABLE_PROPERTY_SET answers EFI_UNSUPPORTED');
      expectEfi(t, r, EFI.INVALID_PARAMETER, 'VariablePropertySet with Revision 2');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.var-check.name-size-overflow',
    title: 'VariablePropertySet with a broken NameSize is refused',
    requirement:
      'The VAR_CHECK payload NameSize must fit the buffer and the name must be NUL-terminated (Trusted Services SmmVariableAttackTests checkPropertyWithOversizeName / SizeMaxNameSize): such requests are refused and set no property.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid, 'Bad', false);
      for (const ns of [BigInt(encodeName(name).length + 2), U64_MAX]) {
        const r = await client(t).varCheckPropertySet(name, guid, prop({ property: VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY }), ns);
        t.note(`NameSize ${ns}: ${expectRefused(t, r, `VariablePropertySet with NameSize ${ns}`)}`);
      }
      const g = await client(t).varCheckPropertyGet(name, guid);
      if (!(g.spm === 0 && g.status === EFI.UNSUPPORTED)) expectEfi(t, g, EFI.NOT_FOUND, 'VariablePropertyGet afterwards');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.var-check.set-after-ready-to-boot',
    title: 'VariablePropertySet after READY_TO_BOOT answers EFI_ACCESS_DENIED',
    capabilities: [CAP.varCheck, CAP.readyToBoot, 'target.reset'],
    requirement: 'Properties can only be set before EndOfDxe: after READY_TO_BOOT (which marks EndOfDxe in VariableSmm.c) VariablePropertySet answers EFI_ACCESS_DENIED and sets nothing.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid, 'Late');
      resetAfter(t);
      const rtb = await client(t).readyToBoot();
      t.optional(CAP.readyToBoot, rtb.spm === 0 && rtb.status === EFI.UNSUPPORTED, 'READY_TO_BOOT is not implemented');
      expectEfi(t, rtb, EFI.SUCCESS, 'READY_TO_BOOT');
      expectEfi(t, await client(t).varCheckPropertySet(name, guid, prop({ property: VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY })), EFI.ACCESS_DENIED, 'VariablePropertySet after READY_TO_BOOT');
      await put(t, name, guid, NV_BS_RT, pattern(3));
    },
  }),
  check({
    ...base,
    id: 'smm-variable.lock.lock-variable',
    spec: 'edk2 EDKII_VARIABLE_LOCK_PROTOCOL (MdeModulePkg/Include/Protocol/VariableLock.h)',
    clause: CLAUSE.lock,
    title: 'a locked variable cannot be written',
    capabilities: [CAP.lock, 'target.reset'],
    requirement: 'RequestToLock (SMM_VARIABLE_FUNCTION_LOCK_VARIABLE) before EndOfDxe answers EFI_SUCCESS; afterwards SetVariable of that variable answers EFI_WRITE_PROTECTED and the value is unchanged.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid, 'Lock');
      await put(t, name, guid, NV_BS_RT, pattern(4, 5));
      resetAfter(t);
      const r = await client(t).lockVariable(name, guid);
      t.optional(CAP.lock, r.spm === 0 && r.status === EFI.UNSUPPORTED, 'LOCK_VARIABLE is not implemented');
      expectEfi(t, r, EFI.SUCCESS, 'RequestToLock');
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT, pattern(4, 6)), EFI.WRITE_PROTECTED, 'SetVariable of a locked variable');
      await expectValue(t, name, guid, pattern(4, 5), 'after the refused write');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.lock.after-ready-to-boot',
    spec: 'edk2 EDKII_VARIABLE_LOCK_PROTOCOL (MdeModulePkg/Include/Protocol/VariableLock.h)',
    clause: CLAUSE.lock,
    title: 'RequestToLock after READY_TO_BOOT answers EFI_ACCESS_DENIED',
    capabilities: [CAP.lock, CAP.readyToBoot, 'target.reset'],
    requirement: 'Variables can only be locked before EndOfDxe: after READY_TO_BOOT, LOCK_VARIABLE answers EFI_ACCESS_DENIED and the variable stays writable.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid, 'LateLock');
      await put(t, name, guid, NV_BS_RT, pattern(4, 7));
      resetAfter(t);
      const rtb = await client(t).readyToBoot();
      t.optional(CAP.readyToBoot, rtb.spm === 0 && rtb.status === EFI.UNSUPPORTED, 'READY_TO_BOOT is not implemented');
      const r = await client(t).lockVariable(name, guid);
      t.optional(CAP.lock, r.spm === 0 && r.status === EFI.UNSUPPORTED, 'LOCK_VARIABLE is not implemented');
      expectEfi(t, r, EFI.ACCESS_DENIED, 'RequestToLock after READY_TO_BOOT');
      await put(t, name, guid, NV_BS_RT, pattern(4, 8));
    },
  }),
];
