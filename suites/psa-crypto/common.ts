// Shared by the psa-crypto checks: the spec names, key creation with
// cleanup, capability handling, status expectations and data patterns.
import { CryptoClient, attributes, attrsLabel, type Attrs } from '../../clients/psa-crypto.js';
import { PSA, psaStatusName } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { keyTypeName } from '../../protocol/psa/crypto/names.js';
import type { CheckContext } from '../harness/types.js';
import { PSA_STATUS } from '../harness/status-names.js';

export const SPEC = 'PSA Certified Crypto API 1.2.1 (IHI 0086)';
export const TS_SPEC = 'Trusted Services 1.2.0, crypto packed-c protocol';
export const TS_PROTO = 'protocols/service/crypto/packed-c/*.h, components/common/tlv/tlv.h';

export const { Alg, KeyType, Usage, KdfStep, EccFamily } = C;

export function client(t: CheckContext): CryptoClient {
  return new CryptoClient(t.channel('crypto'));
}

export function expectPsa(t: CheckContext, actual: number, expected: number | readonly number[], what: string): void {
  t.expectStatus(PSA_STATUS, actual, expected, what);
}

/**
 * A NOT_SUPPORTED answer where the spec allows it: UNSUPPORTED, or FAIL
 * when the profile declared `cap` present.
 */
export function supported(t: CheckContext, status: number, cap: string | readonly string[], what: string): void {
  if (status !== PSA.ERROR_NOT_SUPPORTED) return;
  const caps = typeof cap === 'string' ? [cap] : cap;
  const declared = caps.find((c) => t.cap(c) === true) ?? caps[0]!;
  t.optional(declared, true, `${what} answered PSA_ERROR_NOT_SUPPORTED`);
}

/** Statuses a refusal may take when several are allowed by the spec (see psa-arch-tests #307). */
export const INVALID_OR_UNSUPPORTED = [PSA.ERROR_INVALID_ARGUMENT, PSA.ERROR_NOT_SUPPORTED] as const;

/** Imports a key as the precondition of a check; destroyed afterwards. */
export async function importKey(t: CheckContext, a: Attrs, data: Uint8Array, cap: string | string[]): Promise<number> {
  const r = await client(t).importKey(a, data);
  const what = `precondition psa_import_key(${attrsLabel(attributes(a))})`;
  supported(t, r.status, cap, what);
  expectPsa(t, r.status, PSA.SUCCESS, what);
  const id = r.value!;
  t.defer(() => client(t).destroyKey(id));
  return id;
}

/** Generates a key as the precondition of a check; destroyed afterwards. */
export async function generateKey(t: CheckContext, a: Attrs, cap: string | string[]): Promise<number> {
  const r = await client(t).generateKey(a);
  const what = `precondition psa_generate_key(${attrsLabel(attributes(a))})`;
  supported(t, r.status, cap, what);
  expectPsa(t, r.status, PSA.SUCCESS, what);
  const id = r.value!;
  t.defer(() => client(t).destroyKey(id));
  return id;
}

/** Destroys a key on cleanup when `status` says it was created. */
export function cleanupIfCreated(t: CheckContext, status: number, id: number | undefined): void {
  if (status === PSA.SUCCESS && id !== undefined) t.defer(() => client(t).destroyKey(id));
}

/**
 * A persistent key identifier from the user range that no other check and
 * no earlier run uses: 0x2 in the top nibble, 12 bits of the run nonce, a
 * 16-bit per-run counter.
 */
export function persistentId(t: CheckContext): number {
  return (0x20000000 | ((t.runNonce & 0xfff) << 16) | (t.unique() & 0xffff)) >>> 0;
}

/** Deterministic bytes, distinct per salt. */
export function pattern(n: number, salt = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 131 + salt * 71 + 29) & 0xff;
  return out;
}

export function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const c = b.slice();
  c[Math.floor(bit / 8) % c.length]! ^= 1 << (bit % 8);
  return c;
}

export const statusName = psaStatusName;

export function typeLabel(type: number): string {
  return keyTypeName(type);
}

/** A key identifier that is certainly not a valid key: a key created, then destroyed. */
export async function destroyedKeyId(t: CheckContext): Promise<number> {
  const c = client(t);
  const r = await c.importKey({ type: KeyType.RAW_DATA, usage: 0, alg: 0 }, pattern(8, 99));
  expectPsa(t, r.status, PSA.SUCCESS, 'precondition psa_import_key(RAW_DATA, 8 bytes)');
  expectPsa(t, await c.destroyKey(r.value!), PSA.SUCCESS, 'precondition psa_destroy_key');
  return r.value!;
}

export const ALL_USAGE = Object.values(C.Usage).reduce((a, b) => a | b, 0);
