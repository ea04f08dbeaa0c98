// UEFI 2.10 8.2 SetVariable(), through SMM_VARIABLE_FUNCTION_SET_VARIABLE:
// create, overwrite, delete, APPEND, attribute rules, size limits, and the
// malformed-size cases of the Trusted Services attack tests.
import { U64_MAX, concat } from '../../protocol/bytes.js';
import {
  ATTR,
  BS_RT,
  EFI,
  NV_BS,
  NV_BS_RT,
  attrName,
  efiStatusName,
  encodeName,
  showName,
} from '../../protocol/smm-variable/index.js';
import { check } from '../harness/check.js';
import { CAP, CLAUSE, MM_ABI, UEFI, client, enumerate, expectAbsent, expectEfi, expectRefused, expectValue, newGuid, newName, pattern, put, services } from './common.js';

const { NON_VOLATILE: NV, RUNTIME_ACCESS: RT, APPEND_WRITE: APPEND, HARDWARE_ERROR_RECORD: HR } = ATTR;
const AW = ATTR.AUTHENTICATED_WRITE_ACCESS;
const AT = ATTR.TIME_BASED_AUTHENTICATED_WRITE_ACCESS;
const base = { spec: UEFI, clause: CLAUSE.set, level: 'MUST' as const, services: services() };
const MALFORMED = [EFI.ACCESS_DENIED, EFI.INVALID_PARAMETER, EFI.BAD_BUFFER_SIZE];

