// UEFI 2.10 8.2 GetNextVariableName(), through
// SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME: enumeration completeness,
// uniqueness, the VariableNameSize rules.
import { U64_MAX } from '../../protocol/bytes.js';
import { BS_RT, EFI, NV_BS, NV_BS_RT, encodeName, showName } from '../../protocol/smm-variable/index.js';
import { check } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import { CLAUSE, MM_ABI, UEFI, client, enumerate, expectEfi, expectRefused, newGuid, newName, pattern, put, services } from './common.js';

const base = { spec: UEFI, clause: CLAUSE.getNext, level: 'MUST' as const, services: services() };

/** Creates `n` variables under a fresh GUID; their names. */
async function several(t: CheckContext, n: number, attrs = NV_BS_RT): Promise<{ guid: string; names: string[] }> {
  const guid = newGuid(t);
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = newName(t, guid, `Enum${i}x`);
    await put(t, name, guid, attrs, pattern(3, i));
    names.push(name);
  }
  return { guid, names };
}

function countOf(list: { guid: string; name: string }[], guid: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of list) if (e.guid === guid) m.set(e.name, (m.get(e.name) ?? 0) + 1);
  return m;
}

function expectExactlyOnce(t: CheckContext, list: { guid: string; name: string }[], guid: string, want: string[], what: string): void {
  const seen = new Set<string>();
  for (const e of list) {
    const k = `${e.guid}/${e.name}`;
    if (seen.has(k)) t.fail(`${what}: GetNextVariableName returned ${showName(e.name)} under ${e.guid} twice`, { expected: 'every variable exactly once', actual: `${showName(e.name)} twice` });
    seen.add(k);
  }
  const got = countOf(list, guid);
  const missing = want.filter((n) => !got.has(n));
  const twice = [...got].filter(([, c]) => c > 1).map(([n]) => n);
  const extra = [...got.keys()].filter((n) => !want.includes(n));
  if (missing.length || twice.length || extra.length) {
    t.fail(`${what}: enumeration under ${guid} is not exactly the variables that exist`, {
      expected: `each of ${want.length} name(s) exactly once`,
      actual: [missing.length ? `missing ${missing.map(showName).join(', ')}` : '', twice.length ? `repeated ${twice.map(showName).join(', ')}` : '', extra.length ? `unexpected ${extra.map(showName).join(', ')}` : '']
        .filter(Boolean)
        .join('; '),
    });
  }
}

