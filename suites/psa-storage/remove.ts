// 5.3.6 psa_its_remove / 5.4.6 psa_ps_remove
import { PSA } from '../../protocol/psa/status.js';
import { check } from '../harness/check.js';
import {
  SPEC,
  WRITE_ONCE,
  WRITE_ONCE_CAP,
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
      id: `psa-storage.${api}-remove.uid-zero`,
      title: `${fn(api, 'remove')} refuses uid 0`,
      spec: SPEC,
      clause: clause(api, 'remove'),
      level: 'MUST',
      requirement: `The uid value must not be zero: ${fn(api, 'remove')} with uid 0 returns PSA_ERROR_INVALID_ARGUMENT.`,
      services: [api],
      run: async (t) => {
        expectPsa(t, await client(t, api).remove(0n), PSA.ERROR_INVALID_ARGUMENT, `${fn(api, 'remove')}(uid=0)`);
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-remove.does-not-exist`,
      title: `${fn(api, 'remove')} of a uid never written is DOES_NOT_EXIST`,
      spec: SPEC,
      clause: clause(api, 'remove'),
      level: 'MUST',
      requirement: `${fn(api, 'remove')} returns PSA_ERROR_DOES_NOT_EXIST when the provided uid value was not found in the storage.`,
      services: [api],
      run: async (t) => {
        expectPsa(t, await client(t, api).remove(newUid(t, api, false)), PSA.ERROR_DOES_NOT_EXIST, `${fn(api, 'remove')} of an unused uid`);
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-remove.removes`,
      title: `${fn(api, 'remove')} deletes the data and its metadata`,
      spec: SPEC,
      clause: clause(api, 'remove'),
      level: 'MUST',
      requirement: `If the uid exists, it and any metadata are removed: afterwards ${fn(api, 'get')} and ${fn(api, 'get_info')} return PSA_ERROR_DOES_NOT_EXIST.`,
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        const c = client(t, api);
        await put(t, api, uid, pattern(33, 4));
        expectPsa(t, await c.remove(uid), PSA.SUCCESS, fn(api, 'remove'));
        expectPsa(t, (await c.get(uid, 0, 33)).status, PSA.ERROR_DOES_NOT_EXIST, `${fn(api, 'get')} after remove`);
        await expectAbsent(t, api, uid, 'after remove');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-remove.twice`,
      title: `a second ${fn(api, 'remove')} is DOES_NOT_EXIST`,
      spec: SPEC,
      clause: clause(api, 'remove'),
      level: 'MUST',
      requirement: `After a successful ${fn(api, 'remove')}, the uid is not found: removing it again returns PSA_ERROR_DOES_NOT_EXIST.`,
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        const c = client(t, api);
        await put(t, api, uid, pattern(3, 5));
        expectPsa(t, await c.remove(uid), PSA.SUCCESS, `first ${fn(api, 'remove')}`);
        expectPsa(t, await c.remove(uid), PSA.ERROR_DOES_NOT_EXIST, `second ${fn(api, 'remove')}`);
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-remove.write-once`,
      title: `${fn(api, 'remove')} refuses a WRITE_ONCE asset`,
      spec: SPEC,
      clause: clause(api, 'remove'),
      level: 'MUST',
      requirement: `${fn(api, 'remove')} returns PSA_ERROR_NOT_PERMITTED when the provided uid value was created with PSA_STORAGE_FLAG_WRITE_ONCE, and the asset stays readable.`,
      services: [api],
      capabilities: [WRITE_ONCE_CAP],
      run: async (t) => {
        const uid = newUid(t, api);
        const data = pattern(14, 6);
        await put(t, api, uid, data, WRITE_ONCE);
        expectPsa(t, await client(t, api).remove(uid), PSA.ERROR_NOT_PERMITTED, `${fn(api, 'remove')} of the write-once asset`);
        await expectContent(t, api, uid, data, 'after the refused remove');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-remove.reuse-uid`,
      title: `a removed uid can be used again, with other flags`,
      spec: SPEC,
      clause: clause(api, 'remove'),
      level: 'MUST',
      requirement: `Removal removes the asset and any metadata: the uid can be set again afterwards, and the new asset carries only its new data and size.`,
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        const c = client(t, api);
        await put(t, api, uid, pattern(90, 7));
        expectPsa(t, await c.remove(uid), PSA.SUCCESS, fn(api, 'remove'));
        const data = pattern(6, 8);
        expectPsa(t, await c.set(uid, data), PSA.SUCCESS, `${fn(api, 'set')} of the removed uid`);
        await expectContent(t, api, uid, data, 'reused uid');
        const info = await c.getInfo(uid);
        expectPsa(t, info.status, PSA.SUCCESS, fn(api, 'get_info'));
        t.expectEqual(info.info!.size, 6n, 'size of the reused uid');
      },
    }),
  ),
];
