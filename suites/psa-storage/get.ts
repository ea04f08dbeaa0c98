// 5.3.4 psa_its_get / 5.4.4 psa_ps_get
import fc from 'fast-check';
import { U64_MAX } from '../../protocol/bytes.js';
import { PSA } from '../../protocol/psa/status.js';
import { check, checkProp } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import { SPEC, client, clause, expectPsa, fn, forBoth, newUid, pattern, put, type Api } from './common.js';

const DATA_LEN = 48;

/** Writes a 48-byte asset and returns a reader of (offset, size). */
async function asset(t: CheckContext, api: Api) {
  const uid = newUid(t, api);
  const data = pattern(DATA_LEN, 31);
  await put(t, api, uid, data);
  return { uid, data, get: (offset: bigint | number, size: bigint | number) => client(t, api).get(uid, offset, size) };
}

function slice(api: Api, name: string, title: string, requirement: string, offset: bigint, size: bigint, expectLen: number) {
  return check({
    id: `psa-storage.${api}-get.${name}`,
    title,
    spec: SPEC,
    clause: clause(api, 'get'),
    level: 'MUST',
    requirement,
    services: [api],
    run: async (t) => {
      const a = await asset(t, api);
      const r = await a.get(offset, size);
      expectPsa(t, r.status, PSA.SUCCESS, `${fn(api, 'get')}(data_offset=${offset}, data_size=${size}) of a ${DATA_LEN}-byte asset`);
      const start = Number(offset);
      t.expectBytes(r.data, a.data.subarray(start, start + expectLen), `${fn(api, 'get')}(data_offset=${offset}, data_size=${size})`);
    },
  });
}

