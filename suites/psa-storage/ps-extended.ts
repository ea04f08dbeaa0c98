// 5.4.7 psa_ps_create, 5.4.8 psa_ps_set_extended, 5.4.9 psa_ps_get_support.
// Both functions are optional, but mandatory when psa_ps_get_support reports
// PSA_STORAGE_SUPPORT_SET_EXTENDED.
import fc from 'fast-check';
import { U64_MAX } from '../../protocol/bytes.js';
import { PSA, psaStatusName } from '../../protocol/psa/status.js';
import { STORAGE_SUPPORT_SET_EXTENDED, storageFlagsName } from '../../protocol/psa/storage.js';
import { check, checkProp } from '../harness/check.js';
import type { CheckContext, CheckSpec } from '../harness/types.js';
import {
  NO_CONFIDENTIALITY,
  SET_EXTENDED_CAP,
  SPEC,
  WRITE_ONCE,
  WRITE_ONCE_CAP,
  client,
  expectAbsent,
  expectContent,
  expectPsa,
  maxAssetCap,
  needNumber,
  newUid,
  pattern,
  put,
} from './common.js';

const CREATE = '5.4.7 psa_ps_create';
const SET_EXT = '5.4.8 psa_ps_set_extended';
const SUPPORT = '5.4.9 psa_ps_get_support';

/**
 * psa_ps_create as the first step of a check: NOT_SUPPORTED makes the check
 * UNSUPPORTED (unless the profile or get_support says the function exists).
 */
async function create(t: CheckContext, uid: bigint, capacity: number, flags = 0): Promise<void> {
  const c = client(t, 'ps');
  const s = await c.create(uid, capacity, flags);
  if (s === PSA.ERROR_NOT_SUPPORTED) {
    const sup = await c.getSupport();
    if (sup.status === PSA.SUCCESS && sup.support! & STORAGE_SUPPORT_SET_EXTENDED) {
      t.fail('psa_ps_create returned PSA_ERROR_NOT_SUPPORTED although psa_ps_get_support reports PSA_STORAGE_SUPPORT_SET_EXTENDED', {
        expected: 'psa_ps_create implemented',
        actual: 'PSA_ERROR_NOT_SUPPORTED (-134)',
      });
    }
    t.optional(SET_EXTENDED_CAP, true, 'psa_ps_create is not implemented (PSA_ERROR_NOT_SUPPORTED)');
  }
  expectPsa(t, s, PSA.SUCCESS, `precondition psa_ps_create(capacity=${capacity}, create_flags=${storageFlagsName(flags)})`);
}

const base = (id: string, title: string, clause: string, requirement: string): CheckSpec => ({
  id: `psa-storage.${id}`,
  title,
  spec: SPEC,
  clause,
  level: 'MUST',
  requirement,
  services: ['ps'],
  capabilities: [SET_EXTENDED_CAP],
});

async function expectInfo(t: CheckContext, uid: bigint, capacity: number, size: number, what: string) {
  const r = await client(t, 'ps').getInfo(uid);
  expectPsa(t, r.status, PSA.SUCCESS, `${what}: psa_ps_get_info`);
  t.expectEqual(r.info!.capacity, BigInt(capacity), `${what}: capacity`);
  t.expectEqual(r.info!.size, BigInt(size), `${what}: size`);
}

