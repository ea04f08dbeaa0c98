// Non-volatile variables survive a reset of the target, volatile ones do
// not; nothing written after a reset loses what was there before (the
// meta-qcom #2810 bug: a file-backed store lost variables on the first write
// after reboot).
import { concat } from '../../protocol/bytes.js';
import { ATTR, BS_RT, EFI, NV_BS, NV_BS_RT } from '../../protocol/smm-variable/index.js';
import { check } from '../harness/check.js';
import { CLAUSE, UEFI, client, enumerate, expectAbsent, expectEfi, expectValue, newGuid, newName, pattern, put, services } from './common.js';

const base = { spec: UEFI, clause: CLAUSE.services, level: 'MUST' as const, services: services(), capabilities: ['target.reset'] };

export default [
  check({
    ...base,
    id: 'smm-variable.persist.nv-survives-reset',
    title: 'non-volatile variables survive a reset',
    requirement:
      'EFI_VARIABLE_NON_VOLATILE variables are stored in fixed hardware that has a limited storage capacity and are retained across resets: after a reset NV|BS|RT and NV|BS variables read back with their data and attributes.',
    run: async (t) => {
      const guid = newGuid(t);
      const a = newName(t, guid);
      const b = newName(t, guid);
      await put(t, a, guid, NV_BS_RT, pattern(100, 1));
      await put(t, b, guid, NV_BS, pattern(1, 2));
      await t.reset();
      await expectValue(t, a, guid, pattern(100, 1), 'after reset', NV_BS_RT);
      await expectValue(t, b, guid, pattern(1, 2), 'after reset', NV_BS);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.persist.volatile-lost',
    title: 'volatile variables are gone after a reset',
    requirement: 'Variables without EFI_VARIABLE_NON_VOLATILE are stored in memory and lost when the system resets: after a reset a BS|RT and a BS variable answer EFI_NOT_FOUND.',
    run: async (t) => {
      const guid = newGuid(t);
      const a = newName(t, guid);
      const b = newName(t, guid);
      await put(t, a, guid, BS_RT, pattern(8, 3));
      await put(t, b, guid, ATTR.BOOTSERVICE_ACCESS, pattern(8, 4));
      await t.reset();
      await expectAbsent(t, a, guid, 'BS|RT after reset');
      await expectAbsent(t, b, guid, 'BS after reset');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.persist.latest-value',
    title: 'after a reset the last value written is returned',
    requirement: 'A reset does not bring back an older value: after three overwrites (50, 20, 35 bytes) and an append, the value read after the reset is the last one.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      for (const n of [50, 20, 35]) await put(t, name, guid, NV_BS_RT, pattern(n, n));
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT | ATTR.APPEND_WRITE, pattern(3, 9)), EFI.SUCCESS, 'append');
      await t.reset();
      await expectValue(t, name, guid, concat(pattern(35, 35), pattern(3, 9)), 'after reset');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.persist.delete-survives-reset',
    title: 'a deleted non-volatile variable stays deleted after a reset',
    requirement: 'A delete of a non-volatile variable is persistent: after a reset it still answers EFI_NOT_FOUND and is not enumerated.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      await put(t, name, guid, NV_BS_RT, pattern(12, 5));
      expectEfi(t, await client(t).deleteVariable(name, guid), EFI.SUCCESS, 'delete');
      await t.reset();
      await expectAbsent(t, name, guid, 'after reset');
      t.assert(!(await enumerate(t)).some((e) => e.guid === guid && e.name === name), 'the deleted variable is enumerated after a reset');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.persist.write-after-reset-keeps-others',
    title: 'the first write after a reset keeps every other variable',
    requirement:
      'Writing one variable after a reset must not lose the others (meta-qcom #2810: a store that rewrote its file from an empty cache on the first write after reboot): after reset, write, reset, all earlier NV variables are still there.',
    run: async (t) => {
      const guid = newGuid(t);
      const names = [newName(t, guid), newName(t, guid), newName(t, guid)];
      for (const [i, n] of names.entries()) await put(t, n, guid, NV_BS_RT, pattern(16, 10 + i));
      await t.reset();
      const late = newName(t, guid);
      await put(t, late, guid, NV_BS_RT, pattern(4, 20));
      await t.reset();
      for (const [i, n] of names.entries()) await expectValue(t, n, guid, pattern(16, 10 + i), 'after reset, write, reset');
      await expectValue(t, late, guid, pattern(4, 20), 'the write made after the first reset');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.persist.enumeration-after-reset',
    title: 'after a reset enumeration returns every NV variable exactly once and no volatile one',
    requirement: 'After a reset GetNextVariableName returns each surviving non-volatile variable exactly once and none of the volatile variables that existed before the reset.',
    run: async (t) => {
      const guid = newGuid(t);
      const nv = [newName(t, guid), newName(t, guid), newName(t, guid)];
      const vol = newName(t, guid);
      for (const n of nv) await put(t, n, guid, NV_BS_RT, pattern(2));
      await put(t, vol, guid, BS_RT, pattern(2));
      await t.reset();
      const got = (await enumerate(t)).filter((e) => e.guid === guid).map((e) => e.name).sort();
      t.expectEqual(got.join(','), [...nv].sort().join(','), 'names enumerated under the check\'s GUID after reset');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.persist.quota-after-reset',
    title: 'QueryVariableInfo accounts for surviving variables after a reset',
    level: 'SHOULD',
    requirement: 'The storage used by non-volatile variables is still accounted after a reset: RemainingVariableStorageSize for NV|BS|RT after the reset is not larger than it was just before it.',
    run: async (t) => {
      const guid = newGuid(t);
      await put(t, newName(t, guid), guid, NV_BS_RT, pattern(2048, 6));
      const before = await client(t).queryVariableInfo(NV_BS_RT);
      expectEfi(t, before, EFI.SUCCESS, 'QueryVariableInfo before reset');
      await t.reset();
      const after = await client(t).queryVariableInfo(NV_BS_RT);
      expectEfi(t, after, EFI.SUCCESS, 'QueryVariableInfo after reset');
      t.assert(after.info!.remainingVariableStorageSize <= before.info!.remainingVariableStorageSize, `RemainingVariableStorageSize grew from ${before.info!.remainingVariableStorageSize} to ${after.info!.remainingVariableStorageSize} across a reset that removed no NV variable`);
    },
  }),
];
