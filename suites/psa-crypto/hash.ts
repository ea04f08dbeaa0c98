// 10.2 Message digests (Hashes): psa_hash_compute/compare (composed of the
// multi-part calls, as Trusted Services does), psa_hash_setup/update/finish/
// verify/abort/clone.
import { PSA } from '../../protocol/psa/status.js';
import { algName } from '../../protocol/psa/crypto/names.js';
import { concat } from '../../protocol/bytes.js';
import { check } from '../harness/check.js';
import type { CheckContext, CheckDef } from '../harness/types.js';
import { algCap } from './caps.js';
import { Alg, INVALID_OR_UNSUPPORTED, SPEC, client, expectPsa, flipBit, pattern, supported } from './common.js';
import * as O from './oracle.js';
import { HASH_ABC, SHA256_EMPTY, SHA256_TWO_BLOCK } from './vectors.js';

const S = Alg.SHA_256;
const CAP = algCap(S);

/** psa_hash_setup as a precondition; aborted afterwards. */
export async function hashOp(t: CheckContext, alg: number): Promise<number> {
  const r = await client(t).hashSetup(alg);
  supported(t, r.status, algCap(alg), `psa_hash_setup(${algName(alg)})`);
  expectPsa(t, r.status, PSA.SUCCESS, `psa_hash_setup(${algName(alg)})`);
  const op = r.value!;
  t.defer(() => client(t).hashAbort(op));
  return op;
}

function perHash(make: (v: (typeof HASH_ABC)[number]) => CheckDef): CheckDef[] {
  return HASH_ABC.map(make);
}

