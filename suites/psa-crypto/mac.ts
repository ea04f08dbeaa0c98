// 10.3 Message authentication codes (MAC): psa_mac_compute/verify (composed
// of the multi-part calls), psa_mac_sign_setup/verify_setup/update/
// sign_finish/verify_finish/abort, truncated MACs.
import fc from 'fast-check';
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { algName } from '../../protocol/psa/crypto/names.js';
import { check, checkProp } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import { algCap, keyCap } from './caps.js';
import { Alg, INVALID_OR_UNSUPPORTED, KeyType, SPEC, Usage, client, expectPsa, flipBit, importKey, pattern, supported } from './common.js';
import * as O from './oracle.js';
import { CMAC_SP800_38B, HMAC_RFC4231, SP800_38A_PLAINTEXT } from './vectors.js';

const HMAC256 = C.hmac(Alg.SHA_256);
const HMAC_CAPS = [algCap(HMAC256), algCap(Alg.SHA_256), keyCap(KeyType.HMAC)];
const CMAC_CAPS = [algCap(Alg.CMAC), keyCap(KeyType.AES)];
const SIGN_VERIFY = Usage.SIGN_MESSAGE | Usage.VERIFY_MESSAGE;

export async function hmacKey(t: CheckContext, alg = HMAC256, key = pattern(32, 11), usage = SIGN_VERIFY): Promise<number> {
  return importKey(t, { type: KeyType.HMAC, usage, alg }, key, keyCap(KeyType.HMAC));
}

export async function macOp(t: CheckContext, key: number, alg: number, sign: boolean): Promise<number> {
  const r = await client(t).macSetup(key, alg, sign);
  const fn = sign ? 'psa_mac_sign_setup' : 'psa_mac_verify_setup';
  supported(t, r.status, algCap(alg), `${fn}(${algName(alg)})`);
  expectPsa(t, r.status, PSA.SUCCESS, `${fn}(${algName(alg)})`);
  t.defer(() => client(t).macAbort(r.value!));
  return r.value!;
}

const MAC_HASHES = [Alg.SHA_1, Alg.SHA_224, Alg.SHA_256, Alg.SHA_384, Alg.SHA_512, Alg.SHA3_256];