export default [
  check({
    ...base,
    id: 'smm-variable.set.create-nv',
    title: 'SetVariable creates a non-volatile variable',
    requirement: 'SetVariable with NV|BS|RT and DataSize > 0 on a new name creates the variable: EFI_SUCCESS, and GetVariable returns the data and the attributes.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      const data = pattern(50, 1);
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT, data), EFI.SUCCESS, 'SetVariable(NV|BS|RT)');
      await expectValue(t, name, guid, data, 'after create', NV_BS_RT);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.create-volatile',
    title: 'SetVariable creates a volatile variable',
    requirement: 'SetVariable with BS|RT (no NV) creates a volatile variable: EFI_SUCCESS and GetVariable returns it with attributes BS|RT.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      expectEfi(t, await client(t).setVariable(name, guid, BS_RT, pattern(7, 2)), EFI.SUCCESS, 'SetVariable(BS|RT)');
      await expectValue(t, name, guid, pattern(7, 2), 'after create', BS_RT);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.overwrite',
    title: 'SetVariable on an existing variable replaces its whole value',
    requirement: 'Without APPEND, SetVariable on an existing variable with the same attributes replaces the value: 64 bytes then 5 bytes leaves exactly the 5 new bytes; 5 then 300 leaves the 300.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(64, 3));
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT, pattern(5, 4)), EFI.SUCCESS, 'shorter overwrite');
      await expectValue(t, name, guid, pattern(5, 4), 'after the shorter overwrite');
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT, pattern(300, 5)), EFI.SUCCESS, 'longer overwrite');
      await expectValue(t, name, guid, pattern(300, 5), 'after the longer overwrite');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.same-data',
    title: 'rewriting identical data succeeds',
    requirement: 'SetVariable with the same attributes and the same data as stored answers EFI_SUCCESS and leaves the variable as it was (FWTS "set same data").',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(9, 6));
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT, pattern(9, 6)), EFI.SUCCESS, 'identical rewrite');
      await expectValue(t, name, guid, pattern(9, 6), 'after the identical rewrite', NV_BS_RT);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.delete-size-zero',
    title: 'DataSize 0 without APPEND deletes the variable',
    requirement: 'Unless APPEND_WRITE, TIME_BASED_AUTHENTICATED_WRITE_ACCESS or ENHANCED_AUTHENTICATED_ACCESS is set, setting a data variable with zero DataSize causes it to be deleted.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(8));
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT, new Uint8Array(0)), EFI.SUCCESS, 'SetVariable with DataSize 0');
      await expectAbsent(t, name, guid, 'after the delete');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.delete-no-access',
    title: 'Attributes without BS or RT delete the variable',
    requirement: 'Setting a data variable with no access attributes (Attributes 0) causes it to be deleted, whatever DataSize says.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(8));
      expectEfi(t, await client(t).setVariable(name, guid, 0, pattern(4)), EFI.SUCCESS, 'SetVariable with Attributes 0 and 4 bytes');
      await expectAbsent(t, name, guid, 'after the delete');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.delete-missing',
    title: 'deleting a variable that does not exist answers EFI_NOT_FOUND',
    requirement: 'EFI_NOT_FOUND: the variable trying to be updated or deleted was not found (SetVariable with DataSize 0, or Attributes 0, on a name never set).',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid, 'Missing', false);
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT, new Uint8Array(0)), EFI.NOT_FOUND, 'delete with DataSize 0');
      expectEfi(t, await client(t).setVariable(name, guid, 0, new Uint8Array(0)), EFI.NOT_FOUND, 'delete with Attributes 0');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.empty-name',
    title: 'SetVariable with an empty name is refused with EFI_INVALID_PARAMETER',
    requirement: 'VariableName must contain 1 or more characters; if VariableName is an empty string, EFI_INVALID_PARAMETER is returned.',
    run: async (t) => {
      expectEfi(t, await client(t).setVariable('', newGuid(t), NV_BS_RT, pattern(4)), EFI.INVALID_PARAMETER, 'SetVariable("")');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.runtime-without-bootservice',
    title: 'RT without BS is refused and creates nothing',
    requirement: 'Runtime access to a data variable implies boot service access: Attributes with RUNTIME_ACCESS set must also have BOOTSERVICE_ACCESS set, else EFI_INVALID_PARAMETER (SCT SetVariable_Conf).',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      for (const attrs of [RT, NV | RT]) {
        expectEfi(t, await client(t).setVariable(name, guid, attrs, pattern(4)), EFI.INVALID_PARAMETER, `SetVariable(${attrName(attrs)})`);
      }
      await expectAbsent(t, name, guid, 'after the refused writes');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.nv-only',
    title: 'NV as the only attribute does not create an inaccessible variable',
    requirement:
      'A variable with no access attribute cannot be accessed; NON_VOLATILE alone is an invalid combination (edk2: EFI_INVALID_PARAMETER) or a delete request (EFI_NOT_FOUND for a new name). Trusted Services creates the variable (EFI_SUCCESS): NON-STRICT.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      const r = await client(t).setVariable(name, guid, NV, pattern(4));
      if (r.spm === 0 && r.status === EFI.SUCCESS) {
        t.nonStrict('SetVariable(NV) created a variable without access attributes (Trusted Services behaviour)');
        return;
      }
      expectEfi(t, r, [EFI.INVALID_PARAMETER, EFI.NOT_FOUND], 'SetVariable(NV only)');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.attributes-change',
    title: 'rewriting with different attributes is refused and changes nothing',
    requirement:
      'If a preexisting variable is rewritten with different attributes, SetVariable() shall not modify the variable and shall return EFI_INVALID_PARAMETER (the only exception is APPEND_WRITE).',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(6, 7));
      for (const attrs of [NV_BS, BS_RT]) {
        expectEfi(t, await client(t).setVariable(name, guid, attrs, pattern(6, 8)), EFI.INVALID_PARAMETER, `rewrite with ${attrName(attrs)}`);
      }
      await expectValue(t, name, guid, pattern(6, 7), 'after the refused rewrites', NV_BS_RT);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.append',
    title: 'APPEND_WRITE appends to the existing value',
    requirement: 'If EFI_VARIABLE_APPEND_WRITE is set, the Data is appended to the existing variable value; the attributes differing only in APPEND_WRITE is allowed.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(10, 9));
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT | APPEND, pattern(7, 10)), EFI.SUCCESS, 'SetVariable(NV|BS|RT|APPEND)');
      await expectValue(t, name, guid, concat(pattern(10, 9), pattern(7, 10)), 'after the append', NV_BS_RT);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.append-volatile',
    title: 'APPEND_WRITE works on volatile variables',
    requirement: 'APPEND_WRITE appends to a volatile (BS|RT) variable as to a non-volatile one, twice in a row.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, BS_RT, pattern(3, 11));
      for (const s of [12, 13]) expectEfi(t, await client(t).setVariable(name, guid, BS_RT | APPEND, pattern(2, s)), EFI.SUCCESS, 'append');
      await expectValue(t, name, guid, concat(pattern(3, 11), pattern(2, 12), pattern(2, 13)), 'after two appends');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.append-creates',
    title: 'APPEND_WRITE on a missing variable creates it',
    requirement: 'SetVariable with APPEND_WRITE and DataSize > 0 on a name that does not exist creates the variable with that data (stored without the APPEND bit).',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT | APPEND, pattern(5, 14)), EFI.SUCCESS, 'append to a missing variable');
      await expectValue(t, name, guid, pattern(5, 14), 'after append-create', NV_BS_RT);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.append-empty',
    title: 'APPEND_WRITE with DataSize 0 changes nothing and deletes nothing',
    requirement: 'When APPEND_WRITE is set, a SetVariable() call with a DataSize of zero will not cause any change to the variable value (and does not delete it); on a missing variable it creates nothing (EFI_SUCCESS, or EFI_NOT_FOUND as Trusted Services answers).',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(4, 15));
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT | APPEND, new Uint8Array(0)), EFI.SUCCESS, 'empty append to an existing variable');
      await expectValue(t, name, guid, pattern(4, 15), 'after the empty append');
      const missing = newName(t, guid);
      expectEfi(t, await client(t).setVariable(missing, guid, NV_BS_RT | APPEND, new Uint8Array(0)), [EFI.SUCCESS, EFI.NOT_FOUND], 'empty append to a missing variable');
      await expectAbsent(t, missing, guid, 'after the empty append to a missing variable');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.reserved-attributes',
    title: 'undefined attribute bits are refused and create nothing',
    requirement: 'An invalid combination of attribute bits is refused: bits outside the defined attributes (0x100, 0x80000000) give EFI_INVALID_PARAMETER (edk2) or EFI_UNSUPPORTED (Trusted Services), and no variable is created.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      for (const bit of [0x100, 0x8000_0000]) {
        expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT | bit, pattern(4)), [EFI.INVALID_PARAMETER, EFI.UNSUPPORTED], `SetVariable(${attrName(NV_BS_RT | bit)})`);
      }
      await expectAbsent(t, name, guid, 'after the refused writes');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.authenticated-write-access',
    title: 'the deprecated AUTHENTICATED_WRITE_ACCESS is not accepted',
    requirement:
      'EFI_VARIABLE_AUTHENTICATED_WRITE_ACCESS is deprecated and should not be used; platforms should return EFI_UNSUPPORTED if a caller specifies it (FWTS: must be EFI_UNSUPPORTED). Creating the variable is a FAIL; another error is NON-STRICT.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      const r = await client(t).setVariable(name, guid, NV_BS_RT | AW, pattern(8));
      t.assert(r.spm !== 0 || r.status !== EFI.SUCCESS, 'SetVariable with AUTHENTICATED_WRITE_ACCESS succeeded', { expected: 'EFI_UNSUPPORTED', actual: 'EFI_SUCCESS' });
      if (r.spm !== 0 || r.status !== EFI.UNSUPPORTED) t.nonStrict(`answered ${r.spm !== 0 ? `MM code ${r.spm}` : efiStatusName(r.status)} instead of EFI_UNSUPPORTED`);
      await expectAbsent(t, name, guid, 'after the refused write');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.both-auth-attributes',
    title: 'AUTHENTICATED_WRITE_ACCESS together with TIME_BASED_AUTHENTICATED_WRITE_ACCESS is refused',
    requirement: 'The two authentication attributes cannot both be set (FWTS "both auth bits"): EFI_INVALID_PARAMETER, EFI_UNSUPPORTED or EFI_SECURITY_VIOLATION, and nothing is created.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      const r = await client(t).setVariable(name, guid, NV_BS_RT | AW | AT, pattern(64));
      expectEfi(t, r, [EFI.INVALID_PARAMETER, EFI.UNSUPPORTED, EFI.SECURITY_VIOLATION], 'SetVariable(NV|BS|RT|AW|AT)');
      await expectAbsent(t, name, guid, 'after the refused write');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.hardware-error-record',
    title: 'HARDWARE_ERROR_RECORD is refused where not supported',
    requirement:
      'EFI_VARIABLE_HARDWARE_ERROR_RECORD variables are optional (HwErrRecSupport); a platform that does not support them refuses HwErrRec#### with NV|BS|RT|HR (EFI_INVALID_PARAMETER in edk2, EFI_UNSUPPORTED in Trusted Services) and creates nothing. With the capability declared true the write must succeed.',
    run: async (t) => {
      const guid = '414e6bdd-e47b-47cc-b244-bb61020cf516';
      const name = `HwErrRec${(t.runNonce & 0xfff).toString(16).padStart(4, '0')}`;
      t.defer(() => client(t).deleteVariable(name, guid));
      const r = await client(t).setVariable(name, guid, NV_BS_RT | HR, pattern(16));
      if (t.cap(CAP.hwErr) === true) return expectEfi(t, r, EFI.SUCCESS, 'SetVariable(HwErrRec, NV|BS|RT|HR)');
      if (r.spm === 0 && r.status === EFI.SUCCESS) t.unsupported('the target stores hardware error records; declare smm-variable.hardware-error-records = true');
      expectEfi(t, r, [EFI.INVALID_PARAMETER, EFI.UNSUPPORTED], 'SetVariable(HwErrRec, NV|BS|RT|HR)');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.max-size-accepted',
    title: 'a variable of MaximumVariableSize bytes (name + data) is accepted',
    requirement: 'QueryVariableInfo reports MaximumVariableSize, the maximum size of an individual variable of the given type: a new NV|BS|RT variable whose name and data together are that size is stored (when it fits the MM payload).',
    run: async (t) => {
      const c = client(t);
      const q = await c.queryVariableInfo(NV_BS_RT);
      expectEfi(t, q, EFI.SUCCESS, 'QueryVariableInfo(NV|BS|RT)');
      const ps = await c.getPayloadSize();
      const guid = newGuid(t);
      const name = newName(t, guid);
      const nameSize = (name.length + 1) * 2;
      const size = Number(q.info!.maximumVariableSize) - nameSize;
      if (size <= 0) t.unsupported(`MaximumVariableSize ${q.info!.maximumVariableSize} leaves no room`);
      if (ps.spm === 0 && ps.status === EFI.SUCCESS && 36 + nameSize + size > Number(ps.payloadSize!)) {
        t.unsupported(`MaximumVariableSize ${q.info!.maximumVariableSize} does not fit the MM payload of ${ps.payloadSize} bytes`);
      }
      const data = pattern(size, 16);
      expectEfi(t, await c.setVariable(name, guid, NV_BS_RT, data), EFI.SUCCESS, `SetVariable with name + data = ${q.info!.maximumVariableSize} bytes`);
      await expectValue(t, name, guid, data, 'the largest variable');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.too-large',
    title: 'a variable larger than MaximumVariableSize is refused and creates nothing',
    requirement: 'The size of VariableName (with its NUL) plus DataSize is limited to the maximum variable size: one byte over MaximumVariableSize is refused (EFI_INVALID_PARAMETER, or EFI_OUT_OF_RESOURCES) and nothing is stored (SCT SetVariable_Conf).',
    run: async (t) => {
      const c = client(t);
      const q = await c.queryVariableInfo(NV_BS_RT);
      expectEfi(t, q, EFI.SUCCESS, 'QueryVariableInfo(NV|BS|RT)');
      const guid = newGuid(t);
      const name = newName(t, guid);
      const size = Number(q.info!.maximumVariableSize) - (name.length + 1) * 2 + 1;
      const r = await c.setVariable(name, guid, NV_BS_RT, pattern(Math.max(size, 1), 17));
      t.note(expectRefused(t, r, `SetVariable one byte over MaximumVariableSize (${q.info!.maximumVariableSize})`, { allowed: [EFI.INVALID_PARAMETER, EFI.OUT_OF_RESOURCES, EFI.BAD_BUFFER_SIZE] }));
      await expectAbsent(t, name, guid, 'after the refused write');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.store-full',
    title: 'a variable that does not fit the remaining storage is refused with EFI_OUT_OF_RESOURCES',
    requirement:
      'When the non-volatile store has no room left for a variable, SetVariable returns EFI_OUT_OF_RESOURCES ("not enough storage is available to hold the variable and its data") and stores nothing; the variables written before it keep their values. Filling the store is destructive on a board: firmware that finds its store full may fail to boot.',
    destructive: true,
    run: async (t) => {
      const c = client(t);
      const q = await c.queryVariableInfo(NV_BS_RT);
      expectEfi(t, q, EFI.SUCCESS, 'QueryVariableInfo(NV|BS|RT)');
      const guid = newGuid(t);
      const chunk = Math.max(64, Math.min(4096, Number(q.info!.maximumVariableSize) - 256));
      // every write takes at least `chunk` bytes: the store is full within remaining/chunk writes, plus slack
      const bound = Math.ceil(Number(q.info!.remainingVariableStorageSize) / chunk) + 16;
      const written: string[] = [];
      for (let i = 0; i <= bound; i++) {
        const name = `${newName(t, guid)}F${i}`;
        const r = await c.setVariable(name, guid, NV_BS_RT, pattern(chunk, i));
        if (r.spm === 0 && r.status === EFI.SUCCESS) {
          written.push(name);
          t.defer(() => c.deleteVariable(name, guid));
          continue;
        }
        t.note(`${written.length} variables of ${chunk} bytes fitted; RemainingVariableStorageSize was ${q.info!.remainingVariableStorageSize}`);
        expectEfi(t, r, EFI.OUT_OF_RESOURCES, `SetVariable of ${chunk} bytes into a full store`);
        await expectAbsent(t, name, guid, 'after the refused write');
        if (written.length) await expectValue(t, written[0]!, guid, pattern(chunk, 0), 'the first variable written before the store filled up');
        return;
      }
      t.fail(`${bound + 1} SetVariable calls of ${chunk} bytes all succeeded although RemainingVariableStorageSize was ${q.info!.remainingVariableStorageSize}`, {
        expected: 'EFI_OUT_OF_RESOURCES once the store is full',
        actual: `${written.length} variables stored`,
      });
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.distinct-guids',
    title: 'the same name under two GUIDs holds two values',
    requirement: 'Each vendor creates and manages its own variables by VendorGuid: SetVariable of one name under two GUIDs creates two independent variables; deleting one leaves the other (FWTS "two GUIDs").',
    run: async (t) => {
      const g1 = newGuid(t);
      const g2 = newGuid(t);
      const name = newName(t, g1);
      newName(t, g2);
      t.defer(() => client(t).deleteVariable(name, g2));
      await put(t, name, g1, NV_BS_RT, pattern(4, 18));
      await put(t, name, g2, NV_BS_RT, pattern(4, 19));
      await expectValue(t, name, g1, pattern(4, 18), 'first GUID');
      await expectValue(t, name, g2, pattern(4, 19), 'second GUID');
      expectEfi(t, await client(t).deleteVariable(name, g1), EFI.SUCCESS, 'delete under the first GUID');
      await expectValue(t, name, g2, pattern(4, 19), 'second GUID after deleting the first');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.similar-names',
    title: 'names that share a prefix are distinct variables',
    requirement: 'Names are compared in full: "X", "X1" and "X12" (FWTS "similar names") are three variables; deleting "X1" leaves the other two.',
    run: async (t) => {
      const guid = newGuid(t);
      const stem = newName(t, guid, 'Sim');
      const names = [stem, `${stem}1`, `${stem}12`];
      for (const n of names.slice(1)) t.defer(() => client(t).deleteVariable(n, guid));
      for (const [i, n] of names.entries()) await put(t, n, guid, NV_BS_RT, pattern(3, 20 + i));
      expectEfi(t, await client(t).deleteVariable(names[1]!, guid), EFI.SUCCESS, `delete ${showName(names[1]!)}`);
      await expectValue(t, names[0]!, guid, pattern(3, 20), 'shorter name');
      await expectValue(t, names[2]!, guid, pattern(3, 22), 'longer name');
      await expectAbsent(t, names[1]!, guid, 'deleted name');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.unicode-name',
    title: 'names outside ASCII round-trip as CHAR16',
    requirement: 'VariableName is a NUL-terminated CHAR16 string: a name with Latin-1, CJK and a UTF-16 surrogate pair is stored, read back and enumerated with the same code units.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = `Fw\u00e9\u4e2d\ud83d\ude00${t.unique()}`;
      t.defer(() => client(t).deleteVariable(name, guid));
      await put(t, name, guid, NV_BS_RT, pattern(5, 23));
      await expectValue(t, name, guid, pattern(5, 23), 'read back');
      const found = (await enumerate(t)).filter((e) => e.guid === guid).map((e) => e.name);
      t.assert(found.length === 1 && found[0] === name, `GetNextVariableName returned ${found.map(showName).join(', ') || 'nothing'} under the check's GUID`, { expected: showName(name), actual: found.map(showName).join(', ') || 'nothing' });
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.name-not-terminated',
    title: 'a SetVariable name without a NUL within NameSize is refused',
    spec: MM_ABI,
    clause: CLAUSE.handler,
    requirement: 'The handler makes sure VariableName is NUL-terminated within NameSize: an unterminated name is refused (edk2 EFI_ACCESS_DENIED, Trusted Services EFI_INVALID_PARAMETER) and nothing is created.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      const enc = encodeName(name);
      const r = await client(t).setVariable(enc.subarray(0, enc.length - 2), guid, NV_BS_RT, pattern(4));
      t.note(expectRefused(t, r, 'SetVariable with an unterminated name', { allowed: MALFORMED }));
      await expectAbsent(t, name, guid, 'after the refused write');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.name-size-overflow',
    title: 'SetVariable with NameSize past the buffer or SIZE_MAX is refused',
    spec: MM_ABI,
    clause: CLAUSE.handler,
    requirement:
      'InfoSize = OFFSET_OF(Name) + DataSize + NameSize must not overflow and must fit the payload (Trusted Services SmmVariableAttackTests setWithOversizeName / setWithSizeMaxNameSize): such requests are refused and create nothing.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      const ns0 = BigInt(encodeName(name).length);
      for (const ns of [ns0 + 8n, U64_MAX, U64_MAX - 35n, 1n << 63n]) {
        const r = await client(t).setVariable(name, guid, NV_BS_RT, pattern(4), { nameSize: ns });
        t.note(`NameSize ${ns}: ${expectRefused(t, r, `SetVariable with NameSize ${ns}`, { allowed: MALFORMED })}`);
      }
      await expectAbsent(t, name, guid, 'after the refused writes');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.data-size-overflow',
    title: 'SetVariable with DataSize past the buffer or SIZE_MAX is refused',
    spec: MM_ABI,
    clause: CLAUSE.handler,
    requirement:
      'A DataSize larger than the bytes that follow the name (by one, by 2^32, SIZE_MAX, SIZE_MAX - 36 where the sum wraps) is refused (Trusted Services setWithOversizeData / setWithSizeMaxDataSize) and creates nothing.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      for (const ds of [5n, (1n << 32n) + 4n, U64_MAX, U64_MAX - 36n]) {
        const r = await client(t).setVariable(name, guid, NV_BS_RT, pattern(4), { dataSize: ds });
        t.note(`DataSize ${ds}: ${expectRefused(t, r, `SetVariable with DataSize ${ds} and 4 bytes of data`, { allowed: MALFORMED })}`);
      }
      await expectAbsent(t, name, guid, 'after the refused writes');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.set.trailing-bytes-ignored',
    title: 'bytes after DataSize in the buffer are not stored',
    spec: MM_ABI,
    clause: CLAUSE.handler,
    requirement: 'The variable value is exactly DataSize bytes at Name + NameSize: with DataSize 4 and 12 bytes present, 4 bytes are stored.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      const data = pattern(12, 24);
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT, data, { dataSize: 4n }), EFI.SUCCESS, 'SetVariable with DataSize 4 and 12 bytes present');
      await expectValue(t, name, guid, data.subarray(0, 4), 'after the write');
    },
  }),
];
