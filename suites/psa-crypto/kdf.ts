// 10.6 Key derivation: HKDF, HKDF-Extract/Expand, TLS 1.2 PRF and
// PSK-to-MS, PBKDF2-HMAC; input step order, capacity, output_key rules.
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { algName, stepName } from '../../protocol/psa/crypto/names.js';
import { concat, utf8 } from '../../protocol/bytes.js';
import { check } from '../harness/check.js';
import type { CheckContext, CheckDef } from '../harness/types.js';
import { INPUT_INTEGER_CAP, algCap, keyCap } from './caps.js';
import { Alg, INVALID_OR_UNSUPPORTED, KdfStep, KeyType, SPEC, Usage, cleanupIfCreated, client, expectPsa, importKey, pattern, supported } from './common.js';
import * as O from './oracle.js';
import { HKDF_RFC5869, PBKDF2_VECTORS } from './vectors.js';

const HKDF256 = C.hkdf(Alg.SHA_256);
const HKDF_CAPS = [algCap(HKDF256), algCap(Alg.SHA_256)];
const DERIVE = keyCap(KeyType.DERIVE);

export async function kdfOp(t: CheckContext, alg: number): Promise<number> {
  const r = await client(t).kdfSetup(alg);
  supported(t, r.status, [algCap(alg), ...(C.hashOf(alg) ? [algCap(C.hashOf(alg))] : [])], `psa_key_derivation_setup(${algName(alg)})`);
  expectPsa(t, r.status, PSA.SUCCESS, `psa_key_derivation_setup(${algName(alg)})`);
  t.defer(() => client(t).kdfAbort(r.value!));
  return r.value!;
}

export async function deriveKey(t: CheckContext, alg: number, secret: Uint8Array, usage = Usage.DERIVE, type: number = KeyType.DERIVE): Promise<number> {
  return importKey(t, { type, usage, alg }, secret, keyCap(type));
}

async function input(t: CheckContext, op: number, step: number, data: Uint8Array): Promise<void> {
  expectPsa(t, await client(t).kdfInputBytes(op, step, data), PSA.SUCCESS, `psa_key_derivation_input_bytes(${stepName(step)})`);
}

async function inputKey(t: CheckContext, op: number, step: number, key: number): Promise<void> {
  expectPsa(t, await client(t).kdfInputKey(op, step, key), PSA.SUCCESS, `psa_key_derivation_input_key(${stepName(step)})`);
}

async function output(t: CheckContext, op: number, n: number): Promise<Uint8Array> {
  const r = await client(t).kdfOutputBytes(op, n);
  expectPsa(t, r.status, PSA.SUCCESS, `psa_key_derivation_output_bytes(${n})`);
  t.expectEqual(r.value!.length, n, 'output length');
  return r.value!;
}

/** An HKDF-SHA-256 operation with salt, secret key and info given. */
async function hkdfReady(t: CheckContext, salt = pattern(8, 160), ikm = pattern(32, 161), info = pattern(6, 162)): Promise<number> {
  const key = await deriveKey(t, HKDF256, ikm);
  const op = await kdfOp(t, HKDF256);
  await input(t, op, KdfStep.SALT, salt);
  await inputKey(t, op, KdfStep.SECRET, key);
  await input(t, op, KdfStep.INFO, info);
  return op;
}

type OrderCase = [name: string, title: string, alg: number, steps: [number, 'bytes' | 'key'][], badStep: number];

const ORDER_CASES: OrderCase[] = [
  ['hkdf-salt-after-secret', 'HKDF salt after the secret', HKDF256, [[KdfStep.SECRET, 'key']], KdfStep.SALT],
  ['hkdf-secret-twice', 'HKDF secret given twice', HKDF256, [[KdfStep.SECRET, 'key']], KdfStep.SECRET],
  ['hkdf-info-twice', 'HKDF info given twice', HKDF256, [[KdfStep.INFO, 'bytes']], KdfStep.INFO],
  ['tls12-prf-secret-before-seed', 'TLS 1.2 PRF secret before the seed', C.tls12Prf(Alg.SHA_256), [], KdfStep.SECRET],
  ['tls12-prf-label-before-secret', 'TLS 1.2 PRF label before the secret', C.tls12Prf(Alg.SHA_256), [[KdfStep.SEED, 'bytes']], KdfStep.LABEL],
  ['hkdf-expand-info-before-secret', 'HKDF-Expand info before the secret', C.hkdfExpand(Alg.SHA_256), [], KdfStep.INFO],
  ['hkdf-extract-secret-before-salt', 'HKDF-Extract secret before the salt', C.hkdfExtract(Alg.SHA_256), [], KdfStep.SECRET],
];