export default [
  ...HMAC_RFC4231.map((v) => {
    const alg = v.truncate ? C.truncatedMac(C.hmac(v.hash), v.truncate) : C.hmac(v.hash);
    return check({
      id: `psa-crypto.mac.kat-hmac-${v.name}`,
      title: `psa_mac_compute(${algName(alg)}) matches RFC 4231 ${v.name.replace(/^sha-\d+-/, '')}`,
      spec: SPEC,
      clause: v.truncate ? '10.3.1 PSA_ALG_TRUNCATED_MAC' : '10.3.2 psa_mac_compute',
      level: 'MUST',
      requirement: v.truncate
        ? 'The MAC value of a truncated MAC algorithm consists of only the first mac_length bytes of the MAC of the untruncated algorithm (RFC 4231 test case 5: HMAC-SHA-256 truncated to 128 bits).'
        : `PSA_ALG_HMAC(hash) is HMAC as defined in RFC 2104; psa_mac_compute returns the RFC 4231 value for ${algName(alg)}${v.key.length > 64 ? ', with a key longer than the block size, which is hashed first' : ''}.`,
      services: ['crypto'],
      capabilities: [algCap(alg), algCap(v.hash), keyCap(KeyType.HMAC)],
      run: async (t) => {
        const key = await hmacKey(t, alg, v.key);
        const r = await client(t).macCompute(key, alg, v.data);
        supported(t, r.status, [algCap(alg), algCap(v.hash)], `${r.step}(${algName(alg)})`);
        expectPsa(t, r.status, PSA.SUCCESS, `psa_mac_compute(${algName(alg)}) at ${r.step}`);
        t.expectBytes(r.value!, v.mac, `${algName(alg)} of the RFC 4231 data`);
      },
    });
  }),
  ...CMAC_SP800_38B.map((v) =>
    check({
      id: `psa-crypto.mac.kat-cmac-${v.name}`,
      title: `psa_mac_compute(PSA_ALG_CMAC) matches ${v.source}`,
      spec: SPEC,
      clause: '10.3.1 PSA_ALG_CMAC',
      level: 'MUST',
      requirement: `PSA_ALG_CMAC with an AES key is AES-CMAC as defined in SP 800-38B: the MAC of the first ${v.length} bytes of the SP 800-38A plaintext is the value of ${v.source}.`,
      services: ['crypto'],
      capabilities: CMAC_CAPS,
      run: async (t) => {
        const key = await importKey(t, { type: KeyType.AES, usage: SIGN_VERIFY, alg: Alg.CMAC }, v.key, keyCap(KeyType.AES));
        const r = await client(t).macCompute(key, Alg.CMAC, SP800_38A_PLAINTEXT.subarray(0, v.length));
        supported(t, r.status, algCap(Alg.CMAC), `${r.step}(PSA_ALG_CMAC)`);
        expectPsa(t, r.status, PSA.SUCCESS, `psa_mac_compute(PSA_ALG_CMAC) at ${r.step}`);
        t.expectBytes(r.value!, v.mac, `AES-CMAC (${v.name})`);
      },
    }),
  ),
  checkProp({
    id: 'psa-crypto.mac.hmac-differential',
    title: 'HMAC over generated keys, hashes and messages matches node:crypto',
    spec: SPEC,
    clause: '10.3.1 PSA_ALG_HMAC',
    level: 'MUST',
    requirement: 'For any HMAC key (1..200 bytes), supported hash and message (0..300 bytes, fed in two fragments), psa_mac_sign_finish returns RFC 2104 HMAC, as node:crypto computes it.',
    services: ['crypto'],
    capabilities: [algCap(HMAC256), keyCap(KeyType.HMAC)],
    numRuns: 30,
    arbitrary: () =>
      fc.record({
        hash: fc.constantFrom(...MAC_HASHES),
        key: fc.uint8Array({ minLength: 1, maxLength: 200 }),
        msg: fc.uint8Array({ maxLength: 300 }),
        cut: fc.nat({ max: 300 }),
      }),
    predicate: async (t, { hash, key, msg, cut }) => {
      const alg = C.hmac(hash);
      const c = client(t);
      const k = await c.importKey({ type: KeyType.HMAC, usage: SIGN_VERIFY, alg }, key);
      supported(t, k.status, keyCap(KeyType.HMAC), 'psa_import_key(HMAC)');
      expectPsa(t, k.status, PSA.SUCCESS, `psa_import_key(HMAC, ${key.length} bytes)`);
      try {
        const op = await c.macSetup(k.value!, alg, true);
        if (op.status === PSA.ERROR_NOT_SUPPORTED && t.cap(algCap(hash)) !== true) return;
        expectPsa(t, op.status, PSA.SUCCESS, `psa_mac_sign_setup(${algName(alg)})`);
        const at = Math.min(cut, msg.length);
        expectPsa(t, await c.macUpdate(op.value!, msg.subarray(0, at)), PSA.SUCCESS, 'psa_mac_update #1');
        expectPsa(t, await c.macUpdate(op.value!, msg.subarray(at)), PSA.SUCCESS, 'psa_mac_update #2');
        const f = await c.macSignFinish(op.value!);
        expectPsa(t, f.status, PSA.SUCCESS, 'psa_mac_sign_finish');
        t.expectBytes(f.value!, O.hmac(hash, key, msg), `${algName(alg)} (node:crypto)`);
      } finally {
        await c.destroyKey(k.value!);
      }
    },
  }),
  checkProp({
    id: 'psa-crypto.mac.cmac-differential',
    title: 'AES-CMAC over generated keys and messages matches an SP 800-38B oracle',
    spec: SPEC,
    clause: '10.3.1 PSA_ALG_CMAC',
    level: 'MUST',
    requirement: 'For any AES key (128/192/256 bits) and message (0..100 bytes), psa_mac_compute(PSA_ALG_CMAC) returns SP 800-38B CMAC (oracle over node:crypto AES-ECB).',
    services: ['crypto'],
    capabilities: CMAC_CAPS,
    numRuns: 25,
    arbitrary: () => fc.record({ key: fc.constantFrom(16, 24, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })), msg: fc.uint8Array({ maxLength: 100 }) }),
    predicate: async (t, { key, msg }) => {
      const c = client(t);
      const k = await c.importKey({ type: KeyType.AES, usage: SIGN_VERIFY, alg: Alg.CMAC }, key);
      supported(t, k.status, keyCap(KeyType.AES), 'psa_import_key(AES)');
      expectPsa(t, k.status, PSA.SUCCESS, `psa_import_key(AES-${key.length * 8})`);
      try {
        const r = await c.macCompute(k.value!, Alg.CMAC, msg);
        supported(t, r.status, algCap(Alg.CMAC), r.step);
        expectPsa(t, r.status, PSA.SUCCESS, `psa_mac_compute(CMAC) at ${r.step}`);
        t.expectBytes(r.value!, O.cmac(key, msg), 'AES-CMAC (oracle)');
      } finally {
        await c.destroyKey(k.value!);
      }
    },
  }),
  ...(
    [
      ['hmac', HMAC256, HMAC_CAPS],
      ['cmac', Alg.CMAC, CMAC_CAPS],
    ] as const
  ).flatMap(([name, alg, caps]) => {
    const key = async (t: CheckContext) =>
      name === 'hmac' ? hmacKey(t) : importKey(t, { type: KeyType.AES, usage: SIGN_VERIFY, alg }, pattern(16, 12), keyCap(KeyType.AES));
    return [
      check({
        id: `psa-crypto.mac.verify-${name}`,
        title: `psa_mac_verify accepts the correct ${algName(alg)}`,
        spec: SPEC,
        clause: '10.3.3 psa_mac_verify_finish',
        level: 'MUST',
        requirement: 'psa_mac_verify_finish returns PSA_SUCCESS when the expected MAC is identical to the actual MAC of the message (the MAC psa_mac_sign_finish returned for the same key and message).',
        services: ['crypto'],
        capabilities: [...caps],
        run: async (t) => {
          const k = await key(t);
          const msg = pattern(77, 4);
          const s = await client(t).macCompute(k, alg, msg);
          supported(t, s.status, caps, s.step);
          expectPsa(t, s.status, PSA.SUCCESS, `psa_mac_compute at ${s.step}`);
          const v = await client(t).macVerify(k, alg, msg, s.value!);
          expectPsa(t, v.status, PSA.SUCCESS, `psa_mac_verify at ${v.step}`);
        },
      }),
      checkProp({
        id: `psa-crypto.mac.verify-${name}-altered`,
        title: `psa_mac_verify rejects a ${algName(alg)} with any one bit flipped`,
        spec: SPEC,
        clause: '10.3.3 psa_mac_verify_finish',
        level: 'MUST',
        requirement: 'psa_mac_verify_finish returns PSA_ERROR_INVALID_SIGNATURE when the calculated MAC does not match the value in mac: for every single-bit change of a correct MAC.',
        services: ['crypto'],
        capabilities: [...caps],
        numRuns: 20,
        arbitrary: () => fc.nat({ max: 127 }),
        predicate: async (t, bit) => {
          const k = await key(t);
          const msg = pattern(20, 5);
          const s = await client(t).macCompute(k, alg, msg);
          supported(t, s.status, caps, s.step);
          expectPsa(t, s.status, PSA.SUCCESS, `psa_mac_compute at ${s.step}`);
          const v = await client(t).macVerify(k, alg, msg, flipBit(s.value!, bit));
          expectPsa(t, v.status, PSA.ERROR_INVALID_SIGNATURE, `psa_mac_verify with bit ${bit} flipped (at ${v.step})`);
        },
      }),
      check({
        id: `psa-crypto.mac.verify-${name}-short`,
        title: `psa_mac_verify rejects a truncated or empty ${algName(alg)}`,
        spec: SPEC,
        clause: '10.3.3 psa_mac_verify_finish',
        level: 'MUST',
        requirement: 'A MAC that is a prefix of the correct MAC (one byte short, 4 bytes, empty) does not match: psa_mac_verify_finish returns PSA_ERROR_INVALID_SIGNATURE for a full-length MAC algorithm.',
        services: ['crypto'],
        capabilities: [...caps],
        run: async (t) => {
          const k = await key(t);
          const msg = pattern(33, 6);
          const s = await client(t).macCompute(k, alg, msg);
          supported(t, s.status, caps, s.step);
          expectPsa(t, s.status, PSA.SUCCESS, `psa_mac_compute at ${s.step}`);
          for (const n of [s.value!.length - 1, 4, 0]) {
            const v = await client(t).macVerify(k, alg, msg, s.value!.subarray(0, n));
            expectPsa(t, v.status, PSA.ERROR_INVALID_SIGNATURE, `psa_mac_verify with the first ${n} bytes of the MAC (at ${v.step})`);
          }
        },
      }),
      check({
        id: `psa-crypto.mac.multipart-${name}`,
        title: `a ${algName(alg)} fed in fragments equals the MAC of the whole message`,
        spec: SPEC,
        clause: '10.3.3 psa_mac_update',
        level: 'MUST',
        requirement: 'The MAC that is calculated is the MAC of the concatenation of the fragments passed to psa_mac_update in order, empty fragments included.',
        services: ['crypto'],
        capabilities: [...caps],
        run: async (t) => {
          const k = await key(t);
          const c = client(t);
          const msg = pattern(100, 7);
          const op = await macOp(t, k, alg, true);
          for (const [a, b] of [[0, 0], [0, 15], [15, 17], [17, 100]] as const) {
            expectPsa(t, await c.macUpdate(op, msg.subarray(a, b)), PSA.SUCCESS, `psa_mac_update(bytes ${a}..${b})`);
          }
          const f = await c.macSignFinish(op);
          expectPsa(t, f.status, PSA.SUCCESS, 'psa_mac_sign_finish');
          const whole = await c.macCompute(k, alg, msg);
          expectPsa(t, whole.status, PSA.SUCCESS, `psa_mac_compute at ${whole.step}`);
          t.expectBytes(f.value!, whole.value!, 'MAC of the fragments vs MAC of the whole message');
        },
      }),
    ];
  }),
  ...(
    [
      ['hmac-16', C.truncatedMac(HMAC256, 16), HMAC_CAPS, 'hmac'],
      ['cmac-8', C.truncatedMac(Alg.CMAC, 8), CMAC_CAPS, 'cmac'],
    ] as const
  ).map(([name, alg, caps, base]) =>
    check({
      id: `psa-crypto.mac.truncated-${name}`,
      title: `${algName(alg)} is the prefix of the full MAC`,
      spec: SPEC,
      clause: '10.3.1 PSA_ALG_TRUNCATED_MAC',
      level: 'MUST',
      requirement: 'A truncated MAC algorithm is identical to the corresponding MAC algorithm except that the MAC value consists of only the first mac_length bytes of the MAC value of the untruncated algorithm; psa_mac_verify accepts that prefix.',
      services: ['crypto'],
      capabilities: [...caps],
      run: async (t) => {
        const msg = pattern(50, 8);
        const keyBytes = pattern(16, 9);
        const k =
          base === 'hmac'
            ? await hmacKey(t, alg, keyBytes)
            : await importKey(t, { type: KeyType.AES, usage: SIGN_VERIFY, alg }, keyBytes, keyCap(KeyType.AES));
        const r = await client(t).macCompute(k, alg, msg);
        supported(t, r.status, caps, `${r.step}(${algName(alg)})`);
        expectPsa(t, r.status, PSA.SUCCESS, `psa_mac_compute(${algName(alg)}) at ${r.step}`);
        const full = base === 'hmac' ? O.hmac(Alg.SHA_256, keyBytes, msg) : O.cmac(keyBytes, msg);
        t.expectBytes(r.value!, full.subarray(0, C.macTruncationOf(alg)), `${algName(alg)} vs the first bytes of the full MAC`);
        const v = await client(t).macVerify(k, alg, msg, r.value!);
        expectPsa(t, v.status, PSA.SUCCESS, `psa_mac_verify(${algName(alg)}) at ${v.step}`);
      },
    }),
  ),
  check({
    id: 'psa-crypto.mac.truncated-too-long',
    title: 'a MAC truncated to more than its full length is refused',
    spec: SPEC,
    clause: '10.3.1 PSA_ALG_TRUNCATED_MAC',
    level: 'MUST',
    requirement: 'mac_length must be at most the untruncated length of the MAC: PSA_ALG_TRUNCATED_MAC(PSA_ALG_HMAC(PSA_ALG_SHA_256), 33) is not a valid algorithm, and psa_mac_sign_setup returns PSA_ERROR_INVALID_ARGUMENT or PSA_ERROR_NOT_SUPPORTED.',
    services: ['crypto'],
    capabilities: HMAC_CAPS,
    run: async (t) => {
      const alg = C.truncatedMac(HMAC256, 33);
      const k = await hmacKey(t, alg);
      const r = await client(t).macSetup(k, alg, true);
      if (r.status === PSA.SUCCESS) t.defer(() => client(t).macAbort(r.value!));
      expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, `psa_mac_sign_setup(${algName(alg)})`);
    },
  }),
  check({
    id: 'psa-crypto.mac.sign-finish-on-verify',
    title: 'psa_mac_sign_finish on a verify operation returns BAD_STATE',
    spec: SPEC,
    clause: '10.3.3 psa_mac_sign_finish',
    level: 'MUST',
    requirement: 'psa_mac_sign_finish returns PSA_ERROR_BAD_STATE when the operation state is not valid: it must be an active mac sign operation (a verify operation must not leak the MAC).',
    services: ['crypto'],
    capabilities: HMAC_CAPS,
    run: async (t) => {
      const k = await hmacKey(t);
      const op = await macOp(t, k, HMAC256, false);
      expectPsa(t, await client(t).macUpdate(op, pattern(10)), PSA.SUCCESS, 'psa_mac_update');
      const f = await client(t).macSignFinish(op);
      expectPsa(t, f.status, PSA.ERROR_BAD_STATE, 'psa_mac_sign_finish on a verify operation');
    },
  }),
  check({
    id: 'psa-crypto.mac.verify-finish-on-sign',
    title: 'psa_mac_verify_finish on a sign operation returns BAD_STATE',
    spec: SPEC,
    clause: '10.3.3 psa_mac_verify_finish',
    level: 'MUST',
    requirement: 'psa_mac_verify_finish returns PSA_ERROR_BAD_STATE when the operation state is not valid: it must be an active mac verify operation.',
    services: ['crypto'],
    capabilities: HMAC_CAPS,
    run: async (t) => {
      const k = await hmacKey(t);
      const op = await macOp(t, k, HMAC256, true);
      expectPsa(t, await client(t).macVerifyFinish(op, new Uint8Array(32)), PSA.ERROR_BAD_STATE, 'psa_mac_verify_finish on a sign operation');
    },
  }),
  check({
    id: 'psa-crypto.mac.update-after-finish',
    title: 'psa_mac_update after psa_mac_sign_finish returns BAD_STATE',
    spec: SPEC,
    clause: '10.3.3 psa_mac_update',
    level: 'MUST',
    requirement: 'When psa_mac_sign_finish returns successfully the operation becomes inactive: psa_mac_update then returns PSA_ERROR_BAD_STATE (it must be active).',
    services: ['crypto'],
    capabilities: HMAC_CAPS,
    run: async (t) => {
      const k = await hmacKey(t);
      const op = await macOp(t, k, HMAC256, true);
      expectPsa(t, (await client(t).macSignFinish(op)).status, PSA.SUCCESS, 'psa_mac_sign_finish');
      expectPsa(t, await client(t).macUpdate(op, pattern(5)), PSA.ERROR_BAD_STATE, 'psa_mac_update after finish');
    },
  }),
  check({
    id: 'psa-crypto.mac.abort-twice',
    title: 'psa_mac_abort after abort or finish succeeds',
    spec: SPEC,
    clause: '10.3.3 psa_mac_abort',
    level: 'MUST',
    requirement: 'Calling psa_mac_abort() after the operation has been terminated by psa_mac_abort(), psa_mac_sign_finish() or psa_mac_verify_finish() is safe and has no effect.',
    services: ['crypto'],
    capabilities: HMAC_CAPS,
    run: async (t) => {
      const k = await hmacKey(t);
      const c = client(t);
      const a = await macOp(t, k, HMAC256, true);
      expectPsa(t, await c.macAbort(a), PSA.SUCCESS, 'psa_mac_abort');
      expectPsa(t, await c.macAbort(a), PSA.SUCCESS, 'psa_mac_abort again');
      expectPsa(t, await c.macUpdate(a, pattern(2)), PSA.ERROR_BAD_STATE, 'psa_mac_update after abort');
      const b = await macOp(t, k, HMAC256, true);
      expectPsa(t, (await c.macSignFinish(b)).status, PSA.SUCCESS, 'psa_mac_sign_finish');
      expectPsa(t, await c.macAbort(b), PSA.SUCCESS, 'psa_mac_abort after finish');
    },
  }),
  check({
    id: 'psa-crypto.mac.error-state-after-verify-failure',
    title: 'a failed psa_mac_verify_finish leaves the operation in an error state until abort',
    spec: SPEC,
    clause: '10.3.3 psa_mac_verify_finish',
    level: 'MUST',
    requirement: 'If psa_mac_verify_finish returns an error status, the operation enters an error state and must be aborted: a second psa_mac_verify_finish with the correct MAC returns PSA_ERROR_BAD_STATE, not PSA_SUCCESS.',
    services: ['crypto'],
    capabilities: HMAC_CAPS,
    run: async (t) => {
      const key = pattern(32, 13);
      const k = await hmacKey(t, HMAC256, key);
      const c = client(t);
      const msg = pattern(9, 14);
      const op = await macOp(t, k, HMAC256, false);
      expectPsa(t, await c.macUpdate(op, msg), PSA.SUCCESS, 'psa_mac_update');
      expectPsa(t, await c.macVerifyFinish(op, new Uint8Array(32)), PSA.ERROR_INVALID_SIGNATURE, 'psa_mac_verify_finish with a wrong MAC');
      expectPsa(t, await c.macVerifyFinish(op, O.hmac(Alg.SHA_256, key, msg)), PSA.ERROR_BAD_STATE, 'psa_mac_verify_finish again, now with the correct MAC');
      expectPsa(t, await c.macAbort(op), PSA.SUCCESS, 'psa_mac_abort');
    },
  }),
  check({
    id: 'psa-crypto.mac.setup-not-a-mac',
    title: 'psa_mac_sign_setup refuses an algorithm that is not a MAC',
    spec: SPEC,
    clause: '10.3.3 psa_mac_sign_setup',
    level: 'MUST',
    requirement: 'psa_mac_sign_setup returns PSA_ERROR_INVALID_ARGUMENT (alg is not a MAC algorithm) or PSA_ERROR_NOT_SUPPORTED for PSA_ALG_SHA_256, even with a key whose policy names that algorithm.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.HMAC)],
    run: async (t) => {
      const k = await hmacKey(t, Alg.SHA_256);
      const r = await client(t).macSetup(k, Alg.SHA_256, true);
      if (r.status === PSA.SUCCESS) t.defer(() => client(t).macAbort(r.value!));
      expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, 'psa_mac_sign_setup(PSA_ALG_SHA_256)');
    },
  }),
  check({
    id: 'psa-crypto.mac.setup-incompatible-key',
    title: 'HMAC with an AES key and CMAC with an HMAC key are refused',
    spec: SPEC,
    clause: '10.3.3 psa_mac_sign_setup',
    level: 'MUST',
    requirement: 'psa_mac_sign_setup returns PSA_ERROR_INVALID_ARGUMENT (key is not compatible with alg) or PSA_ERROR_NOT_SUPPORTED when the key type does not match the MAC: HMAC needs PSA_KEY_TYPE_HMAC, CMAC a block-cipher key.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES), keyCap(KeyType.HMAC)],
    run: async (t) => {
      const aes = await importKey(t, { type: KeyType.AES, usage: SIGN_VERIFY, alg: HMAC256 }, pattern(32, 15), keyCap(KeyType.AES));
      const r1 = await client(t).macSetup(aes, HMAC256, true);
      if (r1.status === PSA.SUCCESS) t.defer(() => client(t).macAbort(r1.value!));
      expectPsa(t, r1.status, INVALID_OR_UNSUPPORTED, 'psa_mac_sign_setup(HMAC-SHA-256) with an AES key');
      const hm = await hmacKey(t, Alg.CMAC, pattern(16, 16));
      const r2 = await client(t).macSetup(hm, Alg.CMAC, true);
      if (r2.status === PSA.SUCCESS) t.defer(() => client(t).macAbort(r2.value!));
      expectPsa(t, r2.status, INVALID_OR_UNSUPPORTED, 'psa_mac_sign_setup(CMAC) with an HMAC key');
    },
  }),
  check({
    id: 'psa-crypto.mac.setup-wildcard',
    title: 'a wildcard MAC policy is not an algorithm to compute',
    spec: SPEC,
    clause: '10.3.1 PSA_ALG_AT_LEAST_THIS_LENGTH_MAC',
    level: 'MUST',
    requirement: 'PSA_ALG_AT_LEAST_THIS_LENGTH_MAC builds a permitted-algorithm policy; used as the algorithm of psa_mac_sign_setup it is not a MAC to compute: INVALID_ARGUMENT, NOT_SUPPORTED or NOT_PERMITTED, never PSA_SUCCESS.',
    services: ['crypto'],
    capabilities: HMAC_CAPS,
    run: async (t) => {
      const alg = C.atLeastThisLengthMac(HMAC256, 16);
      const k = await hmacKey(t, alg);
      const r = await client(t).macSetup(k, alg, true);
      if (r.status === PSA.SUCCESS) t.defer(() => client(t).macAbort(r.value!));
      expectPsa(t, r.status, [...INVALID_OR_UNSUPPORTED, PSA.ERROR_NOT_PERMITTED], `psa_mac_sign_setup(${algName(alg)})`);
    },
  }),
];
