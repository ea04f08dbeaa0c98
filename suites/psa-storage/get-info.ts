// 5.3.5 psa_its_get_info / 5.4.5 psa_ps_get_info, and 5.2.1 psa_storage_info_t
import { PSA } from '../../protocol/psa/status.js';
import { STORAGE_DEFINED_FLAGS, storageFlagsName } from '../../protocol/psa/storage.js';
import { check } from '../harness/check.js';
import {
  NO_CONFIDENTIALITY,
  NO_REPLAY_PROTECTION,
  SPEC,
  WRITE_ONCE,
  WRITE_ONCE_CAP,
  client,
  clause,
  expectPsa,
  fn,
  forBoth,
  newUid,
  pattern,
  put,
} from './common.js';

export default [
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-get-info.uid-zero`,
      title: `${fn(api, 'get_info')} refuses uid 0`,
      spec: SPEC,
      clause: clause(api, 'info'),
      level: 'MUST',
      requirement: `The uid value must not be zero: ${fn(api, 'get_info')} with uid 0 returns PSA_ERROR_INVALID_ARGUMENT.`,
      services: [api],
      run: async (t) => {
        expectPsa(t, (await client(t, api).getInfo(0n)).status, PSA.ERROR_INVALID_ARGUMENT, `${fn(api, 'get_info')}(uid=0)`);
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-get-info.does-not-exist`,
      title: `${fn(api, 'get_info')} of a uid never written is DOES_NOT_EXIST`,
      spec: SPEC,
      clause: clause(api, 'info'),
      level: 'MUST',
      requirement: `${fn(api, 'get_info')} returns PSA_ERROR_DOES_NOT_EXIST when the provided uid value was not found in the storage.`,
      services: [api],
      run: async (t) => {
        expectPsa(t, (await client(t, api).getInfo(newUid(t, api))).status, PSA.ERROR_DOES_NOT_EXIST, `${fn(api, 'get_info')} of an unused uid`);
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-get-info.size`,
      title: `${fn(api, 'get_info')} reports the size of the data`,
      spec: SPEC,
      clause: clause(api, 'info'),
      level: 'MUST',
      requirement: `${fn(api, 'get_info')} writes the metadata of the uid: psa_storage_info_t.size is the size of the data associated with the uid (5.2.1), for 1, 100 and 1000 bytes.`,
      services: [api],
      run: async (t) => {
        const c = client(t, api);
        for (const n of [1, 100, 1000]) {
          const uid = newUid(t, api);
          await put(t, api, uid, pattern(n, n));
          const r = await c.getInfo(uid);
          expectPsa(t, r.status, PSA.SUCCESS, `${fn(api, 'get_info')} of a ${n}-byte asset`);
          t.expectEqual(r.info!.size, BigInt(n), `size of a ${n}-byte asset`);
        }
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-get-info.capacity`,
      title:
        api === 'ps'
          ? 'psa_ps_get_info reports capacity equal to the size after psa_ps_set'
          : 'psa_its_get_info reports a capacity not below the size',
      spec: SPEC,
      clause: clause(api, api === 'ps' ? 'set' : 'info'),
      level: 'MUST',
      requirement:
        api === 'ps'
          ? 'The asset created by psa_ps_set has a capacity and size that are equal to data_length.'
          : 'psa_storage_info_t.capacity is the allocated capacity of the storage associated with the uid: it is at least the size of its data.',
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        await put(t, api, uid, pattern(77, 5));
        const r = await client(t, api).getInfo(uid);
        expectPsa(t, r.status, PSA.SUCCESS, fn(api, 'get_info'));
        const { capacity, size } = r.info!;
        if (api === 'ps') t.expectEqual(capacity, 77n, 'capacity of a 77-byte asset written with psa_ps_set');
        else t.assert(capacity >= size, `capacity ${capacity} is below size ${size}`, { expected: `capacity >= ${size}`, actual: `capacity ${capacity}` });
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-get-info.write-once-flag`,
      title: `${fn(api, 'get_info')} reports WRITE_ONCE exactly when it was set`,
      spec: SPEC,
      clause: '5.2.1 psa_storage_info_t',
      level: 'MUST',
      requirement: `psa_storage_info_t.flags are the flags set when the uid was created: WRITE_ONCE is reported for an asset created with it and not for one created without it.`,
      services: [api],
      capabilities: [WRITE_ONCE_CAP],
      run: async (t) => {
        const c = client(t, api);
        const wo = newUid(t, api);
        const plain = newUid(t, api);
        await put(t, api, wo, pattern(5, 1), WRITE_ONCE);
        await put(t, api, plain, pattern(5, 2));
        const a = await c.getInfo(wo);
        const b = await c.getInfo(plain);
        expectPsa(t, a.status, PSA.SUCCESS, `${fn(api, 'get_info')} of the write-once asset`);
        expectPsa(t, b.status, PSA.SUCCESS, `${fn(api, 'get_info')} of the plain asset`);
        t.assert(a.info!.flags & WRITE_ONCE, 'write-once asset reported without WRITE_ONCE', { expected: 'WRITE_ONCE set', actual: storageFlagsName(a.info!.flags) });
        t.assert(!(b.info!.flags & WRITE_ONCE), 'plain asset reported as WRITE_ONCE', { expected: 'WRITE_ONCE clear', actual: storageFlagsName(b.info!.flags) });
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-get-info.protection-flags`,
      title: `${fn(api, 'get_info')} never reports less protection than was requested`,
      spec: SPEC,
      clause: '2.3 The Protected Storage API',
      level: 'MUST',
      requirement: `The implementation must not apply a lower level of protection than that requested, and ${fn(api, 'get_info')} reports the protection actually applied: NO_CONFIDENTIALITY or NO_REPLAY_PROTECTION is never reported for an asset stored without it, and no undefined flag bit is reported.`,
      services: [api],
      run: async (t) => {
        const c = client(t, api);
        for (const requested of [0, NO_CONFIDENTIALITY, NO_REPLAY_PROTECTION]) {
          const uid = newUid(t, api);
          const s = await c.set(uid, pattern(4, requested), requested);
          if (s !== PSA.SUCCESS) continue; // refusing a lowering flag is judged by the set checks
          const r = await c.getInfo(uid);
          expectPsa(t, r.status, PSA.SUCCESS, fn(api, 'get_info'));
          const reported = r.info!.flags;
          const lowering = NO_CONFIDENTIALITY | NO_REPLAY_PROTECTION;
          const extra = (reported & lowering & ~requested) | (reported & ~STORAGE_DEFINED_FLAGS);
          t.assert(extra === 0, `stored with ${storageFlagsName(requested)}, reported ${storageFlagsName(reported)}`, {
            expected: `flags within ${storageFlagsName(requested | WRITE_ONCE)}`,
            actual: storageFlagsName(reported),
          });
        }
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-get-info.after-overwrite`,
      title: `${fn(api, 'get_info')} follows the latest ${fn(api, 'set')}`,
      spec: SPEC,
      clause: clause(api, 'info'),
      level: 'MUST',
      requirement: `The metadata written by ${fn(api, 'get_info')} is that of the asset as last set: size 30, then 2 after an overwrite, then 0 after a zero-length overwrite.`,
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        const c = client(t, api);
        for (const n of [30, 2, 0]) {
          await put(t, api, uid, pattern(n, 3));
          const r = await c.getInfo(uid);
          expectPsa(t, r.status, PSA.SUCCESS, fn(api, 'get_info'));
          t.expectEqual(r.info!.size, BigInt(n), `size after setting ${n} bytes`);
        }
      },
    }),
  ),
];
