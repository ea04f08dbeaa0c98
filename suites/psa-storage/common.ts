// Shared by the psa-storage checks: the two APIs and their clauses, uid
// allocation that never collides across runs, cleanup, data patterns.
import { StorageClient, type StorageApi } from '../../clients/psa-storage.js';
import { hexNum } from '../../protocol/bytes.js';
import { PSA } from '../../protocol/psa/status.js';
import { StorageFlag, storageFlagsName } from '../../protocol/psa/storage.js';
import type { CheckDef, CheckContext } from '../harness/types.js';
import { PSA_STATUS } from '../harness/status-names.js';

export type Api = StorageApi;
export const APIS: readonly Api[] = ['its', 'ps'];

export const SPEC = 'PSA Certified Secure Storage API 1.0.4';
export const TS_SPEC = 'Trusted Services 1.2.0, secure storage packed-c protocol';

const CLAUSES = {
  its: {
    set: '5.3.3 psa_its_set',
    get: '5.3.4 psa_its_get',
    info: '5.3.5 psa_its_get_info',
    remove: '5.3.6 psa_its_remove',
    arch: '2.4 The Internal Trusted Storage API',
    reqs: '3.2 Internal Trusted Storage requirements',
  },
  ps: {
    set: '5.4.3 psa_ps_set',
    get: '5.4.4 psa_ps_get',
    info: '5.4.5 psa_ps_get_info',
    remove: '5.4.6 psa_ps_remove',
    arch: '2.3 The Protected Storage API',
    reqs: '3.1 Protected Storage requirements',
  },
} as const;

export function clause(api: Api, which: keyof (typeof CLAUSES)['its']): string {
  return CLAUSES[api][which];
}

export const fn = (api: Api, name: string) => `psa_${api}_${name}`;
export const API_NAME = { its: 'Internal Trusted Storage', ps: 'Protected Storage' } as const;

/** One check per API: ITS and PS share most requirements, with their own ids and clauses. */
export function forBoth(make: (api: Api) => CheckDef): CheckDef[] {
  return APIS.map(make);
}

export function client(t: CheckContext, api: Api): StorageClient {
  return new StorageClient(t.channel(api), api);
}

/**
 * A uid no other check and no earlier run uses: 0x46 ("F") in the top byte,
 * the run nonce, a per-run counter. Removing it afterwards is registered.
 */
export function newUid(t: CheckContext, api: Api, cleanup = true): bigint {
  const uid = (0x46n << 56n) | (BigInt(t.runNonce) << 24n) | BigInt(t.unique() & 0xffffff);
  if (cleanup) t.defer(() => client(t, api).remove(uid));
  return uid;
}

/** Deterministic bytes, distinct per salt. */
export function pattern(n: number, salt = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + salt * 97 + 7) & 0xff;
  return out;
}

export function expectPsa(t: CheckContext, actual: number, expected: number | readonly number[], what: string): void {
  t.expectStatus(PSA_STATUS, actual, expected, what);
}

/** Sets an asset as the precondition of a check; a refusal is itself a finding. */
export async function put(t: CheckContext, api: Api, uid: bigint, data: Uint8Array, flags = 0): Promise<void> {
  const s = await client(t, api).set(uid, data, flags);
  expectPsa(t, s, PSA.SUCCESS, `precondition ${fn(api, 'set')}(uid=${hexNum(uid)}, data_length=${data.length}, create_flags=${storageFlagsName(flags)})`);
}

/** Reads the whole asset and compares it with `expected`. */
export async function expectContent(t: CheckContext, api: Api, uid: bigint, expected: Uint8Array, what: string): Promise<void> {
  const r = await client(t, api).get(uid, 0, expected.length + 16);
  expectPsa(t, r.status, PSA.SUCCESS, `${what}: ${fn(api, 'get')}`);
  t.expectBytes(r.data, expected, `${what}: ${fn(api, 'get')} returned`);
}

export async function expectAbsent(t: CheckContext, api: Api, uid: bigint, what: string): Promise<void> {
  const r = await client(t, api).getInfo(uid);
  expectPsa(t, r.status, PSA.ERROR_DOES_NOT_EXIST, `${what}: ${fn(api, 'get_info')}`);
}

/** WRITE_ONCE assets can never be removed: checks that create them need the profile's consent. */
export const WRITE_ONCE_CAP = 'storage.write-once';

export function writeOnceAllowed(t: CheckContext): boolean {
  return t.cap(WRITE_ONCE_CAP) !== false;
}

export const { WRITE_ONCE, NO_CONFIDENTIALITY, NO_REPLAY_PROTECTION } = StorageFlag;

export function needNumber(t: CheckContext, name: string): number {
  const v = t.capNumber(name);
  if (v === undefined) t.unsupported(`the profile does not declare ${name}`);
  return v;
}

export const maxAssetCap = (api: Api) => `${api}.max-asset-size`;
export const capacityCap = (api: Api) => `${api}.capacity`;
export const SET_EXTENDED_CAP = 'ps.set-extended';
