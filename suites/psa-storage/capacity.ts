// Storage limits: the largest asset, running out of space
// (PSA_ERROR_INSUFFICIENT_STORAGE), and 2.6 Atomicity when a write fails.
import { PSA } from '../../protocol/psa/status.js';
import { check } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import {
  SPEC,
  capacityCap,
  client,
  clause,
  expectAbsent,
  expectContent,
  expectPsa,
  fn,
  forBoth,
  maxAssetCap,
  needNumber,
  newUid,
  pattern,
  put,
  type Api,
} from './common.js';

const ATOMICITY = '2.6 Atomicity of Operations';

/**
 * The statuses accepted for an asset over the implementation's size limit:
 * the API names INSUFFICIENT_STORAGE for lack of space; an implementation
 * that classifies an oversize request as a bad argument is within the spec.
 */
const OVERSIZE_OK = [PSA.ERROR_INSUFFICIENT_STORAGE, PSA.ERROR_INVALID_ARGUMENT];

interface Fill {
  uids: bigint[];
  chunks: Uint8Array[];
  refusal?: number;
}

/** Writes max-asset-size chunks until the target refuses one (bounded by the declared capacity). */
async function fill(t: CheckContext, api: Api): Promise<Fill> {
  const capacity = needNumber(t, capacityCap(api));
  const chunk = Math.max(1, Math.min(needNumber(t, maxAssetCap(api)), capacity));
  const limit = Math.ceil(capacity / chunk) + 4;
  const c = client(t, api);
  const f: Fill = { uids: [], chunks: [] };
  for (let i = 0; i < limit; i++) {
    if (t.signal.aborted) break;
    const uid = newUid(t, api);
    const data = pattern(chunk, i + 40);
    const s = await c.set(uid, data);
    if (s !== PSA.SUCCESS) {
      f.refusal = s;
      break;
    }
    f.uids.push(uid);
    f.chunks.push(data);
  }
  if (f.refusal === undefined) {
    t.unsupported(
      `${f.uids.length} assets of ${chunk} bytes were accepted, more than the declared ${capacityCap(api)} = ${capacity} holds; declare the real capacity to run this check`,
    );
  }
  return f;
}

export default [
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-capacity.max-asset-size`,
      title: `an asset of the declared maximum size is stored`,
      spec: SPEC,
      clause: clause(api, 'set'),
      level: 'MUST',
      requirement: `${fn(api, 'set')} stores an asset of exactly the size the platform declares as its maximum (${maxAssetCap(api)}), and ${fn(api, 'get')} returns it whole.`,
      services: [api],
      capabilities: [maxAssetCap(api)],
      run: async (t) => {
        const max = needNumber(t, maxAssetCap(api));
        const uid = newUid(t, api);
        const data = pattern(max, 50);
        expectPsa(t, await client(t, api).set(uid, data), PSA.SUCCESS, `${fn(api, 'set')}(data_length=${max})`);
        await expectContent(t, api, uid, data, 'largest asset');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-capacity.over-max-asset-size`,
      title: `an asset one byte over the maximum is refused and nothing is created`,
      spec: SPEC,
      clause: clause(api, 'set'),
      level: 'MUST',
      requirement: `${fn(api, 'set')} of one byte more than the platform's maximum asset size fails with PSA_ERROR_INSUFFICIENT_STORAGE (PSA_ERROR_INVALID_ARGUMENT is accepted: the API names no status for a per-asset limit) and creates no asset.`,
      services: [api],
      capabilities: [maxAssetCap(api)],
      run: async (t) => {
        const max = needNumber(t, maxAssetCap(api));
        const uid = newUid(t, api);
        const s = await client(t, api).set(uid, pattern(max + 1, 51));
        expectPsa(t, s, OVERSIZE_OK, `${fn(api, 'set')}(data_length=${max + 1})`);
        await expectAbsent(t, api, uid, 'after the refused oversize set');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-capacity.failed-overwrite-keeps-data`,
      title: `a refused overwrite leaves the old asset intact`,
      spec: SPEC,
      clause: ATOMICITY,
      level: 'MUST',
      requirement: `After an operation the data assets either contain the new data or are unchanged, also for an invalid request: an oversize ${fn(api, 'set')} over an existing asset leaves its old data and size.`,
      services: [api],
      capabilities: [maxAssetCap(api)],
      run: async (t) => {
        const max = needNumber(t, maxAssetCap(api));
        const uid = newUid(t, api);
        const old = pattern(24, 52);
        await put(t, api, uid, old);
        const s = await client(t, api).set(uid, pattern(max + 1, 53));
        expectPsa(t, s, OVERSIZE_OK, `${fn(api, 'set')}(data_length=${max + 1}) over a 24-byte asset`);
        await expectContent(t, api, uid, old, 'after the refused overwrite');
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-capacity.insufficient-storage`,
      title: `running out of space is PSA_ERROR_INSUFFICIENT_STORAGE`,
      spec: SPEC,
      clause: clause(api, 'set'),
      level: 'MUST',
      requirement: `${fn(api, 'set')} returns PSA_ERROR_INSUFFICIENT_STORAGE when there is insufficient space on the storage medium (not another error, and not success).`,
      services: [api],
      capabilities: [maxAssetCap(api), capacityCap(api)],
      timeoutMs: 300_000,
      run: async (t) => {
        const f = await fill(t, api);
        expectPsa(t, f.refusal!, PSA.ERROR_INSUFFICIENT_STORAGE, `${fn(api, 'set')} after ${f.uids.length} assets filled the storage`);
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-capacity.full-keeps-data`,
      title: `assets stored before the storage filled up read back intact`,
      spec: SPEC,
      clause: ATOMICITY,
      level: 'MUST',
      requirement: `A failed write when the storage is full must not result in corruption of the data assets: every asset stored before the refusal reads back unchanged.`,
      services: [api],
      capabilities: [maxAssetCap(api), capacityCap(api)],
      timeoutMs: 300_000,
      run: async (t) => {
        const f = await fill(t, api);
        for (const [i, uid] of f.uids.entries()) await expectContent(t, api, uid, f.chunks[i]!, `asset ${i + 1} of ${f.uids.length}`);
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-capacity.remove-frees-space`,
      title: `${fn(api, 'remove')} gives the space back`,
      spec: SPEC,
      clause: clause(api, 'remove'),
      level: 'MUST',
      requirement: `${fn(api, 'remove')} removes the asset and its metadata from storage: after filling the storage and removing one asset, an asset of the same size can be stored.`,
      services: [api],
      capabilities: [maxAssetCap(api), capacityCap(api)],
      timeoutMs: 300_000,
      run: async (t) => {
        const f = await fill(t, api);
        t.assert(f.uids.length > 0, 'the storage had no room for even one asset', { actual: `refused the first set` });
        const c = client(t, api);
        expectPsa(t, await c.remove(f.uids[0]!), PSA.SUCCESS, `${fn(api, 'remove')} of one filler asset`);
        const uid = newUid(t, api);
        expectPsa(t, await c.set(uid, f.chunks[0]!), PSA.SUCCESS, `${fn(api, 'set')} of ${f.chunks[0]!.length} bytes after the remove`);
      },
    }),
  ),
];
