// 5.3.3 psa_its_set / 5.4.3 psa_ps_set
import fc from 'fast-check';
import { PSA } from '../../protocol/psa/status.js';
import { storageFlagsName } from '../../protocol/psa/storage.js';
import { check, checkProp } from '../harness/check.js';
import {
  SPEC,
  WRITE_ONCE,
  WRITE_ONCE_CAP,
  NO_CONFIDENTIALITY,
  NO_REPLAY_PROTECTION,
  client,
  clause,
  expectAbsent,
  expectContent,
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
      id: `psa-storage.${api}-set.round-trip`,
      title: `${fn(api, 'set')} stores the bytes ${fn(api, 'get')} returns`,
      spec: SPEC,
      clause: clause(api, 'set'),
      level: 'MUST',
      requirement: `${fn(api, 'set')} stores data_length bytes from p_data for uid and returns PSA_SUCCESS; a later ${fn(api, 'get')} of the whole asset returns those bytes.`,
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        const data = pattern(37, 3);
        expectPsa(t, await client(t, api).set(uid, data), PSA.SUCCESS, fn(api, 'set'));
        await expectContent(t, api, uid, data, 'after set');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-set.uid-zero`,
      title: `${fn(api, 'set')} refuses uid 0`,
      spec: SPEC,
      clause: clause(api, 'set'),
      level: 'MUST',
      requirement: `The uid value must not be zero: ${fn(api, 'set')} with uid 0 returns PSA_ERROR_INVALID_ARGUMENT (the creation of a uid with value 0 must be treated as an error, ${clause(api, 'reqs')}).`,
      services: [api],
      run: async (t) => {
        expectPsa(t, await client(t, api).set(0n, pattern(4)), PSA.ERROR_INVALID_ARGUMENT, `${fn(api, 'set')}(uid=0)`);
        expectPsa(t, (await client(t, api).getInfo(0n)).status, PSA.ERROR_INVALID_ARGUMENT, `${fn(api, 'get_info')}(uid=0) afterwards`);
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-set.zero-length`,
      title: `${fn(api, 'set')} with data_length 0 creates an empty asset`,
      spec: SPEC,
      clause: clause(api, 'set'),
      level: 'MUST',
      requirement: `If data_length == 0 the implementation will create a zero-length asset associated with the uid; a call to ${fn(api, 'get_info')} will return PSA_SUCCESS.`,
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        const c = client(t, api);
        expectPsa(t, await c.set(uid, new Uint8Array(0)), PSA.SUCCESS, `${fn(api, 'set')}(data_length=0)`);
        const r = await c.getInfo(uid);
        expectPsa(t, r.status, PSA.SUCCESS, `${fn(api, 'get_info')} of the empty asset`);
        t.expectEqual(r.info!.size, 0n, 'size of the empty asset');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-set.overwrite-shorter`,
      title: `${fn(api, 'set')} on an existing uid replaces all of its data`,
      spec: SPEC,
      clause: clause(api, 'set'),
      level: 'MUST',
      requirement: `${fn(api, 'set')} on an existing uid (not WRITE_ONCE) replaces its data: after writing 64 bytes then 5 bytes, the asset holds exactly the 5 new bytes, with no trace of the old tail.`,
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        await put(t, api, uid, pattern(64, 1));
        const next = pattern(5, 2);
        expectPsa(t, await client(t, api).set(uid, next), PSA.SUCCESS, `${fn(api, 'set')} over the existing asset`);
        await expectContent(t, api, uid, next, 'after overwrite');
        const info = await client(t, api).getInfo(uid);
        expectPsa(t, info.status, PSA.SUCCESS, fn(api, 'get_info'));
        t.expectEqual(info.info!.size, 5n, 'size after overwrite');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-set.overwrite-longer`,
      title: `${fn(api, 'set')} can grow an existing asset`,
      spec: SPEC,
      clause: clause(api, 'set'),
      level: 'MUST',
      requirement: `${fn(api, 'set')} on an existing uid stores the new data whatever its length: 4 bytes then 200 bytes leaves the 200 new bytes.`,
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        await put(t, api, uid, pattern(4, 5));
        const next = pattern(200, 6);
        expectPsa(t, await client(t, api).set(uid, next), PSA.SUCCESS, `${fn(api, 'set')} over the existing asset`);
        await expectContent(t, api, uid, next, 'after growing overwrite');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-set.write-once`,
      title: `${fn(api, 'set')} refuses to modify a WRITE_ONCE asset`,
      spec: SPEC,
      clause: clause(api, 'set'),
      level: 'MUST',
      requirement: `If uid exists it must not have been created with PSA_STORAGE_FLAG_WRITE_ONCE: ${fn(api, 'set')} returns PSA_ERROR_NOT_PERMITTED and the stored data is unchanged.`,
      services: [api],
      capabilities: [WRITE_ONCE_CAP],
      run: async (t) => {
        const uid = newUid(t, api);
        const data = pattern(16, 7);
        await put(t, api, uid, data, WRITE_ONCE);
        expectPsa(t, await client(t, api).set(uid, pattern(16, 8)), PSA.ERROR_NOT_PERMITTED, `${fn(api, 'set')} on the WRITE_ONCE uid`);
        await expectContent(t, api, uid, data, 'after the refused write');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-set.write-once-same-data`,
      title: `${fn(api, 'set')} of identical data on a WRITE_ONCE asset is refused too`,
      spec: SPEC,
      clause: clause(api, 'set'),
      level: 'MUST',
      requirement: `PSA_STORAGE_FLAG_WRITE_ONCE: the data associated with the uid will not be able to be modified; ${fn(api, 'set')} returns PSA_ERROR_NOT_PERMITTED even when the new data equals the stored data and the flags are the same.`,
      services: [api],
      capabilities: [WRITE_ONCE_CAP],
      run: async (t) => {
        const uid = newUid(t, api);
        const data = pattern(8, 9);
        await put(t, api, uid, data, WRITE_ONCE);
        expectPsa(t, await client(t, api).set(uid, data, WRITE_ONCE), PSA.ERROR_NOT_PERMITTED, `${fn(api, 'set')} repeating the first write`);
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-set.becomes-write-once`,
      title: `${fn(api, 'set')} with WRITE_ONCE over a normal asset makes it write-once`,
      spec: SPEC,
      clause: clause(api, 'set'),
      level: 'MUST',
      requirement: `create_flags are the flags the data will be stored with: after ${fn(api, 'set')} with PSA_STORAGE_FLAG_WRITE_ONCE over an existing normal asset, the asset reports WRITE_ONCE and further writes return PSA_ERROR_NOT_PERMITTED.`,
      services: [api],
      capabilities: [WRITE_ONCE_CAP],
      run: async (t) => {
        const uid = newUid(t, api);
        const c = client(t, api);
        await put(t, api, uid, pattern(8, 10));
        const data = pattern(12, 11);
        expectPsa(t, await c.set(uid, data, WRITE_ONCE), PSA.SUCCESS, `${fn(api, 'set')} with WRITE_ONCE over the normal asset`);
        const info = await c.getInfo(uid);
        expectPsa(t, info.status, PSA.SUCCESS, fn(api, 'get_info'));
        t.assert(info.info!.flags & WRITE_ONCE, `${fn(api, 'get_info')} flags ${storageFlagsName(info.info!.flags)} lack WRITE_ONCE`, {
          expected: 'flags with WRITE_ONCE',
          actual: storageFlagsName(info.info!.flags),
        });
        expectPsa(t, await c.set(uid, pattern(12, 12)), PSA.ERROR_NOT_PERMITTED, `${fn(api, 'set')} after it became WRITE_ONCE`);
        await expectContent(t, api, uid, data, 'after the refused write');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-set.unsupported-flags`,
      title: `${fn(api, 'set')} refuses undefined create_flags bits without side effects`,
      spec: SPEC,
      clause: clause(api, 'set'),
      level: 'MUST',
      requirement: `${fn(api, 'set')} returns PSA_ERROR_NOT_SUPPORTED when one or more of the flags provided in create_flags is not supported or is not valid; the failed call creates nothing and changes nothing (2.6 Atomicity).`,
      services: [api],
      run: async (t) => {
        const c = client(t, api);
        const fresh = newUid(t, api);
        for (const bad of [1 << 3, 1 << 16, 1 << 31]) {
          expectPsa(t, await c.set(fresh, pattern(4), bad), PSA.ERROR_NOT_SUPPORTED, `${fn(api, 'set')}(create_flags=${storageFlagsName(bad)}) on a new uid`);
          await expectAbsent(t, api, fresh, `after the refused create_flags=${storageFlagsName(bad)}`);
        }
        const existing = newUid(t, api);
        const data = pattern(9, 13);
        await put(t, api, existing, data);
        expectPsa(t, await c.set(existing, pattern(3), 1 << 5), PSA.ERROR_NOT_SUPPORTED, `${fn(api, 'set')}(create_flags=0x20) on an existing uid`);
        await expectContent(t, api, existing, data, 'after the refused overwrite');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-set.no-confidentiality`,
      title: `${fn(api, 'set')} accepts PSA_STORAGE_FLAG_NO_CONFIDENTIALITY`,
      spec: SPEC,
      clause: clause(api, 'arch'),
      level: 'SHOULD',
      requirement:
        api === 'its'
          ? 'As the Internal Storage is implicitly confidential and protected from replay, the implementation can ignore the flags requesting lower levels of protection: psa_its_set with PSA_STORAGE_FLAG_NO_CONFIDENTIALITY stores the data.'
          : 'The implementation is permitted to treat the protection flags as indicative and apply a higher level of protection: psa_ps_set with PSA_STORAGE_FLAG_NO_CONFIDENTIALITY stores the data.',
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        const data = pattern(10, 14);
        expectPsa(t, await client(t, api).set(uid, data, NO_CONFIDENTIALITY), PSA.SUCCESS, `${fn(api, 'set')}(create_flags=NO_CONFIDENTIALITY)`);
        await expectContent(t, api, uid, data, 'after set with NO_CONFIDENTIALITY');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-set.no-replay-protection`,
      title: `${fn(api, 'set')} accepts PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION`,
      spec: SPEC,
      clause: clause(api, 'arch'),
      level: 'SHOULD',
      requirement: `The implementation may ignore a request for lower protection: ${fn(api, 'set')} with PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION stores the data.`,
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        const data = pattern(10, 15);
        expectPsa(t, await client(t, api).set(uid, data, NO_REPLAY_PROTECTION), PSA.SUCCESS, `${fn(api, 'set')}(create_flags=NO_REPLAY_PROTECTION)`);
        await expectContent(t, api, uid, data, 'after set with NO_REPLAY_PROTECTION');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-set.all-flags`,
      title: `${fn(api, 'set')} with every defined flag stores a write-once asset`,
      spec: SPEC,
      clause: clause(api, 'arch'),
      level: 'MUST',
      requirement: `An implementation must treat the PSA_STORAGE_FLAG_WRITE_ONCE flag as definitive, also when it is combined with NO_CONFIDENTIALITY and NO_REPLAY_PROTECTION.`,
      services: [api],
      capabilities: [WRITE_ONCE_CAP],
      run: async (t) => {
        const uid = newUid(t, api);
        const c = client(t, api);
        const all = WRITE_ONCE | NO_CONFIDENTIALITY | NO_REPLAY_PROTECTION;
        const s = await c.set(uid, pattern(6, 16), all);
        if (s === PSA.ERROR_NOT_SUPPORTED) t.unsupported(`${fn(api, 'set')} does not support the combination ${storageFlagsName(all)}`);
        expectPsa(t, s, PSA.SUCCESS, `${fn(api, 'set')}(create_flags=${storageFlagsName(all)})`);
        expectPsa(t, await c.set(uid, pattern(6, 17)), PSA.ERROR_NOT_PERMITTED, `${fn(api, 'set')} on the write-once asset`);
        expectPsa(t, await c.remove(uid), PSA.ERROR_NOT_PERMITTED, `${fn(api, 'remove')} of the write-once asset`);
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-set.all-byte-values`,
      title: `${fn(api, 'set')} stores every byte value unchanged`,
      spec: SPEC,
      clause: clause(api, 'set'),
      level: 'MUST',
      requirement: `Assets are opaque bytes: all 256 byte values, NUL and 0xff included, are stored and returned unchanged.`,
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        const data = new Uint8Array(256).map((_, i) => i).reverse();
        await put(t, api, uid, data);
        await expectContent(t, api, uid, data, 'all byte values');
      },
    }),
  ),
  ...forBoth((api) =>
    checkProp({
      id: `psa-storage.${api}-set.round-trip-property`,
      title: `${fn(api, 'set')} then ${fn(api, 'get')} returns the data, for generated data and flags`,
      spec: SPEC,
      clause: clause(api, 'set'),
      level: 'MUST',
      requirement: `For any data up to 512 bytes and any supported combination of NO_CONFIDENTIALITY and NO_REPLAY_PROTECTION, ${fn(api, 'set')} succeeds and ${fn(api, 'get')} returns the same bytes and ${fn(api, 'get_info')} the same size.`,
      services: [api],
      numRuns: 60,
      arbitrary: () =>
        fc.record({
          data: fc.uint8Array({ maxLength: 512 }),
          flags: fc.constantFrom(0, NO_CONFIDENTIALITY, NO_REPLAY_PROTECTION, NO_CONFIDENTIALITY | NO_REPLAY_PROTECTION),
        }),
      predicate: async (t, { data, flags }) => {
        const uid = newUid(t, api);
        const c = client(t, api);
        const s = await c.set(uid, data, flags);
        if (s === PSA.ERROR_NOT_SUPPORTED && flags !== 0) return; // lowering flags may be refused (SHOULD, checked elsewhere)
        expectPsa(t, s, PSA.SUCCESS, `${fn(api, 'set')}(data_length=${data.length}, create_flags=${storageFlagsName(flags)})`);
        await expectContent(t, api, uid, data, 'round trip');
        const info = await c.getInfo(uid);
        expectPsa(t, info.status, PSA.SUCCESS, fn(api, 'get_info'));
        t.expectEqual(info.info!.size, BigInt(data.length), `${fn(api, 'get_info')} size`);
        await c.remove(uid);
      },
    }),
  ),
];
