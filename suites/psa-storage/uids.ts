// 2.5 UIDs: uid is a full 64-bit value; assets of different uids are independent.
import { PSA } from '../../protocol/psa/status.js';
import { check } from '../harness/check.js';
import { SPEC, client, expectContent, expectPsa, fn, forBoth, newUid, pattern, put } from './common.js';

const UIDS = '2.5 UIDs';

export default [
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-uid.max-value`,
      title: `uid 0xffffffffffffffff is a valid ${api.toUpperCase()} uid`,
      spec: SPEC,
      clause: UIDS,
      level: 'MUST',
      requirement: 'uids are defined as uint64_t and each partition can use any of the non-zero uids in the full 64-bit range: the largest uid stores and returns data.',
      services: [api],
      run: async (t) => {
        const uid = 0xffff_ffff_ffff_ffffn;
        const c = client(t, api);
        const info = await c.getInfo(uid);
        // a write-once asset left at this uid by an earlier run is not this check's business
        if (info.status === PSA.SUCCESS && info.info!.flags & 1) t.unsupported('uid 0xffffffffffffffff holds a WRITE_ONCE asset from an earlier run');
        t.defer(() => c.remove(uid));
        const data = pattern(11, 21);
        await put(t, api, uid, data);
        await expectContent(t, api, uid, data, 'at uid 0xffffffffffffffff');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-uid.high-bits`,
      title: `uids that differ only above bit 31 are distinct assets`,
      spec: SPEC,
      clause: UIDS,
      level: 'MUST',
      requirement: 'uids are 64-bit values: two uids that differ only in their upper 32 bits name two different assets (an implementation that truncates uids to 32 bits fails).',
      services: [api],
      run: async (t) => {
        const a = newUid(t, api);
        const b = a ^ (1n << 40n);
        t.defer(() => client(t, api).remove(b));
        const da = pattern(9, 22);
        const db = pattern(13, 23);
        await put(t, api, a, da);
        await put(t, api, b, db);
        await expectContent(t, api, a, da, `uid ${a.toString(16)} after writing its high-bit twin`);
        await expectContent(t, api, b, db, `uid ${b.toString(16)}`);
        expectPsa(t, await client(t, api).remove(b), PSA.SUCCESS, `${fn(api, 'remove')} of the twin`);
        await expectContent(t, api, a, da, 'after removing the twin');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-uid.independent`,
      title: `writing and removing one uid leaves its neighbours alone`,
      spec: SPEC,
      clause: UIDS,
      level: 'MUST',
      requirement: 'Each uid names its own data asset: setting, overwriting and removing uid N does not change the assets at N-1 and N+1.',
      services: [api],
      run: async (t) => {
        const mid = newUid(t, api);
        const lo = mid - 1n;
        const hi = mid + 1n;
        for (const u of [lo, hi]) t.defer(() => client(t, api).remove(u));
        const dl = pattern(20, 24);
        const dh = pattern(21, 25);
        await put(t, api, lo, dl);
        await put(t, api, hi, dh);
        await put(t, api, mid, pattern(40, 26));
        await put(t, api, mid, pattern(3, 27));
        expectPsa(t, await client(t, api).remove(mid), PSA.SUCCESS, `${fn(api, 'remove')} of the middle uid`);
        await expectContent(t, api, lo, dl, 'uid N-1');
        await expectContent(t, api, hi, dh, 'uid N+1');
      },
    }),
  ),
];
