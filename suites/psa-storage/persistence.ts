// 2.6 Atomicity of Operations, Durability: what an operation wrote is still
// there after a reset of the target (and nothing older comes back).
import { PSA } from '../../protocol/psa/status.js';
import { storageFlagsName } from '../../protocol/psa/storage.js';
import { check } from '../harness/check.js';
import {
  SET_EXTENDED_CAP,
  SPEC,
  WRITE_ONCE,
  WRITE_ONCE_CAP,
  client,
  expectAbsent,
  expectContent,
  expectPsa,
  fn,
  forBoth,
  newUid,
  pattern,
  put,
} from './common.js';

const DURABILITY = '2.6 Atomicity of Operations (Durability)';

export default [
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-persist.survives-reset`,
      title: `assets survive a reset of the target`,
      spec: SPEC,
      clause: DURABILITY,
      level: 'MUST',
      requirement: `When an operation that modifies storage returns to the caller, the data is persisted: after a reset, ${fn(api, 'get')} returns the data and ${fn(api, 'get_info')} the size set before it.`,
      services: [api],
      capabilities: ['target.reset'],
      run: async (t) => {
        const a = newUid(t, api);
        const b = newUid(t, api);
        const da = pattern(100, 80);
        await put(t, api, a, da);
        await put(t, api, b, new Uint8Array(0));
        await t.reset();
        await expectContent(t, api, a, da, 'after reset');
        const r = await client(t, api).getInfo(b);
        expectPsa(t, r.status, PSA.SUCCESS, `${fn(api, 'get_info')} of the empty asset after reset`);
        t.expectEqual(r.info!.size, 0n, 'size of the empty asset after reset');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-persist.latest-version`,
      title: `after a reset the latest version of an asset is returned`,
      spec: SPEC,
      clause: DURABILITY,
      level: 'MUST',
      requirement: `System reset at this point will not revert the data assets to the previous state: after three overwrites and a reset, the last data written is returned, not an earlier version.`,
      services: [api],
      capabilities: ['target.reset'],
      run: async (t) => {
        const uid = newUid(t, api);
        for (const n of [50, 20, 35]) await put(t, api, uid, pattern(n, n));
        await t.reset();
        await expectContent(t, api, uid, pattern(35, 35), 'after reset');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-persist.remove-survives-reset`,
      title: `a removed asset stays removed after a reset`,
      spec: SPEC,
      clause: DURABILITY,
      level: 'MUST',
      requirement: `A successful ${fn(api, 'remove')} is persisted: after a reset the uid is still not found.`,
      services: [api],
      capabilities: ['target.reset'],
      run: async (t) => {
        const uid = newUid(t, api);
        await put(t, api, uid, pattern(40, 81));
        expectPsa(t, await client(t, api).remove(uid), PSA.SUCCESS, fn(api, 'remove'));
        await t.reset();
        await expectAbsent(t, api, uid, 'after reset');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-persist.write-once-survives-reset`,
      title: `WRITE_ONCE is still enforced after a reset`,
      spec: SPEC,
      clause: '5.2.5 PSA_STORAGE_FLAG_WRITE_ONCE',
      level: 'MUST',
      requirement: `The data associated with a WRITE_ONCE uid will not be able to be modified or deleted, also after a reset: ${fn(api, 'set')} and ${fn(api, 'remove')} still return PSA_ERROR_NOT_PERMITTED and ${fn(api, 'get_info')} still reports WRITE_ONCE.`,
      services: [api],
      capabilities: ['target.reset', WRITE_ONCE_CAP],
      run: async (t) => {
        const uid = newUid(t, api);
        const data = pattern(9, 82);
        await put(t, api, uid, data, WRITE_ONCE);
        await t.reset();
        const c = client(t, api);
        expectPsa(t, await c.set(uid, pattern(9, 83)), PSA.ERROR_NOT_PERMITTED, `${fn(api, 'set')} after reset`);
        expectPsa(t, await c.remove(uid), PSA.ERROR_NOT_PERMITTED, `${fn(api, 'remove')} after reset`);
        const r = await c.getInfo(uid);
        expectPsa(t, r.status, PSA.SUCCESS, `${fn(api, 'get_info')} after reset`);
        t.assert(r.info!.flags & WRITE_ONCE, 'WRITE_ONCE lost across reset', { expected: 'WRITE_ONCE set', actual: storageFlagsName(r.info!.flags) });
        await expectContent(t, api, uid, data, 'after reset');
      },
    }),
  ),
  check({
    id: 'psa-storage.ps-persist.created-capacity',
    title: 'capacity and size of a created asset survive a reset',
    spec: SPEC,
    clause: DURABILITY,
    level: 'MUST',
    requirement: 'The capacity reserved by psa_ps_create and the size reached with psa_ps_set_extended are persisted: after a reset they are unchanged and the asset can still be extended up to its capacity.',
    services: ['ps'],
    capabilities: ['target.reset', SET_EXTENDED_CAP],
    run: async (t) => {
      const uid = newUid(t, 'ps');
      const c = client(t, 'ps');
      const s = await c.create(uid, 24, 0);
      if (s === PSA.ERROR_NOT_SUPPORTED) t.optional(SET_EXTENDED_CAP, true, 'psa_ps_create is not implemented');
      expectPsa(t, s, PSA.SUCCESS, 'psa_ps_create(capacity=24)');
      const a = pattern(10, 84);
      expectPsa(t, await c.setExtended(uid, 0, a), PSA.SUCCESS, 'psa_ps_set_extended(data_offset=0, data_length=10)');
      await t.reset();
      const r = await c.getInfo(uid);
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_ps_get_info after reset');
      t.expectEqual(r.info!.capacity, 24n, 'capacity after reset');
      t.expectEqual(r.info!.size, 10n, 'size after reset');
      const b = pattern(14, 85);
      expectPsa(t, await c.setExtended(uid, 10, b), PSA.SUCCESS, 'psa_ps_set_extended(data_offset=10, data_length=14) after reset');
      await expectContent(t, 'ps', uid, new Uint8Array([...a, ...b]), 'after reset and extension');
    },
  }),
];