export default [
  ...perHash((v) =>
    check({
      id: `psa-crypto.hash.kat-${v.name}`,
      title: `psa_hash_compute(${algName(v.alg)}) of "abc" matches the standard`,
      spec: SPEC,
      clause: '10.2.2 psa_hash_compute',
      level: 'MUST',
      requirement: `psa_hash_compute calculates the hash (digest) of a message: ${algName(v.alg)} of "abc" is the value given in ${v.source}, and hash_length is PSA_HASH_LENGTH(alg).`,
      services: ['crypto'],
      capabilities: [algCap(v.alg)],
      run: async (t) => {
        const r = await client(t).hashCompute(v.alg, v.message);
        supported(t, r.status, algCap(v.alg), `${r.step}(${algName(v.alg)})`);
        expectPsa(t, r.status, PSA.SUCCESS, `psa_hash_compute(${algName(v.alg)}) at ${r.step}`);
        t.expectBytes(r.value!, v.digest, `${algName(v.alg)}("abc")`);
      },
    }),
  ),
  ...perHash((v) =>
    check({
      id: `psa-crypto.hash.multipart-${v.name}`,
      title: `a ${algName(v.alg)} fed in fragments equals the hash of the whole message`,
      spec: SPEC,
      clause: '10.2.3 psa_hash_update',
      level: 'MUST',
      requirement: 'Call psa_hash_update() zero, one or more times, passing a fragment of the message each time. The hash that is calculated is the hash of the concatenation of these messages in order (empty fragments included).',
      services: ['crypto'],
      capabilities: [algCap(v.alg)],
      run: async (t) => {
        const msg = pattern(300, 3);
        const c = client(t);
        const op = await hashOp(t, v.alg);
        for (const [a, b] of [[0, 1], [1, 1], [1, 129], [129, 300]] as const) {
          expectPsa(t, await c.hashUpdate(op, msg.subarray(a, b)), PSA.SUCCESS, `psa_hash_update(bytes ${a}..${b})`);
        }
        const f = await c.hashFinish(op);
        expectPsa(t, f.status, PSA.SUCCESS, 'psa_hash_finish');
        t.expectBytes(f.value!, O.hash(v.alg, msg), `${algName(v.alg)} of 300 bytes in 4 fragments (node:crypto)`);
      },
    }),
  ),
  ...perHash((v) =>
    check({
      id: `psa-crypto.hash.verify-${v.name}`,
      title: `psa_hash_verify accepts the correct ${algName(v.alg)}`,
      spec: SPEC,
      clause: '10.2.3 psa_hash_verify',
      level: 'MUST',
      requirement: 'psa_hash_verify finishes the calculation and compares it with the expected value: PSA_SUCCESS when the expected hash is identical to the actual hash of the message.',
      services: ['crypto'],
      capabilities: [algCap(v.alg)],
      run: async (t) => {
        const c = client(t);
        const op = await hashOp(t, v.alg);
        expectPsa(t, await c.hashUpdate(op, v.message), PSA.SUCCESS, 'psa_hash_update');
        expectPsa(t, await c.hashVerify(op, v.digest), PSA.SUCCESS, `psa_hash_verify with the ${v.source} value`);
      },
    }),
  ),
  check({
    id: 'psa-crypto.hash.kat-sha-256-empty',
    title: 'SHA-256 of the empty message',
    spec: SPEC,
    clause: '10.2.3 psa_hash_finish',
    level: 'MUST',
    requirement: 'psa_hash_finish after zero calls to psa_hash_update returns the hash of the empty message (SHA-256: e3b0c442...b855).',
    services: ['crypto'],
    capabilities: [CAP],
    run: async (t) => {
      const op = await hashOp(t, S);
      const f = await client(t).hashFinish(op);
      expectPsa(t, f.status, PSA.SUCCESS, 'psa_hash_finish');
      t.expectBytes(f.value!, SHA256_EMPTY, 'SHA-256("")');
    },
  }),
  check({
    id: 'psa-crypto.hash.kat-sha-256-two-block',
    title: 'SHA-256 of the FIPS 180-4 two-block message',
    spec: SPEC,
    clause: '10.2.2 psa_hash_compute',
    level: 'MUST',
    requirement: 'psa_hash_compute of the 448-bit FIPS 180-4 example "abcdbcdecdef...nopq" returns 248d6a61...06c1 (the padding spills into a second block).',
    services: ['crypto'],
    capabilities: [CAP],
    run: async (t) => {
      const r = await client(t).hashCompute(S, SHA256_TWO_BLOCK.message);
      expectPsa(t, r.status, PSA.SUCCESS, `psa_hash_compute at ${r.step}`);
      t.expectBytes(r.value!, SHA256_TWO_BLOCK.digest, 'SHA-256 two-block example');
    },
  }),
  check({
    id: 'psa-crypto.hash.large-input',
    title: 'a 100 KiB message hashed in 4 KiB updates',
    spec: SPEC,
    clause: '10.2.3 psa_hash_update',
    level: 'MUST',
    requirement: 'The hash of a message passed in many fragments (100 KiB in 25 updates) is the hash of the whole message.',
    services: ['crypto'],
    capabilities: [CAP],
    run: async (t) => {
      const msg = pattern(100 * 1024, 5);
      const r = await client(t).hashCompute(S, msg);
      expectPsa(t, r.status, PSA.SUCCESS, `psa_hash_compute at ${r.step}`);
      t.expectBytes(r.value!, O.hash(S, msg), 'SHA-256 of 100 KiB (node:crypto)');
    },
  }),
  ...(
    [
      ['altered', 'one bit of the expected hash flipped', (d: Uint8Array) => flipBit(d, 77)],
      ['truncated', 'the expected hash one byte short', (d: Uint8Array) => d.subarray(0, d.length - 1)],
      ['extended', 'the expected hash with one extra byte', (d: Uint8Array) => concat(d, new Uint8Array([0]))],
      ['empty', 'an empty expected hash', () => new Uint8Array(0)],
    ] as const
  ).map(([name, what, mutate]) =>
    check({
      id: `psa-crypto.hash.verify-${name}`,
      title: `psa_hash_verify rejects ${what}`,
      spec: SPEC,
      clause: '10.2.3 psa_hash_verify',
      level: 'MUST',
      requirement: `psa_hash_verify returns PSA_ERROR_INVALID_SIGNATURE when the calculated hash of the message does not match the value in hash (here: ${what}).`,
      services: ['crypto'],
      capabilities: [CAP],
      run: async (t) => {
        const c = client(t);
        const op = await hashOp(t, S);
        expectPsa(t, await c.hashUpdate(op, HASH_ABC[2]!.message), PSA.SUCCESS, 'psa_hash_update');
        expectPsa(t, await c.hashVerify(op, mutate(HASH_ABC[2]!.digest)), PSA.ERROR_INVALID_SIGNATURE, `psa_hash_verify with ${what}`);
      },
    }),
  ),
  check({
    id: 'psa-crypto.hash.setup-not-a-hash',
    title: 'psa_hash_setup refuses an algorithm that is not a hash',
    spec: SPEC,
    clause: '10.2.3 psa_hash_setup',
    level: 'MUST',
    requirement: 'psa_hash_setup returns PSA_ERROR_INVALID_ARGUMENT (alg is not a hash algorithm) or PSA_ERROR_NOT_SUPPORTED (alg is not supported or is not a hash algorithm) for PSA_ALG_HMAC(PSA_ALG_SHA_256), PSA_ALG_GCM and PSA_ALG_NONE.',
    services: ['crypto'],
    run: async (t) => {
      for (const alg of [0x03800009, Alg.GCM, Alg.NONE]) {
        const r = await client(t).hashSetup(alg);
        if (r.status === PSA.SUCCESS) await client(t).hashAbort(r.value!);
        expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, `psa_hash_setup(${algName(alg)})`);
      }
    },
  }),
  check({
    id: 'psa-crypto.hash.setup-any-hash',
    title: 'psa_hash_setup refuses the PSA_ALG_ANY_HASH wildcard',
    spec: SPEC,
    clause: '10.2.3 psa_hash_setup',
    level: 'MUST',
    requirement: 'PSA_ALG_ANY_HASH is only a policy wildcard for signature algorithms, not a hash to compute: psa_hash_setup returns PSA_ERROR_INVALID_ARGUMENT or PSA_ERROR_NOT_SUPPORTED.',
    services: ['crypto'],
    run: async (t) => {
      const r = await client(t).hashSetup(Alg.ANY_HASH);
      if (r.status === PSA.SUCCESS) await client(t).hashAbort(r.value!);
      expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, 'psa_hash_setup(PSA_ALG_ANY_HASH)');
    },
  }),
  check({
    id: 'psa-crypto.hash.setup-unknown-hash',
    title: 'psa_hash_setup answers NOT_SUPPORTED for an unallocated hash identifier',
    spec: SPEC,
    clause: '10.2.3 psa_hash_setup',
    level: 'MUST',
    requirement: 'A hash identifier that names no algorithm (0x020000fe) is not supported: psa_hash_setup returns PSA_ERROR_NOT_SUPPORTED or PSA_ERROR_INVALID_ARGUMENT and no operation starts.',
    services: ['crypto'],
    run: async (t) => {
      const r = await client(t).hashSetup(0x020000fe);
      if (r.status === PSA.SUCCESS) await client(t).hashAbort(r.value!);
      expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, 'psa_hash_setup(0x020000fe)');
    },
  }),
  ...(
    [
      ['update-after-finish', 'psa_hash_update', 'after psa_hash_finish'],
      ['finish-after-finish', 'psa_hash_finish', 'a second time'],
      ['verify-after-finish', 'psa_hash_verify', 'after psa_hash_finish'],
    ] as const
  ).map(([name, fn, when]) =>
    check({
      id: `psa-crypto.hash.${name}`,
      title: `${fn} ${when} returns BAD_STATE`,
      spec: SPEC,
      clause: `10.2.3 ${fn}`,
      level: 'MUST',
      requirement: `When psa_hash_finish returns successfully the operation becomes inactive; ${fn} on an inactive operation returns PSA_ERROR_BAD_STATE (the operation state is not valid: it must be active).`,
      services: ['crypto'],
      capabilities: [CAP],
      run: async (t) => {
        const c = client(t);
        const op = await hashOp(t, S);
        expectPsa(t, (await c.hashFinish(op)).status, PSA.SUCCESS, 'psa_hash_finish');
        const s = fn === 'psa_hash_update' ? await c.hashUpdate(op, pattern(3)) : fn === 'psa_hash_finish' ? (await c.hashFinish(op)).status : await c.hashVerify(op, SHA256_EMPTY);
        expectPsa(t, s, PSA.ERROR_BAD_STATE, `${fn} ${when}`);
      },
    }),
  ),
  check({
    id: 'psa-crypto.hash.update-after-abort',
    title: 'psa_hash_update after psa_hash_abort returns BAD_STATE',
    spec: SPEC,
    clause: '10.2.3 psa_hash_abort',
    level: 'MUST',
    requirement: 'psa_hash_abort returns the operation to the inactive state; psa_hash_update on it then returns PSA_ERROR_BAD_STATE.',
    services: ['crypto'],
    capabilities: [CAP],
    run: async (t) => {
      const c = client(t);
      const op = await hashOp(t, S);
      expectPsa(t, await c.hashAbort(op), PSA.SUCCESS, 'psa_hash_abort');
      expectPsa(t, await c.hashUpdate(op, pattern(4)), PSA.ERROR_BAD_STATE, 'psa_hash_update after abort');
    },
  }),
  check({
    id: 'psa-crypto.hash.abort-twice',
    title: 'psa_hash_abort on an aborted or finished operation succeeds',
    spec: SPEC,
    clause: '10.2.3 psa_hash_abort',
    level: 'MUST',
    requirement: 'Calling psa_hash_abort() after the operation has been terminated by a call to psa_hash_abort(), psa_hash_finish() or psa_hash_verify() is safe and has no effect: it returns PSA_SUCCESS.',
    services: ['crypto'],
    capabilities: [CAP],
    run: async (t) => {
      const c = client(t);
      const a = await hashOp(t, S);
      expectPsa(t, await c.hashAbort(a), PSA.SUCCESS, 'first psa_hash_abort');
      expectPsa(t, await c.hashAbort(a), PSA.SUCCESS, 'second psa_hash_abort');
      const b = await hashOp(t, S);
      expectPsa(t, (await c.hashFinish(b)).status, PSA.SUCCESS, 'psa_hash_finish');
      expectPsa(t, await c.hashAbort(b), PSA.SUCCESS, 'psa_hash_abort after finish');
    },
  }),
  check({
    id: 'psa-crypto.hash.abort-inactive',
    title: 'psa_hash_abort of an operation never set up succeeds',
    spec: SPEC,
    clause: '3.3.2 Multi-part operations',
    level: 'MUST',
    requirement: 'psa_xxx_abort() can be called on an inactive operation, and this has no effect: psa_hash_abort on a handle that names no operation returns PSA_SUCCESS.',
    services: ['crypto'],
    run: async (t) => {
      expectPsa(t, await client(t).hashAbort(0xfffffff0), PSA.SUCCESS, 'psa_hash_abort(op=0xfffffff0)');
    },
  }),
  check({
    id: 'psa-crypto.hash.update-inactive',
    title: 'psa_hash_update on an operation never set up returns BAD_STATE',
    spec: SPEC,
    clause: '10.2.3 psa_hash_update',
    level: 'MUST',
    requirement: 'psa_hash_update requires an active operation; on an operation that was never set up it returns PSA_ERROR_BAD_STATE.',
    services: ['crypto'],
    run: async (t) => {
      expectPsa(t, await client(t).hashUpdate(0xfffffff1, pattern(4)), PSA.ERROR_BAD_STATE, 'psa_hash_update(op=0xfffffff1)');
    },
  }),
  check({
    id: 'psa-crypto.hash.error-state-after-verify-failure',
    title: 'a failed psa_hash_verify leaves the operation in an error state until abort',
    spec: SPEC,
    clause: '10.2.3 psa_hash_verify',
    level: 'MUST',
    requirement: 'If psa_hash_verify returns an error status, the operation enters an error state and must be aborted: a following psa_hash_update returns PSA_ERROR_BAD_STATE, psa_hash_abort returns PSA_SUCCESS and a new setup works.',
    services: ['crypto'],
    capabilities: [CAP],
    run: async (t) => {
      const c = client(t);
      const op = await hashOp(t, S);
      expectPsa(t, await c.hashVerify(op, new Uint8Array(32)), PSA.ERROR_INVALID_SIGNATURE, 'psa_hash_verify with a wrong hash');
      expectPsa(t, await c.hashUpdate(op, pattern(4)), PSA.ERROR_BAD_STATE, 'psa_hash_update in the error state');
      expectPsa(t, (await c.hashFinish(op)).status, PSA.ERROR_BAD_STATE, 'psa_hash_finish in the error state');
      expectPsa(t, await c.hashAbort(op), PSA.SUCCESS, 'psa_hash_abort');
      const again = await hashOp(t, S);
      expectPsa(t, await c.hashUpdate(again, pattern(4)), PSA.SUCCESS, 'psa_hash_update on a new operation after abort');
    },
  }),
  check({
    id: 'psa-crypto.hash.clone-independent',
    title: 'psa_hash_clone yields an independent copy of the operation',
    spec: SPEC,
    clause: '10.2.3 psa_hash_clone',
    level: 'MUST',
    requirement: 'After psa_hash_clone the two operations are independent: each continues the same hash, and calls on one do not affect the other.',
    services: ['crypto'],
    capabilities: [CAP],
    run: async (t) => {
      const c = client(t);
      const src = await hashOp(t, S);
      const a = pattern(70, 1);
      expectPsa(t, await c.hashUpdate(src, a), PSA.SUCCESS, 'psa_hash_update(source)');
      const cl = await c.hashClone(src);
      expectPsa(t, cl.status, PSA.SUCCESS, 'psa_hash_clone');
      t.defer(() => c.hashAbort(cl.value!));
      const b1 = pattern(20, 2);
      const b2 = pattern(33, 3);
      expectPsa(t, await c.hashUpdate(src, b1), PSA.SUCCESS, 'psa_hash_update(source)');
      expectPsa(t, await c.hashUpdate(cl.value!, b2), PSA.SUCCESS, 'psa_hash_update(clone)');
      const fs = await c.hashFinish(src);
      const fc = await c.hashFinish(cl.value!);
      expectPsa(t, fs.status, PSA.SUCCESS, 'psa_hash_finish(source)');
      expectPsa(t, fc.status, PSA.SUCCESS, 'psa_hash_finish(clone)');
      t.expectBytes(fs.value!, O.hash(S, concat(a, b1)), 'source hash');
      t.expectBytes(fc.value!, O.hash(S, concat(a, b2)), 'clone hash');
    },
  }),
  check({
    id: 'psa-crypto.hash.clone-inactive-source',
    title: 'psa_hash_clone of a finished operation returns BAD_STATE',
    spec: SPEC,
    clause: '10.2.3 psa_hash_clone',
    level: 'MUST',
    requirement: 'psa_hash_clone returns PSA_ERROR_BAD_STATE when the source_operation state is not valid: it must be active (here: finished, and aborted).',
    services: ['crypto'],
    capabilities: [CAP],
    run: async (t) => {
      const c = client(t);
      const a = await hashOp(t, S);
      expectPsa(t, (await c.hashFinish(a)).status, PSA.SUCCESS, 'psa_hash_finish');
      const r1 = await c.hashClone(a);
      if (r1.status === PSA.SUCCESS) t.defer(() => c.hashAbort(r1.value!));
      expectPsa(t, r1.status, PSA.ERROR_BAD_STATE, 'psa_hash_clone of a finished operation');
      const b = await hashOp(t, S);
      expectPsa(t, await c.hashAbort(b), PSA.SUCCESS, 'psa_hash_abort');
      const r2 = await c.hashClone(b);
      if (r2.status === PSA.SUCCESS) t.defer(() => c.hashAbort(r2.value!));
      expectPsa(t, r2.status, PSA.ERROR_BAD_STATE, 'psa_hash_clone of an aborted operation');
    },
  }),
  check({
    id: 'psa-crypto.hash.reuse-after-finish',
    title: 'two hash operations in a row give independent results',
    spec: SPEC,
    clause: '3.3.2 Multi-part operations',
    level: 'MUST',
    requirement: 'Once an operation is returned to the inactive state it can be reused: a second hash started after the first finished is not influenced by the first message.',
    services: ['crypto'],
    capabilities: [CAP],
    run: async (t) => {
      const c = client(t);
      for (const salt of [1, 2]) {
        const msg = pattern(40, salt);
        const r = await c.hashCompute(S, msg);
        expectPsa(t, r.status, PSA.SUCCESS, `psa_hash_compute #${salt} at ${r.step}`);
        t.expectBytes(r.value!, O.hash(S, msg), `hash #${salt}`);
      }
    },
  }),
];