export default [
  check({
    ...base('ps-create.reserves', 'psa_ps_create reserves capacity with size 0', CREATE, 'Upon success, the capacity of the storage is capacity, and the size is 0.'),
    run: async (t) => {
      const uid = newUid(t, 'ps');
      await create(t, uid, 64);
      await expectInfo(t, uid, 64, 0, 'after psa_ps_create(capacity=64)');
    },
  }),
  check({
    ...base('ps-create.get-empty', 'a created asset reads as empty, not as its capacity', CREATE, 'A created asset has size 0: psa_ps_get at offset 0 returns no data, and at offset 1 (inside the capacity, past the size) returns PSA_ERROR_INVALID_ARGUMENT.'),
    run: async (t) => {
      const uid = newUid(t, 'ps');
      await create(t, uid, 32);
      const r = await client(t, 'ps').get(uid, 0, 32);
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_ps_get(data_offset=0) of a created asset');
      t.expectEqual(r.data.length, 0, 'bytes returned from a created, unwritten asset');
      expectPsa(t, (await client(t, 'ps').get(uid, 1, 8)).status, PSA.ERROR_INVALID_ARGUMENT, 'psa_ps_get(data_offset=1) of a created asset');
    },
  }),
  check({
    ...base('ps-create.uid-zero', 'psa_ps_create refuses uid 0', CREATE, 'The uid value must not be zero: psa_ps_create returns PSA_ERROR_INVALID_ARGUMENT for uid 0.'),
    run: async (t) => {
      const s = await client(t, 'ps').create(0n, 16, 0);
      if (s === PSA.ERROR_NOT_SUPPORTED) t.optional(SET_EXTENDED_CAP, true, 'psa_ps_create is not implemented');
      expectPsa(t, s, PSA.ERROR_INVALID_ARGUMENT, 'psa_ps_create(uid=0)');
    },
  }),
  check({
    ...base('ps-create.already-exists', 'psa_ps_create of an existing uid is ALREADY_EXISTS and changes nothing', CREATE, 'psa_ps_create cannot be used to replace or resize an existing asset: it returns PSA_ERROR_ALREADY_EXISTS for a uid created by psa_ps_set or psa_ps_create, and the asset keeps its data and capacity.'),
    run: async (t) => {
      const c = client(t, 'ps');
      const created = newUid(t, 'ps');
      await create(t, created, 40);
      expectPsa(t, await c.create(created, 80, 0), PSA.ERROR_ALREADY_EXISTS, 'psa_ps_create over a created asset');
      await expectInfo(t, created, 40, 0, 'after the refused re-create');
      const set = newUid(t, 'ps');
      const data = pattern(12, 60);
      await put(t, 'ps', set, data);
      expectPsa(t, await c.create(set, 100, 0), PSA.ERROR_ALREADY_EXISTS, 'psa_ps_create over a psa_ps_set asset');
      await expectContent(t, 'ps', set, data, 'after the refused create');
      await expectInfo(t, set, 12, 12, 'after the refused create');
    },
  }),
  check({
    ...base('ps-create.write-once', 'psa_ps_create with WRITE_ONCE is NOT_SUPPORTED', CREATE, 'If the PSA_STORAGE_FLAG_WRITE_ONCE flag is passed, psa_ps_create will return PSA_ERROR_NOT_SUPPORTED, and no asset is created.'),
    run: async (t) => {
      const uid = newUid(t, 'ps');
      await create(t, newUid(t, 'ps'), 8); // establishes that psa_ps_create exists
      expectPsa(t, await client(t, 'ps').create(uid, 16, WRITE_ONCE), PSA.ERROR_NOT_SUPPORTED, 'psa_ps_create(create_flags=WRITE_ONCE)');
      await expectAbsent(t, 'ps', uid, 'after the refused create');
    },
  }),
  check({
    ...base('ps-create.unsupported-flags', 'psa_ps_create with undefined flags is NOT_SUPPORTED', CREATE, 'psa_ps_create returns PSA_ERROR_NOT_SUPPORTED when one or more create_flags are not supported, and no asset is created.'),
    run: async (t) => {
      const uid = newUid(t, 'ps');
      await create(t, newUid(t, 'ps'), 8);
      expectPsa(t, await client(t, 'ps').create(uid, 16, 1 << 12), PSA.ERROR_NOT_SUPPORTED, 'psa_ps_create(create_flags=0x1000)');
      await expectAbsent(t, 'ps', uid, 'after the refused create');
    },
  }),
  check({
    ...base('ps-create.capacity-too-large', 'psa_ps_create beyond the available space is INSUFFICIENT_STORAGE', CREATE, 'psa_ps_create returns PSA_ERROR_INSUFFICIENT_STORAGE when capacity is bigger than the current available space, and no asset is created.'),
    capabilities: [SET_EXTENDED_CAP, maxAssetCap('ps')],
    run: async (t) => {
      const max = needNumber(t, maxAssetCap('ps'));
      const uid = newUid(t, 'ps');
      await create(t, newUid(t, 'ps'), 8);
      for (const cap of [BigInt(max) + 1n, 1n << 40n, U64_MAX]) {
        const s = await client(t, 'ps').create(uid, cap, 0);
        expectPsa(t, s, PSA.ERROR_INSUFFICIENT_STORAGE, `psa_ps_create(capacity=${cap})`);
        await expectAbsent(t, 'ps', uid, `after the refused psa_ps_create(capacity=${cap})`);
      }
    },
  }),
  check({
    ...base('ps-create.protection-flag', 'psa_ps_create accepts NO_CONFIDENTIALITY', CREATE, 'psa_ps_create reserves storage with the given create_flags; a flag requesting lower protection may be honoured or ignored (2.3) and the asset is created.'),
    level: 'SHOULD',
    run: async (t) => {
      const uid = newUid(t, 'ps');
      await create(t, uid, 16, NO_CONFIDENTIALITY);
      await expectInfo(t, uid, 16, 0, 'after psa_ps_create(NO_CONFIDENTIALITY)');
    },
  }),
  check({
    ...base('ps-set-extended.fill-created', 'psa_ps_set_extended fills a created asset in pieces', SET_EXT, 'psa_ps_set_extended can extend the data up to the capacity: on success size = max(size, data_offset + data_length) and capacity is unchanged; two 8-byte writes at 0 and 8 of a 16-byte asset yield the 16 bytes.'),
    run: async (t) => {
      const uid = newUid(t, 'ps');
      const c = client(t, 'ps');
      await create(t, uid, 16);
      const a = pattern(8, 61);
      const b = pattern(8, 62);
      expectPsa(t, await c.setExtended(uid, 0, a), PSA.SUCCESS, 'psa_ps_set_extended(data_offset=0, data_length=8)');
      await expectInfo(t, uid, 16, 8, 'after the first piece');
      expectPsa(t, await c.setExtended(uid, 8, b), PSA.SUCCESS, 'psa_ps_set_extended(data_offset=8, data_length=8)');
      await expectInfo(t, uid, 16, 16, 'after the second piece');
      await expectContent(t, 'ps', uid, new Uint8Array([...a, ...b]), 'assembled asset');
    },
  }),
  check({
    ...base('ps-set-extended.overwrite-set-asset', 'psa_ps_set_extended overwrites part of a psa_ps_set asset', SET_EXT, 'psa_ps_set_extended can also overwrite data in an asset that was created with psa_ps_set; the size does not change when the write ends inside the data.'),
    run: async (t) => {
      const uid = newUid(t, 'ps');
      const c = client(t, 'ps');
      await create(t, newUid(t, 'ps'), 8);
      const data = pattern(20, 63);
      await put(t, 'ps', uid, data);
      const patch = pattern(5, 64);
      expectPsa(t, await c.setExtended(uid, 6, patch), PSA.SUCCESS, 'psa_ps_set_extended(data_offset=6, data_length=5)');
      const expected = data.slice();
      expected.set(patch, 6);
      await expectContent(t, 'ps', uid, expected, 'after the partial overwrite');
      await expectInfo(t, uid, 20, 20, 'after the partial overwrite');
    },
  }),
  check({
    ...base('ps-set-extended.no-gap', 'psa_ps_set_extended cannot leave a gap', SET_EXT, 'psa_ps_set_extended cannot create gaps: data_offset > size returns PSA_ERROR_INVALID_ARGUMENT and changes nothing.'),
    run: async (t) => {
      const uid = newUid(t, 'ps');
      const c = client(t, 'ps');
      await create(t, uid, 32);
      const a = pattern(4, 65);
      expectPsa(t, await c.setExtended(uid, 0, a), PSA.SUCCESS, 'psa_ps_set_extended(data_offset=0, data_length=4)');
      expectPsa(t, await c.setExtended(uid, 5, pattern(4, 66)), PSA.ERROR_INVALID_ARGUMENT, 'psa_ps_set_extended(data_offset=5) with size 4');
      await expectContent(t, 'ps', uid, a, 'after the refused gap');
    },
  }),
  check({
    ...base('ps-set-extended.over-capacity', 'psa_ps_set_extended past the capacity is INVALID_ARGUMENT', SET_EXT, 'data_offset + data_length <= capacity: a write ending past the capacity returns PSA_ERROR_INVALID_ARGUMENT and changes nothing (including for an asset written with psa_ps_set, whose capacity is its size).'),
    run: async (t) => {
      const c = client(t, 'ps');
      const uid = newUid(t, 'ps');
      await create(t, uid, 10);
      expectPsa(t, await c.setExtended(uid, 0, pattern(11, 67)), PSA.ERROR_INVALID_ARGUMENT, 'psa_ps_set_extended of 11 bytes into capacity 10');
      await expectInfo(t, uid, 10, 0, 'after the refused write');
      const set = newUid(t, 'ps');
      const data = pattern(6, 68);
      await put(t, 'ps', set, data);
      expectPsa(t, await c.setExtended(set, 4, pattern(3, 69)), PSA.ERROR_INVALID_ARGUMENT, 'psa_ps_set_extended(data_offset=4, data_length=3) into a 6-byte psa_ps_set asset');
      await expectContent(t, 'ps', set, data, 'after the refused write');
    },
  }),
  check({
    ...base('ps-set-extended.offset-overflow', 'psa_ps_set_extended with an offset that wraps is INVALID_ARGUMENT', SET_EXT, 'The preconditions data_offset <= size and data_offset + data_length <= capacity hold in exact arithmetic: data_offset 2^64-1 with 2 bytes (which wraps to 1 in 64 bits) returns PSA_ERROR_INVALID_ARGUMENT.'),
    run: async (t) => {
      const uid = newUid(t, 'ps');
      const c = client(t, 'ps');
      await create(t, uid, 16);
      const a = pattern(4, 70);
      expectPsa(t, await c.setExtended(uid, 0, a), PSA.SUCCESS, 'psa_ps_set_extended(data_offset=0, data_length=4)');
      expectPsa(t, await c.setExtended(uid, U64_MAX, pattern(2, 71)), PSA.ERROR_INVALID_ARGUMENT, 'psa_ps_set_extended(data_offset=2^64-1, data_length=2)');
      await expectContent(t, 'ps', uid, a, 'after the refused write');
    },
  }),
  check({
    ...base('ps-set-extended.zero-length', 'psa_ps_set_extended with data_length 0 changes nothing', SET_EXT, 'Calling psa_ps_set_extended with data_length == 0 is permitted and makes no change to the stored data, also at data_offset == size.'),
    run: async (t) => {
      const uid = newUid(t, 'ps');
      const c = client(t, 'ps');
      await create(t, uid, 16);
      const a = pattern(5, 72);
      expectPsa(t, await c.setExtended(uid, 0, a), PSA.SUCCESS, 'psa_ps_set_extended(data_offset=0, data_length=5)');
      for (const off of [0, 3, 5]) {
        expectPsa(t, await c.setExtended(uid, off, new Uint8Array(0)), PSA.SUCCESS, `psa_ps_set_extended(data_offset=${off}, data_length=0)`);
      }
      await expectContent(t, 'ps', uid, a, 'after zero-length writes');
      await expectInfo(t, uid, 16, 5, 'after zero-length writes');
    },
  }),
  check({
    ...base('ps-set-extended.does-not-exist', 'psa_ps_set_extended of an unknown uid is DOES_NOT_EXIST', SET_EXT, 'psa_ps_set_extended returns PSA_ERROR_DOES_NOT_EXIST when the specified uid was not found, and creates nothing.'),
    run: async (t) => {
      await create(t, newUid(t, 'ps'), 8);
      const uid = newUid(t, 'ps');
      expectPsa(t, await client(t, 'ps').setExtended(uid, 0, pattern(3, 73)), PSA.ERROR_DOES_NOT_EXIST, 'psa_ps_set_extended of an unused uid');
      await expectAbsent(t, 'ps', uid, 'after the refused write');
    },
  }),
  check({
    ...base('ps-set-extended.uid-zero', 'psa_ps_set_extended refuses uid 0', SET_EXT, 'The uid value must not be zero: psa_ps_set_extended returns PSA_ERROR_INVALID_ARGUMENT for uid 0.'),
    run: async (t) => {
      await create(t, newUid(t, 'ps'), 8);
      expectPsa(t, await client(t, 'ps').setExtended(0n, 0, pattern(3, 74)), PSA.ERROR_INVALID_ARGUMENT, 'psa_ps_set_extended(uid=0)');
    },
  }),
  check({
    ...base('ps-set-extended.write-once', 'psa_ps_set_extended refuses a WRITE_ONCE asset', SET_EXT, 'psa_ps_set_extended returns PSA_ERROR_NOT_PERMITTED when attempted on an asset written with PSA_STORAGE_FLAG_WRITE_ONCE, and the data is unchanged.'),
    capabilities: [SET_EXTENDED_CAP, WRITE_ONCE_CAP],
    run: async (t) => {
      await create(t, newUid(t, 'ps'), 8);
      const uid = newUid(t, 'ps');
      const data = pattern(10, 75);
      await put(t, 'ps', uid, data, WRITE_ONCE);
      expectPsa(t, await client(t, 'ps').setExtended(uid, 0, pattern(4, 76)), PSA.ERROR_NOT_PERMITTED, 'psa_ps_set_extended on the write-once asset');
      await expectContent(t, 'ps', uid, data, 'after the refused write');
    },
  }),
  checkProp({
    ...base('ps-set-extended.property', 'psa_ps_set_extended agrees with a byte-array model', SET_EXT, 'For generated sequences of psa_ps_set_extended on a created asset, each write succeeds exactly when data_offset <= size and data_offset + data_length <= capacity, and the asset then equals the model (size = max(size, data_offset + data_length)).'),
    numRuns: 50,
    arbitrary: () =>
      fc.record({
        capacity: fc.integer({ min: 0, max: 64 }),
        writes: fc.array(fc.record({ offset: fc.nat({ max: 70 }), data: fc.uint8Array({ maxLength: 24 }) }), { maxLength: 8 }),
      }),
    predicate: async (t, { capacity, writes }) => {
      const uid = newUid(t, 'ps');
      const c = client(t, 'ps');
      await create(t, uid, capacity);
      let model = new Uint8Array(0);
      for (const w of writes) {
        const ok = w.offset <= model.length && w.offset + w.data.length <= capacity;
        const s = await c.setExtended(uid, w.offset, w.data);
        expectPsa(t, s, ok ? PSA.SUCCESS : PSA.ERROR_INVALID_ARGUMENT, `psa_ps_set_extended(data_offset=${w.offset}, data_length=${w.data.length}) with size ${model.length}, capacity ${capacity}`);
        if (ok && w.data.length) {
          const next = new Uint8Array(Math.max(model.length, w.offset + w.data.length));
          next.set(model);
          next.set(w.data, w.offset);
          model = next;
        }
      }
      await expectContent(t, 'ps', uid, model, 'after the writes');
      await expectInfo(t, uid, capacity, model.length, 'after the writes');
      await c.remove(uid);
    },
  }),
  check({
    id: 'psa-storage.ps-get-support.defined-bits',
    title: 'psa_ps_get_support reports only defined feature bits',
    spec: SPEC,
    clause: SUPPORT,
    level: 'MUST',
    requirement: 'psa_ps_get_support returns a bitmask of the optional features supported; the currently defined flags are limited to PSA_STORAGE_SUPPORT_SET_EXTENDED, and the answer is the same on every call.',
    services: ['ps'],
    run: async (t) => {
      const c = client(t, 'ps');
      const a = await c.getSupport();
      expectPsa(t, a.status, PSA.SUCCESS, 'psa_ps_get_support');
      t.assert((a.support! & ~STORAGE_SUPPORT_SET_EXTENDED) === 0, `psa_ps_get_support set undefined bits 0x${a.support!.toString(16)}`, {
        expected: 'only PSA_STORAGE_SUPPORT_SET_EXTENDED (0x1) may be set',
        actual: `0x${a.support!.toString(16)}`,
      });
      const b = await c.getSupport();
      t.expectEqual(b.support, a.support, 'psa_ps_get_support on a second call');
    },
  }),
  check({
    id: 'psa-storage.ps-get-support.matches-functions',
    title: 'SET_EXTENDED is reported exactly when create and set_extended work',
    spec: SPEC,
    clause: SUPPORT,
    level: 'MUST',
    requirement: 'psa_ps_create and psa_ps_set_extended must be implemented if psa_ps_get_support returns PSA_STORAGE_SUPPORT_SET_EXTENDED; when they answer PSA_ERROR_NOT_SUPPORTED, the bit must be clear.',
    services: ['ps'],
    run: async (t) => {
      const c = client(t, 'ps');
      const sup = await c.getSupport();
      expectPsa(t, sup.status, PSA.SUCCESS, 'psa_ps_get_support');
      const claimed = (sup.support! & STORAGE_SUPPORT_SET_EXTENDED) !== 0;
      const uid = newUid(t, 'ps');
      const cs = await c.create(uid, 8, 0);
      const es = await c.setExtended(uid, 0, pattern(4, 77));
      const works = cs === PSA.SUCCESS && es === PSA.SUCCESS;
      const absent = cs === PSA.ERROR_NOT_SUPPORTED && es === PSA.ERROR_NOT_SUPPORTED;
      const got = `psa_ps_create ${psaStatusName(cs)}, psa_ps_set_extended ${psaStatusName(es)}`;
      t.assert(works || absent, `${got}: neither both implemented nor both NOT_SUPPORTED`, {
        expected: 'both PSA_SUCCESS, or both PSA_ERROR_NOT_SUPPORTED',
        actual: got,
      });
      t.expectEqual(claimed, works, 'PSA_STORAGE_SUPPORT_SET_EXTENDED reported', (v) => (v ? 'set' : 'clear'));
      if (t.cap(SET_EXTENDED_CAP) !== undefined) {
        t.expectEqual(works, t.cap(SET_EXTENDED_CAP) === true, `profile ${SET_EXTENDED_CAP}`, (v) => String(v));
      }
    },
  }),
];
