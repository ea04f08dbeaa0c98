// Boot phases: READY_TO_BOOT and EXIT_BOOT_SERVICE (what the firmware sends
// when EndOfDxe/ReadyToBoot and ExitBootServices() happen). After
// ExitBootServices boot-service-only variables vanish and runtime
// restrictions apply. Every check here leaves the target in a later phase,
// so each resets it afterwards (capability target.reset).
import { ATTR, BS_RT, EFI, NV_BS, NV_BS_RT, attrName, efiStatusName, spmRetName } from '../../protocol/smm-variable/index.js';
import { check } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import { CAP, CLAUSE, MM_ABI, UEFI, client, enumerate, expectAbsent, expectEfi, expectValue, newGuid, newName, pattern, put, resetAfter, services } from './common.js';

const { BOOTSERVICE_ACCESS: BS } = ATTR;
const base = { spec: UEFI, clause: CLAUSE.getNext, level: 'MUST' as const, services: services(), capabilities: ['target.reset'] };

async function exitBootServices(t: CheckContext): Promise<void> {
  resetAfter(t);
  expectEfi(t, await client(t).exitBootServices(), EFI.SUCCESS, 'EXIT_BOOT_SERVICE');
}

export default [
  check({
    ...base,
    id: 'smm-variable.runtime.boot-variable-hidden',
    clause: CLAUSE.get,
    title: 'after ExitBootServices a boot-service-only variable is not found',
    requirement:
      'If ExitBootServices() has already been executed, data variables without the EFI_VARIABLE_RUNTIME_ACCESS attribute set will not be visible to GetVariable() and will return an EFI_NOT_FOUND error (Trusted Services runtimeStateAccessControl).',
    run: async (t) => {
      const guid = newGuid(t);
      const nvbs = newName(t, guid);
      const vbs = newName(t, guid);
      await put(t, nvbs, guid, NV_BS, pattern(4, 1));
      await put(t, vbs, guid, BS, pattern(4, 2));
      await exitBootServices(t);
      await expectAbsent(t, nvbs, guid, 'NV|BS variable after ExitBootServices');
      await expectAbsent(t, vbs, guid, 'BS variable after ExitBootServices');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.runtime.boot-variable-not-enumerated',
    title: 'after ExitBootServices boot-service-only variables are not enumerated',
    requirement: 'Once ExitBootServices() is performed, variables that are only visible during boot services will no longer be returned by GetNextVariableName(); runtime variables still are.',
    run: async (t) => {
      const guid = newGuid(t);
      const bsOnly = newName(t, guid);
      const rt = newName(t, guid);
      await put(t, bsOnly, guid, NV_BS, pattern(4, 3));
      await put(t, rt, guid, NV_BS_RT, pattern(4, 4));
      await exitBootServices(t);
      const names = (await enumerate(t)).filter((e) => e.guid === guid).map((e) => e.name);
      t.assert(!names.includes(bsOnly), 'a boot-service-only variable is still enumerated after ExitBootServices', { expected: `not ${bsOnly}`, actual: names.join(', ') });
      t.assert(names.includes(rt), 'a runtime variable is no longer enumerated after ExitBootServices', { expected: rt, actual: names.join(', ') || 'none' });
    },
  }),
  check({
    ...base,
    id: 'smm-variable.runtime.runtime-variable-visible',
    clause: CLAUSE.get,
    title: 'after ExitBootServices runtime variables are still readable',
    requirement: 'Variables with EFI_VARIABLE_RUNTIME_ACCESS stay visible after ExitBootServices: NV|BS|RT and BS|RT variables read back unchanged.',
    run: async (t) => {
      const guid = newGuid(t);
      const a = newName(t, guid);
      const b = newName(t, guid);
      await put(t, a, guid, NV_BS_RT, pattern(6, 5));
      await put(t, b, guid, BS_RT, pattern(6, 6));
      await exitBootServices(t);
      await expectValue(t, a, guid, pattern(6, 5), 'NV|BS|RT after ExitBootServices', NV_BS_RT);
      await expectValue(t, b, guid, pattern(6, 6), 'BS|RT after ExitBootServices', BS_RT);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.runtime.volatile-write-protected',
    clause: CLAUSE.set,
    title: 'after ExitBootServices volatile variables cannot be written',
    requirement:
      'At runtime, volatile variables are read-only: SetVariable of an existing BS|RT variable is refused (edk2 EFI_WRITE_PROTECTED; EFI_INVALID_PARAMETER, or EFI_UNSUPPORTED where runtime SetVariable is not implemented) and creating a new BS|RT variable is refused; values are unchanged.',
    run: async (t) => {
      const guid = newGuid(t);
      const a = newName(t, guid);
      const fresh = newName(t, guid);
      await put(t, a, guid, BS_RT, pattern(3, 7));
      await exitBootServices(t);
      const c = client(t);
      expectEfi(t, await c.setVariable(a, guid, BS_RT, pattern(3, 8)), [EFI.WRITE_PROTECTED, EFI.INVALID_PARAMETER, EFI.UNSUPPORTED], 'rewrite a BS|RT variable at runtime');
      expectEfi(t, await c.setVariable(fresh, guid, BS_RT, pattern(3, 9)), [EFI.INVALID_PARAMETER, EFI.WRITE_PROTECTED, EFI.UNSUPPORTED], 'create a BS|RT variable at runtime');
      await expectValue(t, a, guid, pattern(3, 7), 'after the refused runtime write');
      await expectAbsent(t, fresh, guid, 'after the refused runtime create');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.runtime.create-needs-nv-rt',
    clause: CLAUSE.set,
    title: 'after ExitBootServices only NV|BS|RT variables can be created',
    requirement: 'At runtime a new variable must be NON_VOLATILE with RUNTIME_ACCESS: creating NV|BS is refused (edk2 EFI_INVALID_PARAMETER, EFI_UNSUPPORTED where runtime SetVariable is not implemented) and nothing is created.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await exitBootServices(t);
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS, pattern(3)), [EFI.INVALID_PARAMETER, EFI.WRITE_PROTECTED, EFI.UNSUPPORTED], 'create NV|BS at runtime');
      await t.reset();
      await expectAbsent(t, name, guid, 'after reset: the runtime NV|BS create');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.runtime.nv-rt-writable',
    clause: CLAUSE.set,
    title: 'after ExitBootServices NV|BS|RT variables can still be written',
    capabilities: ['target.reset', CAP.runtimeSet],
    requirement:
      'Runtime SetVariable of non-volatile runtime variables is supported by the MM variable service (EBBR: a platform that cannot must answer EFI_UNSUPPORTED and say so in RuntimeServicesSupported): create, update and delete of NV|BS|RT succeed and the update survives a reset.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(4, 10));
      await exitBootServices(t);
      const c = client(t);
      const u = await c.setVariable(name, guid, NV_BS_RT, pattern(4, 11));
      t.optional(CAP.runtimeSet, u.spm === 0 && u.status === EFI.UNSUPPORTED, 'SetVariable answers EFI_UNSUPPORTED at runtime');
      expectEfi(t, u, EFI.SUCCESS, 'update NV|BS|RT at runtime');
      const fresh = newName(t, guid);
      expectEfi(t, await c.setVariable(fresh, guid, NV_BS_RT, pattern(2, 12)), EFI.SUCCESS, 'create NV|BS|RT at runtime');
      expectEfi(t, await c.deleteVariable(fresh, guid), EFI.SUCCESS, 'delete NV|BS|RT at runtime');
      await t.reset();
      await expectValue(t, name, guid, pattern(4, 11), 'after reset: the runtime update');
      await expectAbsent(t, fresh, guid, 'after reset: the runtime delete');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.runtime.boot-variable-not-deletable',
    clause: CLAUSE.set,
    title: 'after ExitBootServices a boot-service-only variable cannot be deleted',
    requirement:
      'At runtime a variable without RUNTIME_ACCESS cannot be modified: deleting it answers EFI_NOT_FOUND (Trusted Services), EFI_WRITE_PROTECTED (edk2) or EFI_INVALID_PARAMETER, and after a reset it is still there.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS, pattern(5, 13));
      await exitBootServices(t);
      expectEfi(t, await client(t).deleteVariable(name, guid), [EFI.NOT_FOUND, EFI.WRITE_PROTECTED, EFI.INVALID_PARAMETER, EFI.UNSUPPORTED], 'delete an NV|BS variable at runtime');
      await t.reset();
      await expectValue(t, name, guid, pattern(5, 13), 'after reset');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.runtime.query-needs-runtime',
    clause: CLAUSE.query,
    title: 'after ExitBootServices QueryVariableInfo without RT is refused',
    requirement: 'At runtime QueryVariableInfo for a type without RUNTIME_ACCESS (NV|BS) answers EFI_INVALID_PARAMETER (EFI_UNSUPPORTED where runtime QueryVariableInfo is not implemented); NV|BS|RT is still answered.',
    run: async (t) => {
      await exitBootServices(t);
      const c = client(t);
      expectEfi(t, await c.queryVariableInfo(NV_BS), [EFI.INVALID_PARAMETER, EFI.UNSUPPORTED], 'QueryVariableInfo(NV|BS) at runtime');
      expectEfi(t, await c.queryVariableInfo(NV_BS_RT), [EFI.SUCCESS, EFI.UNSUPPORTED], 'QueryVariableInfo(NV|BS|RT) at runtime');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.runtime.reset-restores-boot-phase',
    clause: CLAUSE.ebs,
    title: 'a reset brings boot-service variables back',
    requirement: 'ExitBootServices lasts until the next boot: after a reset an NV|BS variable hidden at runtime is visible again with its data.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS, pattern(7, 14));
      await exitBootServices(t);
      await expectAbsent(t, name, guid, 'at runtime');
      await t.reset();
      await expectValue(t, name, guid, pattern(7, 14), 'after reset', NV_BS);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.runtime.ready-to-boot-at-runtime',
    spec: MM_ABI,
    clause: CLAUSE.readyToBoot,
    title: 'READY_TO_BOOT after EXIT_BOOT_SERVICE answers EFI_UNSUPPORTED',
    capabilities: ['target.reset', CAP.readyToBoot],
    requirement: 'SMM_VARIABLE_FUNCTION_READY_TO_BOOT reclaims storage for the OS at boot time; once at runtime it answers EFI_UNSUPPORTED (VariableSmm.c), and before it EFI_SUCCESS.',
    run: async (t) => {
      resetAfter(t);
      const c = client(t);
      const first = await c.readyToBoot();
      t.optional(CAP.readyToBoot, first.spm === 0 && first.status === EFI.UNSUPPORTED, 'READY_TO_BOOT is not implemented (Trusted Services implements functions 1-4, 6, 9-11 only)');
      expectEfi(t, first, EFI.SUCCESS, 'READY_TO_BOOT at boot time');
      expectEfi(t, await c.exitBootServices(), EFI.SUCCESS, 'EXIT_BOOT_SERVICE');
      expectEfi(t, await c.readyToBoot(), EFI.UNSUPPORTED, 'READY_TO_BOOT at runtime');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.runtime.ready-to-boot-keeps-variables',
    spec: MM_ABI,
    clause: CLAUSE.readyToBoot,
    title: 'READY_TO_BOOT leaves every variable readable',
    capabilities: ['target.reset', CAP.readyToBoot],
    requirement: 'READY_TO_BOOT (EndOfDxe/ReadyToBoot reclaim) changes no variable: NV|BS, NV|BS|RT and BS|RT variables read back unchanged afterwards and can still be written.',
    run: async (t) => {
      const guid = newGuid(t);
      const names = [newName(t, guid), newName(t, guid), newName(t, guid)];
      const attrs = [NV_BS, NV_BS_RT, BS_RT];
      for (const [i, n] of names.entries()) await put(t, n, guid, attrs[i]!, pattern(4, 20 + i));
      resetAfter(t);
      const r = await client(t).readyToBoot();
      t.optional(CAP.readyToBoot, r.spm === 0 && r.status === EFI.UNSUPPORTED, 'READY_TO_BOOT is not implemented');
      expectEfi(t, r, EFI.SUCCESS, 'READY_TO_BOOT');
      for (const [i, n] of names.entries()) await expectValue(t, n, guid, pattern(4, 20 + i), `after READY_TO_BOOT (${attrName(attrs[i]!)})`);
      await put(t, names[0]!, guid, NV_BS, pattern(4, 30));
    },
  }),
  check({
    ...base,
    id: 'smm-variable.runtime.exit-boot-services-answer',
    spec: MM_ABI,
    clause: 'SmmVariableCommon.h SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE',
    title: 'EXIT_BOOT_SERVICE answers EFI_SUCCESS, also when repeated',
    requirement: 'SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE (no payload) switches the service to runtime and answers EFI_SUCCESS; a second one changes nothing and does not fail the service.',
    run: async (t) => {
      resetAfter(t);
      const c = client(t);
      expectEfi(t, await c.exitBootServices(), EFI.SUCCESS, 'first EXIT_BOOT_SERVICE');
      const again = await c.exitBootServices();
      t.assert(again.spm === 0, `second EXIT_BOOT_SERVICE: MM layer ${spmRetName(again.spm)}`);
      t.note(`second EXIT_BOOT_SERVICE: ${efiStatusName(again.status)}`);
      expectEfi(t, await c.queryVariableInfo(NV_BS_RT), [EFI.SUCCESS, EFI.UNSUPPORTED], 'QueryVariableInfo(NV|BS|RT) afterwards');
    },
  }),
];