export default [
  check({
    ...base,
    id: 'smm-variable.get-next.complete',
    title: 'enumeration returns every variable exactly once and ends with EFI_NOT_FOUND',
    requirement:
      'GetNextVariableName is called repeatedly from an empty name to obtain all variable names (and VendorGuids); when the entire list has been returned EFI_NOT_FOUND is returned. Every variable that exists is returned exactly once, in any order (FWTS uefirtvariable uniqueness).',
    run: async (t) => {
      const { guid, names } = await several(t, 6);
      const vol = newName(t, guid, 'EnumVol');
      await put(t, vol, guid, BS_RT, pattern(2));
      expectExactlyOnce(t, await enumerate(t), guid, [...names, vol], 'full enumeration');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get-next.no-duplicates',
    title: 'no (name, GUID) pair is returned twice in a whole enumeration',
    requirement: 'Each call returns the next variable; a complete enumeration of the whole store contains no (VariableName, VendorGuid) pair twice.',
    run: async (t) => {
      await several(t, 3);
      const seen = new Set<string>();
      for (const e of await enumerate(t)) {
        const k = `${e.guid}/${e.name}`;
        if (seen.has(k)) t.fail(`GetNextVariableName returned ${showName(e.name)} under ${e.guid} twice`, { expected: 'each pair once', actual: `${showName(e.name)} twice` });
        seen.add(k);
      }
      t.note(`${seen.size} variables enumerated`);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get-next.after-delete',
    title: 'a deleted variable is no longer enumerated; the others still are, once',
    requirement: 'GetNextVariableName enumerates the current variable names: after deleting two of six variables, a full enumeration returns the four remaining exactly once and neither deleted name.',
    run: async (t) => {
      const { guid, names } = await several(t, 6);
      for (const n of [names[1]!, names[4]!]) expectEfi(t, await client(t).deleteVariable(n, guid), EFI.SUCCESS, `delete ${showName(n)}`);
      expectExactlyOnce(t, await enumerate(t), guid, names.filter((_, i) => i !== 1 && i !== 4), 'after deleting two');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get-next.delete-during-enumeration',
    title: 'deleting an already returned variable mid-enumeration does not disturb the rest',
    level: 'SHOULD',
    requirement:
      'The spec warns that SetVariable between GetNextVariableName calls may produce unpredictable results; a robust store should still return every remaining variable once when a variable already returned is deleted mid-way (FWTS and efivarfs delete while walking).',
    run: async (t) => {
      const { guid, names } = await several(t, 5);
      const c = client(t);
      const got: { guid: string; name: string }[] = [];
      let name = '';
      let g = '00000000-0000-0000-0000-000000000000';
      let deleted: string | undefined;
      for (let i = 0; i < 5000; i++) {
        const r = await c.getNextVariableName(name, g, { bufferSize: 1024 });
        if (r.spm === 0 && r.status === EFI.NOT_FOUND) break;
        if (r.spm !== 0 || r.status !== EFI.SUCCESS) {
          t.nonStrict(`enumeration broke off with ${r.spm !== 0 ? `MM code ${r.spm}` : r.status} after a delete`);
          return;
        }
        name = r.name!;
        g = r.guid;
        got.push({ guid: g, name });
        // after the second of ours, delete the first of ours already returned
        if (!deleted && got.filter((e) => e.guid === guid).length === 2) {
          deleted = got.find((e) => e.guid === guid)!.name;
          expectEfi(t, await c.deleteVariable(deleted, guid), EFI.SUCCESS, `delete ${showName(deleted)} mid-enumeration`);
        }
      }
      const want = names.filter((n) => n !== deleted);
      const counts = countOf(got, guid);
      const missing = want.filter((n) => !counts.has(n));
      const twice = [...counts].filter(([, c2]) => c2 > 1).map(([n]) => n);
      if (missing.length || twice.length) t.nonStrict(`after deleting ${showName(deleted ?? '?')} mid-enumeration: missing ${missing.map(showName).join(', ') || 'none'}, repeated ${twice.map(showName).join(', ') || 'none'}`);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get-next.buffer-too-small',
    title: 'a VariableNameSize of 2 with the empty name answers EFI_BUFFER_TOO_SMALL and the size needed',
    requirement:
      'EFI_BUFFER_TOO_SMALL: the VariableNameSize is too small for the result; VariableNameSize has been updated with the size needed (FWTS size 2, Trusted Services getNextVariableName with size 2; uefi-rs #1579: firmware that does not update the size).',
    run: async (t) => {
      await several(t, 1);
      const r = await client(t).getNextVariableName('', newGuid(t), { nameSize: 2n, bufferSize: 2 });
      expectEfi(t, r, EFI.BUFFER_TOO_SMALL, 'GetNextVariableName("", VariableNameSize=2)');
      t.assert(r.nameSize > 2n && r.nameSize % 2n === 0n, `VariableNameSize came back ${r.nameSize}, not the size of the next name`, {
        expected: 'the StrSize of the first name (> 2, even)',
        actual: String(r.nameSize),
      });
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get-next.size-then-name',
    title: 'the size EFI_BUFFER_TOO_SMALL reports is enough to get that name',
    requirement:
      'After EFI_BUFFER_TOO_SMALL, calling again with VariableNameSize set to the returned size returns EFI_SUCCESS, the name (of exactly that StrSize) and its VendorGuid.',
    run: async (t) => {
      // a name longer than any other, so the predecessor's name buffer is too small for it
      const guid = newGuid(t);
      const names = [newName(t, guid, `Long${'N'.repeat(100)}`)];
      await put(t, names[0]!, guid, NV_BS_RT, pattern(3));
      const c = client(t);
      // walk to our variable, then ask for its successor's size with the predecessor's name
      const all = await enumerate(t);
      const idx = all.findIndex((e) => e.guid === guid && e.name === names[0]);
      if (idx < 0) t.fail('the variable just created is not enumerated');
      const prev = idx === 0 ? { name: '', guid } : all[idx - 1]!;
      const small = await c.getNextVariableName(prev.name, prev.guid, { nameSize: BigInt((prev.name.length + 1) * 2), bufferSize: (prev.name.length + 1) * 2 });
      const want = BigInt((names[0]!.length + 1) * 2);
      if (small.spm === 0 && small.status === EFI.SUCCESS) {
        // the predecessor's name buffer happened to be large enough
        t.expectEqual(small.name, names[0], 'name returned');
        return;
      }
      expectEfi(t, small, EFI.BUFFER_TOO_SMALL, 'GetNextVariableName with a buffer the size of the previous name');
      t.expectEqual(small.nameSize, want, 'VariableNameSize after EFI_BUFFER_TOO_SMALL');
      const again = await c.getNextVariableName(prev.name, prev.guid, { nameSize: small.nameSize, bufferSize: Number(small.nameSize) });
      expectEfi(t, again, EFI.SUCCESS, 'GetNextVariableName with the returned size');
      t.expectEqual(again.name, names[0], 'name returned');
      t.expectEqual(again.guid, guid, 'VendorGuid returned');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get-next.size-updated-on-success',
    title: 'on success VariableNameSize is the size of the returned name',
    requirement: 'On output VariableNameSize is the size of the name returned, including its NUL (StrSize): with a 1024-byte buffer, each name comes back with VariableNameSize = 2 × (length + 1).',
    run: async (t) => {
      const { guid, names } = await several(t, 1);
      const all = await enumerate(t);
      const idx = all.findIndex((e) => e.guid === guid && e.name === names[0]);
      const prev = idx <= 0 ? { name: '', guid: '00000000-0000-0000-0000-000000000000' } : all[idx - 1]!;
      const r = await client(t).getNextVariableName(prev.name, prev.guid, { bufferSize: 1024 });
      expectEfi(t, r, EFI.SUCCESS, 'GetNextVariableName');
      t.expectEqual(r.nameSize, BigInt((r.name!.length + 1) * 2), `VariableNameSize returned with ${showName(r.name!)}`);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get-next.name-size-zero',
    title: 'VariableNameSize 0 or 1 cannot hold a terminator and is refused',
    requirement:
      'EFI_INVALID_PARAMETER: a Null-terminator is not found in the first VariableNameSize bytes of the input VariableName buffer; sizes 0 and 1 cannot contain one. (FWTS expects EFI_BUFFER_TOO_SMALL, as older specifications allowed: NON-STRICT.)',
    run: async (t) => {
      for (const ns of [0n, 1n]) {
        const r = await client(t).getNextVariableName('', newGuid(t), { nameSize: ns, bufferSize: 2 });
        if (r.spm === 0 && r.status === EFI.BUFFER_TOO_SMALL) {
          t.nonStrict(`VariableNameSize ${ns}: EFI_BUFFER_TOO_SMALL (pre-2.7 behaviour) instead of EFI_INVALID_PARAMETER`);
          continue;
        }
        expectEfi(t, r, [EFI.INVALID_PARAMETER, EFI.ACCESS_DENIED], `GetNextVariableName with VariableNameSize ${ns}`);
      }
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get-next.no-terminator',
    title: 'an input name without a NUL within VariableNameSize is refused',
    requirement: 'EFI_INVALID_PARAMETER: a Null-terminator is not found in the first VariableNameSize bytes of the input VariableName buffer (the SMM handler may answer EFI_ACCESS_DENIED first).',
    run: async (t) => {
      const enc = encodeName('NoTerminatorHere');
      const r = await client(t).getNextVariableName(enc.subarray(0, enc.length - 2), newGuid(t), { nameSize: BigInt(enc.length - 2), bufferSize: enc.length - 2 });
      expectEfi(t, r, [EFI.INVALID_PARAMETER, EFI.ACCESS_DENIED], 'GetNextVariableName with an unterminated name');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get-next.unknown-name',
    title: 'a name that is not an existing variable is refused with EFI_INVALID_PARAMETER',
    requirement:
      'EFI_INVALID_PARAMETER: the input values of VariableName and VendorGuid are not a name and GUID of an existing variable (UEFI 2.7 and later). EFI_NOT_FOUND, which older firmware answers, is NON-STRICT.',
    run: async (t) => {
      const { guid, names } = await several(t, 1);
      for (const [n, g, what] of [
        [`${names[0]}Nope`, guid, 'unknown name'],
        [names[0]!, newGuid(t), 'existing name under another GUID'],
      ] as const) {
        const r = await client(t).getNextVariableName(n, g);
        if (r.spm === 0 && r.status === EFI.NOT_FOUND) {
          t.nonStrict(`${what}: EFI_NOT_FOUND instead of EFI_INVALID_PARAMETER`);
          continue;
        }
        expectEfi(t, r, EFI.INVALID_PARAMETER, `GetNextVariableName of an ${what}`);
      }
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get-next.guid-returned',
    title: 'the VendorGuid returned with a name is that variable\'s GUID',
    requirement: 'On output VendorGuid is the vendor GUID of the variable whose name is returned: variables created under two GUIDs are enumerated with their own GUID.',
    run: async (t) => {
      const a = await several(t, 1);
      const b = await several(t, 1);
      const all = await enumerate(t);
      for (const [guid, name] of [[a.guid, a.names[0]!], [b.guid, b.names[0]!]]) {
        const hit = all.find((e) => e.name === name);
        t.assert(hit, `${showName(name)} not enumerated`);
        t.expectEqual(hit!.guid, guid, `VendorGuid returned with ${showName(name)}`);
      }
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get-next.readable',
    title: 'every enumerated variable can be read with GetVariable',
    requirement: 'Before ExitBootServices every variable GetNextVariableName returns is visible to GetVariable: each answers EFI_SUCCESS or EFI_BUFFER_TOO_SMALL (size query), never EFI_NOT_FOUND.',
    run: async (t) => {
      await several(t, 2, NV_BS);
      const c = client(t);
      for (const e of await enumerate(t)) {
        const r = await c.getVariable(e.name, e.guid, 0);
        expectEfi(t, r, [EFI.BUFFER_TOO_SMALL, EFI.SUCCESS], `GetVariable(${showName(e.name)}, ${e.guid}) of an enumerated variable`);
      }
    },
  }),
  check({
    ...base,
    id: 'smm-variable.get-next.name-size-overflow',
    title: 'GetNextVariableName with NameSize past the buffer or SIZE_MAX is refused',
    spec: MM_ABI,
    clause: CLAUSE.handler,
    requirement:
      'InfoSize = OFFSET_OF(Name) + NameSize must not overflow and must fit the payload (Trusted Services SmmVariableAttackTests enumerateWithOversizeName / SizeMaxNameSize): NameSize of buffer + 2 and SIZE_MAX are refused, never served from memory outside the buffer.',
    run: async (t) => {
      for (const ns of [66n, U64_MAX, U64_MAX - 23n]) {
        const r = await client(t).getNextVariableName('', newGuid(t), { nameSize: ns, bufferSize: 64 });
        t.note(`NameSize ${ns}: ${expectRefused(t, r, `GetNextVariableName with NameSize ${ns} and a 64-byte name buffer`, { allowed: [EFI.ACCESS_DENIED, EFI.INVALID_PARAMETER, EFI.BAD_BUFFER_SIZE, EFI.BUFFER_TOO_SMALL] })}`);
      }
    },
  }),
];