export default [
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-get.uid-zero`,
      title: `${fn(api, 'get')} refuses uid 0`,
      spec: SPEC,
      clause: clause(api, 'get'),
      level: 'MUST',
      requirement: `The uid value must not be zero: ${fn(api, 'get')} with uid 0 returns PSA_ERROR_INVALID_ARGUMENT.`,
      services: [api],
      run: async (t) => {
        expectPsa(t, (await client(t, api).get(0n, 0, 16)).status, PSA.ERROR_INVALID_ARGUMENT, `${fn(api, 'get')}(uid=0)`);
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-get.does-not-exist`,
      title: `${fn(api, 'get')} of a uid never written is DOES_NOT_EXIST`,
      spec: SPEC,
      clause: clause(api, 'get'),
      level: 'MUST',
      requirement: `${fn(api, 'get')} returns PSA_ERROR_DOES_NOT_EXIST when the provided uid value was not found in the storage, and returns no data.`,
      services: [api],
      run: async (t) => {
        const r = await client(t, api).get(newUid(t, api), 0, 16);
        expectPsa(t, r.status, PSA.ERROR_DOES_NOT_EXIST, `${fn(api, 'get')} of an unused uid`);
        t.expectEqual(r.data.length, 0, 'bytes returned with the error');
      },
    }),
  ),
  ...forBoth((api) =>
    slice(api, 'whole', `${fn(api, 'get')} of the whole asset`, `${fn(api, 'get')} with data_offset 0 and data_size equal to the asset size returns the whole asset.`, 0n, BigInt(DATA_LEN), DATA_LEN),
  ),
  ...forBoth((api) =>
    slice(api, 'offset-middle', `${fn(api, 'get')} from an offset inside the asset`, `${fn(api, 'get')} retrieves data starting at data_offset bytes from the beginning of the data: offset 10, size 7 returns bytes 10..16.`, 10n, 7n, 7),
  ),
  ...forBoth((api) =>
    slice(api, 'size-past-end', `${fn(api, 'get')} asking for more than is there returns the rest`, `${fn(api, 'get')} fetches the lesser of data_size or uid.size - data_offset bytes and must not return bytes from beyond the end of uid: offset 40, size 100 of a 48-byte asset returns 8 bytes with PSA_SUCCESS.`, 40n, 100n, 8),
  ),
  ...forBoth((api) =>
    slice(api, 'size-max', `${fn(api, 'get')} with data_size SIZE_MAX returns the rest`, `${fn(api, 'get')} fetches the lesser of data_size or uid.size - data_offset bytes: data_size 2^64-1 at offset 1 returns the 47 remaining bytes (offset + size overflows; the implementation must not wrap).`, 1n, U64_MAX, DATA_LEN - 1),
  ),
  ...forBoth((api) =>
    slice(api, 'size-zero', `${fn(api, 'get')} with data_size 0 returns nothing`, `If data_size is 0, p_data_length is set to zero and the function returns PSA_SUCCESS.`, 5n, 0n, 0),
  ),
  ...forBoth((api) =>
    slice(api, 'offset-at-end', `${fn(api, 'get')} with data_offset equal to the size returns nothing`, `If data_offset == uid.size, p_data_length is set to zero and the function returns PSA_SUCCESS.`, BigInt(DATA_LEN), 16n, 0),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-get.offset-past-end`,
      title: `${fn(api, 'get')} with data_offset past the end is INVALID_ARGUMENT`,
      spec: SPEC,
      clause: clause(api, 'get'),
      level: 'MUST',
      requirement: `If data_offset is greater than uid.size, no data is retrieved and ${fn(api, 'get')} returns PSA_ERROR_INVALID_ARGUMENT.`,
      services: [api],
      run: async (t) => {
        const a = await asset(t, api);
        for (const off of [BigInt(DATA_LEN + 1), 1n << 32n, 1n << 63n, U64_MAX]) {
          const r = await a.get(off, 4);
          expectPsa(t, r.status, PSA.ERROR_INVALID_ARGUMENT, `${fn(api, 'get')}(data_offset=${off}) of a ${DATA_LEN}-byte asset`);
          t.expectEqual(r.data.length, 0, `bytes returned for data_offset=${off}`);
        }
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-get.empty-asset`,
      title: `${fn(api, 'get')} of a zero-length asset`,
      spec: SPEC,
      clause: clause(api, 'get'),
      level: 'MUST',
      requirement: `A zero-length asset has size 0: ${fn(api, 'get')} at offset 0 returns PSA_SUCCESS and no data; at offset 1 returns PSA_ERROR_INVALID_ARGUMENT.`,
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        await put(t, api, uid, new Uint8Array(0));
        const r = await client(t, api).get(uid, 0, 8);
        expectPsa(t, r.status, PSA.SUCCESS, `${fn(api, 'get')}(data_offset=0) of an empty asset`);
        t.expectEqual(r.data.length, 0, 'bytes returned from an empty asset');
        expectPsa(t, (await client(t, api).get(uid, 1, 8)).status, PSA.ERROR_INVALID_ARGUMENT, `${fn(api, 'get')}(data_offset=1) of an empty asset`);
      },
    }),
  ),
  ...forBoth((api) =>
    checkProp({
      id: `psa-storage.${api}-get.slice-property`,
      title: `${fn(api, 'get')} returns exactly the requested slice, for generated offsets and sizes`,
      spec: SPEC,
      clause: clause(api, 'get'),
      level: 'MUST',
      requirement: `For any asset, data_offset and data_size: if data_offset <= size, ${fn(api, 'get')} returns PSA_SUCCESS and bytes [data_offset, data_offset + min(data_size, size - data_offset)); otherwise PSA_ERROR_INVALID_ARGUMENT and no data.`,
      services: [api],
      numRuns: 80,
      arbitrary: () =>
        fc.record({
          data: fc.uint8Array({ maxLength: 96 }),
          offset: fc.oneof(fc.nat({ max: 110 }), fc.bigInt({ min: 0n, max: U64_MAX })),
          size: fc.oneof(fc.nat({ max: 110 }), fc.bigInt({ min: 0n, max: U64_MAX })),
        }),
      predicate: async (t, { data, offset, size }) => {
        const uid = newUid(t, api);
        await put(t, api, uid, data);
        const off = BigInt(offset);
        const sz = BigInt(size);
        const r = await client(t, api).get(uid, off, sz);
        const what = `${fn(api, 'get')}(data_offset=${off}, data_size=${sz}) of a ${data.length}-byte asset`;
        if (off > BigInt(data.length)) {
          expectPsa(t, r.status, PSA.ERROR_INVALID_ARGUMENT, what);
        } else {
          expectPsa(t, r.status, PSA.SUCCESS, what);
          const n = Math.min(Number(sz > 1_000_000n ? 1_000_000n : sz), data.length - Number(off));
          t.expectBytes(r.data, data.subarray(Number(off), Number(off) + n), what);
        }
        await client(t, api).remove(uid);
      },
    }),
  ),
];