export default [
  ...HKDF_RFC5869.map((v) =>
    check({
      id: `psa-crypto.kdf.hkdf-kat-${v.name}`,
      title: `PSA_ALG_HKDF(PSA_ALG_SHA_256) matches RFC 5869 ${v.name.replace('tc', 'test case ')}`,
      spec: SPEC,
      clause: '10.6.1 PSA_ALG_HKDF',
      level: 'MUST',
      requirement: `PSA_ALG_HKDF is HKDF of RFC 5869 with SALT (optional, empty if omitted), SECRET (the IKM) and INFO: the first ${v.okm.length} output bytes are the OKM of RFC 5869 Appendix A ${v.name}.`,
      services: ['crypto'],
      capabilities: [...HKDF_CAPS, DERIVE],
      run: async (t) => {
        const key = await deriveKey(t, HKDF256, v.ikm);
        const op = await kdfOp(t, HKDF256);
        if (v.salt.length) await input(t, op, KdfStep.SALT, v.salt);
        await inputKey(t, op, KdfStep.SECRET, key);
        await input(t, op, KdfStep.INFO, v.info);
        t.expectBytes(await output(t, op, v.okm.length), v.okm, 'OKM');
      },
    }),
  ),
  check({
    id: 'psa-crypto.kdf.hkdf-extract-kat',
    title: 'PSA_ALG_HKDF_EXTRACT gives the RFC 5869 PRK',
    spec: SPEC,
    clause: '10.6.1 PSA_ALG_HKDF_EXTRACT',
    level: 'MUST',
    requirement: 'PSA_ALG_HKDF_EXTRACT is the Extract step of HKDF (RFC 5869 §2.2), SALT then SECRET, both mandatory: the output of test case 1 is its PRK, and the capacity is the hash length.',
    services: ['crypto'],
    capabilities: [algCap(C.hkdfExtract(Alg.SHA_256)), DERIVE],
    run: async (t) => {
      const v = HKDF_RFC5869[0]!;
      const alg = C.hkdfExtract(Alg.SHA_256);
      const key = await deriveKey(t, alg, v.ikm);
      const op = await kdfOp(t, alg);
      await input(t, op, KdfStep.SALT, v.salt);
      await inputKey(t, op, KdfStep.SECRET, key);
      t.expectBytes(await output(t, op, 32), v.prk, 'PRK');
      const more = await client(t).kdfOutputBytes(op, 1);
      expectPsa(t, more.status, PSA.ERROR_INSUFFICIENT_DATA, 'psa_key_derivation_output_bytes beyond the 32-byte PRK');
    },
  }),
  check({
    id: 'psa-crypto.kdf.hkdf-expand-kat',
    title: 'PSA_ALG_HKDF_EXPAND from the RFC 5869 PRK gives the OKM',
    spec: SPEC,
    clause: '10.6.1 PSA_ALG_HKDF_EXPAND',
    level: 'MUST',
    requirement: 'PSA_ALG_HKDF_EXPAND is the Expand step of HKDF (RFC 5869 §2.3), SECRET (the PRK) then INFO: from test case 1 PRK and info it gives the test case 1 OKM.',
    services: ['crypto'],
    capabilities: [algCap(C.hkdfExpand(Alg.SHA_256)), DERIVE],
    run: async (t) => {
      const v = HKDF_RFC5869[0]!;
      const alg = C.hkdfExpand(Alg.SHA_256);
      const key = await deriveKey(t, alg, v.prk);
      const op = await kdfOp(t, alg);
      await inputKey(t, op, KdfStep.SECRET, key);
      await input(t, op, KdfStep.INFO, v.info);
      t.expectBytes(await output(t, op, v.okm.length), v.okm, 'OKM');
    },
  }),
  ...([Alg.SHA_256, Alg.SHA_384] as const).map((h) =>
    check({
      id: `psa-crypto.kdf.tls12-prf-${h === Alg.SHA_256 ? 'sha-256' : 'sha-384'}`,
      title: `PSA_ALG_TLS12_PRF(${algName(h)}) matches the RFC 5246 PRF`,
      spec: SPEC,
      clause: '10.6.1 PSA_ALG_TLS12_PRF',
      level: 'MUST',
      requirement: 'PSA_ALG_TLS12_PRF is the TLS 1.2 PRF of RFC 5246 §5 (P_hash over HMAC), inputs SEED, SECRET, LABEL in that order: 100 bytes of "key expansion" output equal P_hash(secret, label + seed) computed with node:crypto HMAC.',
      services: ['crypto'],
      capabilities: [algCap(C.tls12Prf(h)), algCap(h), DERIVE],
      run: async (t) => {
        const alg = C.tls12Prf(h);
        const secret = pattern(48, 163);
        const seed = pattern(64, 164);
        const label = utf8('key expansion');
        const key = await deriveKey(t, alg, secret);
        const op = await kdfOp(t, alg);
        await input(t, op, KdfStep.SEED, seed);
        await inputKey(t, op, KdfStep.SECRET, key);
        await input(t, op, KdfStep.LABEL, label);
        t.expectBytes(await output(t, op, 100), O.tls12Prf(h, secret, label, seed, 100), 'PRF output');
      },
    }),
  ),
  ...([false, true] as const).map((withOther) =>
    check({
      id: `psa-crypto.kdf.tls12-psk-to-ms-${withOther ? 'other-secret' : 'plain'}`,
      title: `PSA_ALG_TLS12_PSK_TO_MS ${withOther ? 'with' : 'without'} an other secret matches RFC 4279`,
      spec: SPEC,
      clause: '10.6.1 PSA_ALG_TLS12_PSK_TO_MS',
      level: 'MUST',
      requirement: withOther
        ? 'With PSA_KEY_DERIVATION_INPUT_OTHER_SECRET given, the premaster secret is other_secret || PSK framed as RFC 4279 §2 describes, and the master secret is the TLS 1.2 PRF of it.'
        : 'PSA_KEY_DERIVATION_INPUT_OTHER_SECRET is optional; if omitted it defaults to a string of null bytes with the same length as the PSK: the 48-byte master secret equals PRF(premaster, "master secret", seed) of RFC 4279 §2.',
      services: ['crypto'],
      capabilities: [algCap(C.tls12PskToMs(Alg.SHA_256)), DERIVE],
      run: async (t) => {
        const alg = C.tls12PskToMs(Alg.SHA_256);
        const psk = pattern(32, 165);
        const other = pattern(32, 166);
        const seed = pattern(64, 167);
        const label = utf8('master secret');
        const key = await deriveKey(t, alg, psk);
        const op = await kdfOp(t, alg);
        await input(t, op, KdfStep.SEED, seed);
        if (withOther) await input(t, op, KdfStep.OTHER_SECRET, other);
        await inputKey(t, op, KdfStep.SECRET, key);
        await input(t, op, KdfStep.LABEL, label);
        const pms = O.pskPremaster(psk, withOther ? other : undefined);
        t.expectBytes(await output(t, op, 48), O.tls12Prf(Alg.SHA_256, pms, label, seed, 48), 'master secret');
      },
    }),
  ),
  ...PBKDF2_VECTORS.map((v) =>
    check({
      id: `psa-crypto.kdf.pbkdf2-kat-${v.name}`,
      title: `PSA_ALG_PBKDF2_HMAC(${algName(v.hash)}) matches ${v.source}`,
      spec: SPEC,
      clause: '10.6.1 PSA_ALG_PBKDF2_HMAC',
      level: 'MUST',
      requirement: `PSA_ALG_PBKDF2_HMAC is PBKDF2 of RFC 8018 §5.2 with HMAC as PRF, inputs COST (psa_key_derivation_input_integer), SALT, PASSWORD: the output is the DK of ${v.source}.`,
      services: ['crypto'],
      capabilities: [algCap(C.pbkdf2Hmac(v.hash)), algCap(v.hash), INPUT_INTEGER_CAP],
      run: async (t) => {
        const alg = C.pbkdf2Hmac(v.hash);
        const op = await kdfOp(t, alg);
        const s = await client(t).kdfInputInteger(op, KdfStep.COST, BigInt(v.iterations));
        supported(t, s, INPUT_INTEGER_CAP, 'psa_key_derivation_input_integer (fwsec extension opcode 0x04f0)');
        expectPsa(t, s, PSA.SUCCESS, `psa_key_derivation_input_integer(COST, ${v.iterations})`);
        await input(t, op, KdfStep.SALT, v.salt);
        await input(t, op, KdfStep.PASSWORD, v.password);
        t.expectBytes(await output(t, op, v.dk.length), v.dk, 'derived key');
      },
    }),
  ),
  check({
    id: 'psa-crypto.kdf.pbkdf2-salt-concatenated',
    title: 'PBKDF2 salt given in several inputs is concatenated',
    spec: SPEC,
    clause: '10.6.1 PSA_ALG_PBKDF2_HMAC',
    level: 'MUST',
    requirement: 'PSA_KEY_DERIVATION_INPUT_SALT must be used one or more times; if used several times, the inputs are concatenated: "sa" then "lt" gives the same output as "salt".',
    services: ['crypto'],
    capabilities: [algCap(C.pbkdf2Hmac(Alg.SHA_256)), INPUT_INTEGER_CAP],
    run: async (t) => {
      const alg = C.pbkdf2Hmac(Alg.SHA_256);
      const op = await kdfOp(t, alg);
      const s = await client(t).kdfInputInteger(op, KdfStep.COST, 3n);
      supported(t, s, INPUT_INTEGER_CAP, 'psa_key_derivation_input_integer');
      expectPsa(t, s, PSA.SUCCESS, 'psa_key_derivation_input_integer(COST, 3)');
      await input(t, op, KdfStep.SALT, utf8('sa'));
      await input(t, op, KdfStep.SALT, utf8('lt'));
      await input(t, op, KdfStep.PASSWORD, utf8('passwd'));
      t.expectBytes(await output(t, op, 32), O.pbkdf2(Alg.SHA_256, utf8('passwd'), utf8('salt'), 3, 32), 'derived key (node:crypto)');
    },
  }),
  check({
    id: 'psa-crypto.kdf.pbkdf2-cost-as-bytes',
    title: 'the PBKDF2 cost cannot be passed as bytes',
    spec: SPEC,
    clause: '10.6.2 PSA_KEY_DERIVATION_INPUT_COST',
    level: 'MUST',
    requirement: 'PSA_KEY_DERIVATION_INPUT_COST must be a direct input passed to psa_key_derivation_input_integer(): psa_key_derivation_input_bytes with that step returns PSA_ERROR_INVALID_ARGUMENT (step does not permit direct inputs).',
    services: ['crypto'],
    capabilities: [algCap(C.pbkdf2Hmac(Alg.SHA_256))],
    run: async (t) => {
      const op = await kdfOp(t, C.pbkdf2Hmac(Alg.SHA_256));
      expectPsa(t, await client(t).kdfInputBytes(op, KdfStep.COST, Uint8Array.of(0, 0, 0, 0, 0, 0, 0x10, 0)), [PSA.ERROR_INVALID_ARGUMENT, PSA.ERROR_NOT_SUPPORTED], 'psa_key_derivation_input_bytes(COST)');
    },
  }),
  check({
    id: 'psa-crypto.kdf.output-in-pieces',
    title: 'successive outputs continue the same stream',
    spec: SPEC,
    clause: '10.6.3 psa_key_derivation_output_bytes',
    level: 'MUST',
    requirement: 'Successive calls to psa_key_derivation_output_bytes use successive output bytes calculated by the key derivation algorithm: 7 + 0 + 35 bytes equal the 42 bytes of one call (RFC 5869 test case 1).',
    services: ['crypto'],
    capabilities: [...HKDF_CAPS, DERIVE],
    run: async (t) => {
      const v = HKDF_RFC5869[0]!;
      const op = await hkdfReady(t, v.salt, v.ikm, v.info);
      const parts = [await output(t, op, 7), await output(t, op, 0), await output(t, op, 35)];
      t.expectBytes(concat(...parts), v.okm, 'concatenated outputs');
    },
  }),
  check({
    id: 'psa-crypto.kdf.capacity-decreases',
    title: 'reading N bytes reduces the capacity by N',
    spec: SPEC,
    clause: '10.6.3 psa_key_derivation_get_capacity',
    level: 'MUST',
    requirement: 'Reading N bytes of output from a key derivation operation reduces its capacity by at least N (exactly N for output_bytes): psa_key_derivation_get_capacity before and after reading 40 bytes differ by 40.',
    services: ['crypto'],
    capabilities: [...HKDF_CAPS, DERIVE],
    run: async (t) => {
      const op = await hkdfReady(t);
      const c = client(t);
      const a = await c.kdfGetCapacity(op);
      expectPsa(t, a.status, PSA.SUCCESS, 'psa_key_derivation_get_capacity');
      await output(t, op, 40);
      const b = await c.kdfGetCapacity(op);
      expectPsa(t, b.status, PSA.SUCCESS, 'psa_key_derivation_get_capacity after output');
      t.expectEqual(a.value! - b.value!, 40, 'capacity consumed by 40 output bytes');
    },
  }),
  check({
    id: 'psa-crypto.kdf.set-capacity-larger',
    title: 'psa_key_derivation_set_capacity cannot raise the capacity',
    spec: SPEC,
    clause: '10.6.3 psa_key_derivation_set_capacity',
    level: 'MUST',
    requirement: 'psa_key_derivation_set_capacity returns PSA_ERROR_INVALID_ARGUMENT when capacity is larger than the current capacity; the operation object remains valid and its capacity remains unchanged.',
    services: ['crypto'],
    capabilities: [...HKDF_CAPS, DERIVE],
    run: async (t) => {
      const op = await hkdfReady(t);
      const c = client(t);
      expectPsa(t, await c.kdfSetCapacity(op, 50), PSA.SUCCESS, 'psa_key_derivation_set_capacity(50)');
      expectPsa(t, await c.kdfSetCapacity(op, 51), PSA.ERROR_INVALID_ARGUMENT, 'psa_key_derivation_set_capacity(51)');
      const g = await c.kdfGetCapacity(op);
      expectPsa(t, g.status, PSA.SUCCESS, 'psa_key_derivation_get_capacity (the operation remains valid)');
      t.expectEqual(g.value!, 50, 'capacity after the refused raise');
      await output(t, op, 50);
    },
  }),
  check({
    id: 'psa-crypto.kdf.insufficient-data',
    title: 'reading past the capacity fails with INSUFFICIENT_DATA and empties it',
    spec: SPEC,
    clause: '10.6.3 psa_key_derivation_output_bytes',
    level: 'MUST',
    requirement: 'A request to extract more data than the remaining capacity fails with PSA_ERROR_INSUFFICIENT_DATA and sets the remaining capacity to zero; that error does not put the operation in an error state (get_capacity still answers).',
    services: ['crypto'],
    capabilities: [...HKDF_CAPS, DERIVE],
    run: async (t) => {
      const op = await hkdfReady(t);
      const c = client(t);
      expectPsa(t, await c.kdfSetCapacity(op, 20), PSA.SUCCESS, 'psa_key_derivation_set_capacity(20)');
      await output(t, op, 5);
      expectPsa(t, (await c.kdfOutputBytes(op, 16)).status, PSA.ERROR_INSUFFICIENT_DATA, 'psa_key_derivation_output_bytes(16) with 15 left');
      const g = await c.kdfGetCapacity(op);
      expectPsa(t, g.status, PSA.SUCCESS, 'psa_key_derivation_get_capacity after INSUFFICIENT_DATA');
      t.expectEqual(g.value!, 0, 'capacity after the failed read');
    },
  }),
  check({
    id: 'psa-crypto.kdf.hkdf-output-limit',
    title: 'HKDF-SHA-256 produces at most 255 × 32 bytes',
    spec: SPEC,
    clause: '10.6.1 PSA_ALG_HKDF',
    level: 'MUST',
    requirement:
      'PSA_ALG_HKDF is HKDF as specified by RFC 5869, whose output length L is at most 255 × HashLen (§2.3, the block counter is one octet): the capacity of a fresh HKDF-SHA-256 operation is at most 8160 bytes, those 8160 bytes can be read, and one byte more fails with PSA_ERROR_INSUFFICIENT_DATA.',
    services: ['crypto'],
    capabilities: [...HKDF_CAPS, DERIVE],
    run: async (t) => {
      const [salt, ikm, info] = [pattern(8, 171), pattern(32, 172), pattern(6, 173)];
      const op = await hkdfReady(t, salt, ikm, info);
      const c = client(t);
      const g = await c.kdfGetCapacity(op);
      expectPsa(t, g.status, PSA.SUCCESS, 'psa_key_derivation_get_capacity');
      t.assert(g.value! <= 255 * 32, `the capacity of a fresh HKDF-SHA-256 operation is ${g.value}, more than 255 × 32 = 8160`);
      const okm = concat(await output(t, op, 4096), await output(t, op, 255 * 32 - 4096));
      // the last block is T(255), whose counter octet is 0xff: node:crypto computes the same 8160 bytes
      t.expectBytes(okm, O.hkdf(Alg.SHA_256, ikm, salt, info, 255 * 32), 'the 8160-byte OKM (node:crypto HKDF)');
      expectPsa(t, (await c.kdfOutputBytes(op, 1)).status, PSA.ERROR_INSUFFICIENT_DATA, 'psa_key_derivation_output_bytes(1) after 8160 bytes');
    },
  }),
  check({
    id: 'psa-crypto.kdf.output-before-secret',
    title: 'output before the secret returns BAD_STATE',
    spec: SPEC,
    clause: '10.6.3 psa_key_derivation_output_bytes',
    level: 'MUST',
    requirement: 'psa_key_derivation_output_bytes returns PSA_ERROR_BAD_STATE unless the operation is active with all required input steps complete: with only the HKDF salt given.',
    services: ['crypto'],
    capabilities: HKDF_CAPS,
    run: async (t) => {
      const op = await kdfOp(t, HKDF256);
      await input(t, op, KdfStep.SALT, pattern(8));
      expectPsa(t, (await client(t).kdfOutputBytes(op, 16)).status, PSA.ERROR_BAD_STATE, 'psa_key_derivation_output_bytes before the secret');
    },
  }),
  check({
    id: 'psa-crypto.kdf.hkdf-output-before-info',
    title: 'HKDF output before the info returns BAD_STATE',
    spec: SPEC,
    clause: '10.6.1 PSA_ALG_HKDF',
    level: 'SHOULD',
    requirement: 'HKDF takes SALT (optional), SECRET and INFO (not marked optional, given at any time before output): output with salt and secret but no info should return PSA_ERROR_BAD_STATE (all required inputs not complete).',
    services: ['crypto'],
    capabilities: [...HKDF_CAPS, DERIVE],
    run: async (t) => {
      const key = await deriveKey(t, HKDF256, pattern(32, 168));
      const op = await kdfOp(t, HKDF256);
      await inputKey(t, op, KdfStep.SECRET, key);
      expectPsa(t, (await client(t).kdfOutputBytes(op, 16)).status, PSA.ERROR_BAD_STATE, 'psa_key_derivation_output_bytes without INFO');
    },
  }),
  check({
    id: 'psa-crypto.kdf.input-after-output',
    title: 'inputs after output returns BAD_STATE',
    spec: SPEC,
    clause: '10.6.3 psa_key_derivation_input_bytes',
    level: 'MUST',
    requirement: 'The operation passed to psa_key_derivation_input_bytes must not have produced any output yet: after output, another input returns PSA_ERROR_BAD_STATE.',
    services: ['crypto'],
    capabilities: [...HKDF_CAPS, DERIVE],
    run: async (t) => {
      const op = await hkdfReady(t, pattern(8, 169), pattern(32, 170), new Uint8Array(0));
      await output(t, op, 8);
      expectPsa(t, await client(t).kdfInputBytes(op, KdfStep.SALT, pattern(4)), PSA.ERROR_BAD_STATE, 'psa_key_derivation_input_bytes(SALT) after output');
    },
  }),
  ...ORDER_CASES.map(([name, title, alg, steps, bad]) =>
    check({
      id: `psa-crypto.kdf.${name}`,
      title: `${title} returns BAD_STATE`,
      spec: SPEC,
      clause: '10.6.3 psa_key_derivation_input_bytes',
      level: 'MUST',
      requirement: `psa_key_derivation_input_bytes/input_key return PSA_ERROR_BAD_STATE when the application provides a step out of order or repeats a step that may not be repeated (${algName(alg)}: ${title}).`,
      services: ['crypto'],
      capabilities: [algCap(alg), DERIVE],
      run: async (t) => {
        const key = await deriveKey(t, alg, pattern(32, 171));
        const op = await kdfOp(t, alg);
        for (const [step, kind] of steps) {
          if (kind === 'key') await inputKey(t, op, step, key);
          else await input(t, op, step, pattern(8, 172));
        }
        const s = bad === KdfStep.SECRET ? await client(t).kdfInputKey(op, bad, key) : await client(t).kdfInputBytes(op, bad, pattern(8, 173));
        expectPsa(t, s, PSA.ERROR_BAD_STATE, `${stepName(bad)} ${title.includes('twice') ? 'again' : 'out of order'}`);
      },
    }),
  ),
  check({
    id: 'psa-crypto.kdf.step-not-for-algorithm',
    title: 'an input step the algorithm does not take is refused',
    spec: SPEC,
    clause: '10.6.3 psa_key_derivation_input_bytes',
    level: 'MUST',
    requirement: 'psa_key_derivation_input_bytes returns PSA_ERROR_INVALID_ARGUMENT (step is not compatible with the operation\'s algorithm) or PSA_ERROR_NOT_SUPPORTED for PSA_KEY_DERIVATION_INPUT_SEED and LABEL with HKDF.',
    services: ['crypto'],
    capabilities: HKDF_CAPS,
    run: async (t) => {
      for (const step of [KdfStep.SEED, KdfStep.LABEL]) {
        const op = await kdfOp(t, HKDF256);
        expectPsa(t, await client(t).kdfInputBytes(op, step, pattern(8)), INVALID_OR_UNSUPPORTED, `psa_key_derivation_input_bytes(${stepName(step)}) with HKDF`);
        await client(t).kdfAbort(op);
      }
    },
  }),
  check({
    id: 'psa-crypto.kdf.setup-not-a-kdf',
    title: 'psa_key_derivation_setup refuses algorithms that are not key derivations',
    spec: SPEC,
    clause: '10.6.3 psa_key_derivation_setup',
    level: 'MUST',
    requirement: 'psa_key_derivation_setup returns PSA_ERROR_INVALID_ARGUMENT (alg is neither a key derivation algorithm, nor a key agreement and derivation algorithm) or PSA_ERROR_NOT_SUPPORTED for PSA_ALG_HMAC(PSA_ALG_SHA_256), PSA_ALG_SHA_256 and the standalone PSA_ALG_ECDH.',
    services: ['crypto'],
    run: async (t) => {
      for (const alg of [C.hmac(Alg.SHA_256), Alg.SHA_256, Alg.ECDH]) {
        const r = await client(t).kdfSetup(alg);
        if (r.status === PSA.SUCCESS) t.defer(() => client(t).kdfAbort(r.value!));
        expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, `psa_key_derivation_setup(${algName(alg)})`);
      }
    },
  }),
  check({
    id: 'psa-crypto.kdf.input-key-wrong-type',
    title: 'an AES key is not a derivation secret',
    spec: SPEC,
    clause: '10.6.3 psa_key_derivation_input_key',
    level: 'MUST',
    requirement: 'psa_key_derivation_input_key returns PSA_ERROR_INVALID_ARGUMENT (step does not permit key inputs of the given type) or PSA_ERROR_NOT_SUPPORTED when an AES key is given as the HKDF secret, even with DERIVE usage and an HKDF policy.',
    services: ['crypto'],
    capabilities: [...HKDF_CAPS, keyCap(KeyType.AES)],
    run: async (t) => {
      const key = await importKey(t, { type: KeyType.AES, usage: Usage.DERIVE, alg: HKDF256 }, pattern(16, 174), keyCap(KeyType.AES));
      const op = await kdfOp(t, HKDF256);
      expectPsa(t, await client(t).kdfInputKey(op, KdfStep.SECRET, key), INVALID_OR_UNSUPPORTED, 'psa_key_derivation_input_key(SECRET) with an AES key');
    },
  }),
  check({
    id: 'psa-crypto.kdf.output-key-needs-key-secret',
    title: 'output_key is refused when the secret was given as bytes',
    spec: SPEC,
    clause: '10.6.3 psa_key_derivation_output_key',
    level: 'MUST',
    requirement: 'If the secret is a direct input (psa_key_derivation_input_bytes), the operation cannot be used to derive keys: psa_key_derivation_output_key returns PSA_ERROR_NOT_PERMITTED (the SECRET input step was neither provided through a key nor a key agreement).',
    services: ['crypto'],
    capabilities: [...HKDF_CAPS, keyCap(KeyType.AES)],
    run: async (t) => {
      const op = await kdfOp(t, HKDF256);
      await input(t, op, KdfStep.SECRET, pattern(32, 175));
      await input(t, op, KdfStep.INFO, pattern(4));
      const r = await client(t).kdfOutputKey(op, { type: KeyType.AES, bits: 128, usage: Usage.EXPORT, alg: Alg.CTR });
      cleanupIfCreated(t, r.status, r.value);
      expectPsa(t, r.status, PSA.ERROR_NOT_PERMITTED, 'psa_key_derivation_output_key after input_bytes(SECRET)');
    },
  }),
  check({
    id: 'psa-crypto.kdf.output-key-symmetric',
    title: 'a derived AES key holds the next key_bits/8 output bytes',
    spec: SPEC,
    clause: '10.6.3 psa_key_derivation_output_key',
    level: 'MUST',
    requirement: 'For AES, HMAC, DERIVE and raw key types, psa_key_derivation_output_key is equivalent to output_bytes followed by psa_import_key and consumes exactly key_bits/8 bytes: the exported derived AES-256 key equals bytes 0..31 of HKDF, and the next output is bytes 32.. of the stream.',
    services: ['crypto'],
    capabilities: [...HKDF_CAPS, keyCap(KeyType.AES), DERIVE],
    run: async (t) => {
      const v = HKDF_RFC5869[1]!;
      const op = await hkdfReady(t, v.salt, v.ikm, v.info);
      const r = await client(t).kdfOutputKey(op, { type: KeyType.AES, bits: 256, usage: Usage.EXPORT | Usage.ENCRYPT, alg: Alg.CTR });
      cleanupIfCreated(t, r.status, r.value);
      supported(t, r.status, keyCap(KeyType.AES), 'psa_key_derivation_output_key(AES)');
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_key_derivation_output_key(AES-256)');
      const e = await client(t).exportKey(r.value!);
      expectPsa(t, e.status, PSA.SUCCESS, 'psa_export_key of the derived key');
      t.expectBytes(e.value!, v.okm.subarray(0, 32), 'derived AES key vs OKM bytes 0..31');
      t.expectBytes(await output(t, op, 20), v.okm.subarray(32, 52), 'output after the key vs OKM bytes 32..51');
    },
  }),
  check({
    id: 'psa-crypto.kdf.output-key-ecc',
    title: 'a derived P-256 key follows the spec\'s private key procedure',
    spec: SPEC,
    clause: '10.6.3 psa_key_derivation_output_key',
    level: 'MUST',
    requirement: 'For Weierstrass ECC key pairs psa_key_derivation_output_key draws ceil(m/8) bytes k, discards k > N - 2 and outputs d = k + 1 (Table 8, FIPS 186-4 B.4.2): the derived key\'s public point is (k + 1)·G for the HKDF stream bytes.',
    services: ['crypto'],
    capabilities: [...HKDF_CAPS, keyCap(C.eccKeyPair(C.EccFamily.SECP_R1), 256)],
    run: async (t) => {
      const salt = pattern(8, 176);
      const ikm = pattern(32, 177);
      const info = pattern(6, 178);
      const op = await hkdfReady(t, salt, ikm, info);
      const r = await client(t).kdfOutputKey(op, { type: C.eccKeyPair(C.EccFamily.SECP_R1), bits: 256, usage: Usage.SIGN_HASH, alg: C.ecdsa(Alg.SHA_256) });
      cleanupIfCreated(t, r.status, r.value);
      supported(t, r.status, keyCap(C.eccKeyPair(C.EccFamily.SECP_R1), 256), 'psa_key_derivation_output_key(ECC)');
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_key_derivation_output_key(ECC P-256)');
      const stream = O.hkdf(Alg.SHA_256, ikm, salt, info, 32 * 4);
      const n = O.CURVES.p256.n;
      let d = 0n;
      for (let i = 0; i < 4; i++) {
        const k = O.bytesToBig(stream.subarray(i * 32, i * 32 + 32));
        if (k <= n - 2n) {
          d = k + 1n;
          break;
        }
      }
      const pub = await client(t).exportPublicKey(r.value!);
      expectPsa(t, pub.status, PSA.SUCCESS, 'psa_export_public_key of the derived key');
      t.expectBytes(pub.value!, O.ecPublicOf(O.CURVES.p256, O.bigToBytes(d, 32)), 'public key of the derived ECC key');
    },
  }),
  check({
    id: 'psa-crypto.kdf.output-key-invalid-attributes',
    title: 'output_key refuses size 0 and public-key types',
    spec: SPEC,
    clause: '10.6.3 psa_key_derivation_output_key',
    level: 'MUST',
    requirement: 'psa_key_derivation_output_key returns PSA_ERROR_INVALID_ARGUMENT when the key type is an asymmetric public key type or the key size is not valid (implementations must reject an attempt to derive a key of size 0); PSA_ERROR_NOT_SUPPORTED is accepted too.',
    services: ['crypto'],
    capabilities: [...HKDF_CAPS, DERIVE],
    run: async (t) => {
      for (const [what, a] of [
        ['AES of 0 bits', { type: KeyType.AES, bits: 0 }],
        ['an ECC public key', { type: C.eccPublicKey(C.EccFamily.SECP_R1), bits: 256 }],
        ['AES of 100 bits', { type: KeyType.AES, bits: 100 }],
      ] as const) {
        const op = await hkdfReady(t);
        const r = await client(t).kdfOutputKey(op, { ...a, usage: Usage.EXPORT, alg: 0 });
        cleanupIfCreated(t, r.status, r.value);
        expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, `psa_key_derivation_output_key(${what})`);
        await client(t).kdfAbort(op);
      }
    },
  }),
  check({
    id: 'psa-crypto.kdf.psk-too-long',
    title: 'TLS 1.2 PSK-to-MS refuses a PSK longer than PSA_TLS12_PSK_TO_MS_PSK_MAX_SIZE',
    spec: SPEC,
    clause: '10.6.1 PSA_ALG_TLS12_PSK_TO_MS',
    level: 'MUST',
    requirement: 'The PSK must not be larger than PSA_TLS12_PSK_TO_MS_PSK_MAX_SIZE (implementation-defined): a 1000-byte PSK is either refused (PSA_ERROR_INVALID_ARGUMENT or PSA_ERROR_NOT_SUPPORTED) or accepted and then used correctly; a longer PSK must never be silently truncated.',
    services: ['crypto'],
    capabilities: [algCap(C.tls12PskToMs(Alg.SHA_256))],
    run: async (t) => {
      const alg = C.tls12PskToMs(Alg.SHA_256);
      const op = await kdfOp(t, alg);
      const seed = pattern(64, 179);
      const label = utf8('master secret');
      const psk = pattern(1000, 180);
      await input(t, op, KdfStep.SEED, seed);
      const s = await client(t).kdfInputBytes(op, KdfStep.SECRET, psk);
      if (s !== PSA.SUCCESS) return expectPsa(t, s, INVALID_OR_UNSUPPORTED, 'psa_key_derivation_input_bytes(SECRET, 1000-byte PSK)');
      await input(t, op, KdfStep.LABEL, label);
      t.expectBytes(await output(t, op, 48), O.tls12Prf(Alg.SHA_256, O.pskPremaster(psk), label, seed, 48), 'master secret from the long PSK');
    },
  }),
  check({
    id: 'psa-crypto.kdf.abort',
    title: 'after psa_key_derivation_abort the operation is inactive',
    spec: SPEC,
    clause: '10.6.3 psa_key_derivation_abort',
    level: 'MUST',
    requirement: 'psa_key_derivation_abort returns the operation to the inactive state: inputs and output then return PSA_ERROR_BAD_STATE, and a second abort returns PSA_SUCCESS.',
    services: ['crypto'],
    capabilities: [...HKDF_CAPS, DERIVE],
    run: async (t) => {
      const op = await hkdfReady(t);
      const c = client(t);
      expectPsa(t, await c.kdfAbort(op), PSA.SUCCESS, 'psa_key_derivation_abort');
      expectPsa(t, (await c.kdfOutputBytes(op, 4)).status, PSA.ERROR_BAD_STATE, 'psa_key_derivation_output_bytes after abort');
      expectPsa(t, await c.kdfInputBytes(op, KdfStep.INFO, pattern(2)), PSA.ERROR_BAD_STATE, 'psa_key_derivation_input_bytes after abort');
      expectPsa(t, await c.kdfAbort(op), PSA.SUCCESS, 'psa_key_derivation_abort again');
    },
  }),
] satisfies CheckDef[];
