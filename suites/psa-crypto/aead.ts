// 10.5 Authenticated encryption with associated data (AEAD):
// psa_aead_encrypt/decrypt (composed of the multi-part calls as TS does),
// the multi-part functions and their state rules; GCM, CCM and
// ChaCha20-Poly1305.
import fc from 'fast-check';
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { algName } from '../../protocol/psa/crypto/names.js';
import { concat, hex } from '../../protocol/bytes.js';
import { check, checkProp } from '../harness/check.js';
import type { CheckContext, CheckDef } from '../harness/types.js';
import { algCap, keyCap } from './caps.js';
import { Alg, INVALID_OR_UNSUPPORTED, KeyType, SPEC, Usage, client, expectPsa, flipBit, importKey, pattern, supported } from './common.js';
import * as O from './oracle.js';
import { CCM_VECTORS, CHACHA20_POLY1305_RFC8439, GCM_VECTORS, type AeadVector } from './vectors.js';

const ENC_DEC = Usage.ENCRYPT | Usage.DECRYPT;

interface Aead {
  name: string;
  alg: number;
  type: number;
  keyLen: number;
  nonceLen: number;
}

const AEADS: Aead[] = [
  { name: 'gcm', alg: Alg.GCM, type: KeyType.AES, keyLen: 16, nonceLen: 12 },
  { name: 'ccm', alg: Alg.CCM, type: KeyType.AES, keyLen: 32, nonceLen: 13 },
  { name: 'chacha20-poly1305', alg: Alg.CHACHA20_POLY1305, type: KeyType.CHACHA20, keyLen: 32, nonceLen: 12 },
];

const caps = (a: { alg: number; type: number }) => [algCap(a.alg), keyCap(a.type)];
const GCM = AEADS[0]!;
const CCM = AEADS[1]!;

export async function aeadKey(t: CheckContext, a: { alg: number; type: number }, key: Uint8Array, alg = a.alg, usage = ENC_DEC): Promise<number> {
  return importKey(t, { type: a.type, usage, alg }, key, keyCap(a.type));
}

export async function aeadOp(t: CheckContext, key: number, alg: number, encrypt: boolean): Promise<number> {
  const r = await client(t).aeadSetup(key, alg, encrypt);
  const fn = encrypt ? 'psa_aead_encrypt_setup' : 'psa_aead_decrypt_setup';
  supported(t, r.status, algCap(alg), `${fn}(${algName(alg)})`);
  expectPsa(t, r.status, PSA.SUCCESS, `${fn}(${algName(alg)})`);
  t.defer(() => client(t).aeadAbort(r.value!));
  return r.value!;
}

function katChecks(v: AeadVector, alg: number, type: number): CheckDef[] {
  const base = C.aeadWithDefaultLengthTag(alg);
  const family = base === Alg.GCM ? 'gcm' : base === Alg.CCM ? 'ccm' : 'chacha20-poly1305';
  const clause = `10.5.1 ${algName(base)}`;
  return [
    check({
      id: `psa-crypto.aead.kat-${family}-${v.name}-encrypt`,
      title: `psa_aead_encrypt(${algName(alg)}) matches ${v.source}`,
      spec: SPEC,
      clause,
      level: 'MUST',
      requirement: `${algName(alg)} is the AEAD of its defining standard: encrypting the ${v.plaintext.length}-byte plaintext with ${v.ad.length} bytes of additional data and the ${v.nonce.length}-byte nonce gives the ciphertext and tag of ${v.source} (output: ciphertext followed by the tag).`,
      services: ['crypto'],
      capabilities: caps({ alg, type }),
      run: async (t) => {
        const k = await aeadKey(t, { alg, type }, v.key);
        const r = await client(t).aeadEncrypt(k, alg, v.nonce, v.ad, v.plaintext);
        supported(t, r.status, algCap(alg), `${r.step}(${algName(alg)})`);
        expectPsa(t, r.status, PSA.SUCCESS, `psa_aead_encrypt(${algName(alg)}) at ${r.step}`);
        t.expectBytes(r.value!, concat(v.ciphertext, v.tag), 'ciphertext || tag');
      },
    }),
    check({
      id: `psa-crypto.aead.kat-${family}-${v.name}-decrypt`,
      title: `psa_aead_decrypt(${algName(alg)}) of ${v.source} authenticates and decrypts`,
      spec: SPEC,
      clause: '10.5.2 psa_aead_decrypt',
      level: 'MUST',
      requirement: `psa_aead_decrypt of the ciphertext and tag of ${v.source} returns PSA_SUCCESS and the plaintext.`,
      services: ['crypto'],
      capabilities: caps({ alg, type }),
      run: async (t) => {
        const k = await aeadKey(t, { alg, type }, v.key);
        const r = await client(t).aeadDecrypt(k, alg, v.nonce, v.ad, concat(v.ciphertext, v.tag), v.tag.length);
        supported(t, r.status, algCap(alg), `${r.step}(${algName(alg)})`);
        expectPsa(t, r.status, PSA.SUCCESS, `psa_aead_decrypt(${algName(alg)}) at ${r.step}`);
        t.expectBytes(r.value!, v.plaintext, 'plaintext');
      },
    }),
  ];
}

/** A valid encryption by the target of `pt` under `ad`, for tampering checks. */
async function encrypted(t: CheckContext, a: Aead, keyBytes: Uint8Array, nonce: Uint8Array, ad: Uint8Array, pt: Uint8Array): Promise<{ key: number; ct: Uint8Array }> {
  const k = await aeadKey(t, a, keyBytes);
  const r = await client(t).aeadEncrypt(k, a.alg, nonce, ad, pt);
  supported(t, r.status, algCap(a.alg), r.step);
  expectPsa(t, r.status, PSA.SUCCESS, `psa_aead_encrypt at ${r.step}`);
  return { key: k, ct: r.value! };
}

type StateCase = [name: string, title: string, requirement: string, clause: string, encrypt: boolean, alg: Aead, run: (t: CheckContext, op: number) => Promise<number>];

const c0 = (t: CheckContext) => client(t);
const setNonce = async (t: CheckContext, op: number, a: Aead) => expectPsa(t, await c0(t).aeadSetNonce(op, pattern(a.nonceLen, 51)), PSA.SUCCESS, 'precondition psa_aead_set_nonce');

const STATE_CASES: StateCase[] = [
  ['set-lengths-after-nonce', 'psa_aead_set_lengths after the nonce', 'psa_aead_set_lengths returns PSA_ERROR_BAD_STATE once psa_aead_set_nonce() or psa_aead_generate_nonce() has been called.', '10.5.3 psa_aead_set_lengths', true, GCM, async (t, op) => {
    await setNonce(t, op, GCM);
    return c0(t).aeadSetLengths(op, 0, 0);
  }],
  ['generate-nonce-on-decrypt', 'psa_aead_generate_nonce on a decryption operation', 'psa_aead_generate_nonce returns PSA_ERROR_BAD_STATE unless the operation is an active AEAD encryption operation.', '10.5.3 psa_aead_generate_nonce', false, GCM, async (t, op) => (await c0(t).aeadGenerateNonce(op)).status],
  ['generate-nonce-twice', 'psa_aead_generate_nonce after the nonce is set', 'psa_aead_generate_nonce requires an encryption operation with no nonce set: after psa_aead_set_nonce it returns PSA_ERROR_BAD_STATE.', '10.5.3 psa_aead_generate_nonce', true, GCM, async (t, op) => {
    await setNonce(t, op, GCM);
    return (await c0(t).aeadGenerateNonce(op)).status;
  }],
  ['set-nonce-twice', 'psa_aead_set_nonce twice', 'psa_aead_set_nonce requires an active operation with no nonce set: a second call returns PSA_ERROR_BAD_STATE (a nonce cannot be swapped in mid-message).', '10.5.3 psa_aead_set_nonce', true, GCM, async (t, op) => {
    await setNonce(t, op, GCM);
    return c0(t).aeadSetNonce(op, pattern(12, 52));
  }],
  ['ccm-generate-nonce-without-lengths', 'CCM psa_aead_generate_nonce without psa_aead_set_lengths', 'For PSA_ALG_CCM, calling psa_aead_set_lengths is required before the nonce: psa_aead_generate_nonce without it returns PSA_ERROR_BAD_STATE.', '10.5.3 psa_aead_generate_nonce', true, CCM, async (t, op) => (await c0(t).aeadGenerateNonce(op)).status],
  ['ccm-set-nonce-without-lengths', 'CCM psa_aead_set_nonce without psa_aead_set_lengths', 'For PSA_ALG_CCM, psa_aead_set_nonce before psa_aead_set_lengths returns PSA_ERROR_BAD_STATE (the algorithm requires the lengths before the nonce).', '10.5.3 psa_aead_set_nonce', true, CCM, async (t, op) => c0(t).aeadSetNonce(op, pattern(13, 53))],
  ['update-ad-before-nonce', 'psa_aead_update_ad before the nonce', 'psa_aead_update_ad requires an active operation with a nonce set: before it, PSA_ERROR_BAD_STATE.', '10.5.3 psa_aead_update_ad', true, GCM, async (t, op) => c0(t).aeadUpdateAd(op, pattern(4))],
  ['update-before-nonce', 'psa_aead_update before the nonce', 'psa_aead_update requires an active operation with a nonce set: before it, PSA_ERROR_BAD_STATE.', '10.5.3 psa_aead_update', true, GCM, async (t, op) => (await c0(t).aeadUpdate(op, pattern(4))).status],
  ['update-ad-after-update', 'psa_aead_update_ad after psa_aead_update', 'psa_aead_update_ad must not be called after passing data to psa_aead_update(): it returns PSA_ERROR_BAD_STATE.', '10.5.3 psa_aead_update_ad', true, GCM, async (t, op) => {
    await setNonce(t, op, GCM);
    expectPsa(t, (await c0(t).aeadUpdate(op, pattern(8))).status, PSA.SUCCESS, 'precondition psa_aead_update');
    return c0(t).aeadUpdateAd(op, pattern(4));
  }],
  ['finish-on-decrypt', 'psa_aead_finish on a decryption operation', 'psa_aead_finish requires an active encryption operation with a nonce set: on a decryption it returns PSA_ERROR_BAD_STATE (it must not hand out a tag to forge with).', '10.5.3 psa_aead_finish', false, GCM, async (t, op) => {
    await setNonce(t, op, GCM);
    return (await c0(t).aeadFinish(op)).status;
  }],
  ['verify-on-encrypt', 'psa_aead_verify on an encryption operation', 'psa_aead_verify requires an active decryption operation with a nonce set: on an encryption it returns PSA_ERROR_BAD_STATE.', '10.5.3 psa_aead_verify', true, GCM, async (t, op) => {
    await setNonce(t, op, GCM);
    return (await c0(t).aeadVerify(op, new Uint8Array(16))).status;
  }],
  ['finish-before-nonce', 'psa_aead_finish before the nonce', 'psa_aead_finish requires an operation with a nonce set: before it, PSA_ERROR_BAD_STATE.', '10.5.3 psa_aead_finish', true, GCM, async (t, op) => (await c0(t).aeadFinish(op)).status],
  ['verify-before-nonce', 'psa_aead_verify before the nonce', 'psa_aead_verify requires a decryption operation with a nonce set: before it, PSA_ERROR_BAD_STATE.', '10.5.3 psa_aead_verify', false, GCM, async (t, op) => (await c0(t).aeadVerify(op, new Uint8Array(16))).status],
];

type LengthCase = [name: string, title: string, requirement: string, clause: string, run: (t: CheckContext, op: number) => Promise<number>];

const LENGTH_CASES: LengthCase[] = [
  ['ad-exceeds-lengths', 'more additional data than declared', 'psa_aead_update_ad returns PSA_ERROR_INVALID_ARGUMENT when the total additional data exceeds the length given to psa_aead_set_lengths (the implementation must enforce the lengths once set).', '10.5.3 psa_aead_update_ad', async (t, op) => {
    expectPsa(t, await c0(t).aeadUpdateAd(op, pattern(8)), PSA.SUCCESS, 'psa_aead_update_ad(8 of 10 bytes)');
    return c0(t).aeadUpdateAd(op, pattern(3));
  }],
  ['data-exceeds-lengths', 'more plaintext than declared', 'psa_aead_update returns PSA_ERROR_INVALID_ARGUMENT when the total input exceeds the plaintext length given to psa_aead_set_lengths.', '10.5.3 psa_aead_update', async (t, op) => {
    expectPsa(t, await c0(t).aeadUpdateAd(op, pattern(10)), PSA.SUCCESS, 'psa_aead_update_ad(10 bytes)');
    return (await c0(t).aeadUpdate(op, pattern(21))).status;
  }],
  ['update-before-ad-complete', 'plaintext before all declared additional data', 'psa_aead_update returns PSA_ERROR_INVALID_ARGUMENT when the total length of input to psa_aead_update_ad is less than the additional data length declared with psa_aead_set_lengths.', '10.5.3 psa_aead_update', async (t, op) => {
    expectPsa(t, await c0(t).aeadUpdateAd(op, pattern(4)), PSA.SUCCESS, 'psa_aead_update_ad(4 of 10 bytes)');
    return (await c0(t).aeadUpdate(op, pattern(5))).status;
  }],
  ['finish-incomplete-plaintext', 'psa_aead_finish with less plaintext than declared', 'psa_aead_finish returns PSA_ERROR_INVALID_ARGUMENT when the total length of input to psa_aead_update is less than the plaintext length declared with psa_aead_set_lengths.', '10.5.3 psa_aead_finish', async (t, op) => {
    expectPsa(t, await c0(t).aeadUpdateAd(op, pattern(10)), PSA.SUCCESS, 'psa_aead_update_ad(10 bytes)');
    expectPsa(t, (await c0(t).aeadUpdate(op, pattern(19))).status, PSA.SUCCESS, 'psa_aead_update(19 of 20 bytes)');
    return (await c0(t).aeadFinish(op)).status;
  }],
];

export default [
  ...GCM_VECTORS.flatMap((v) => katChecks(v, Alg.GCM, KeyType.AES)),
  ...CCM_VECTORS.flatMap((v) => katChecks(v, C.aeadWithShortenedTag(Alg.CCM, v.tagLength), KeyType.AES)),
  ...katChecks(CHACHA20_POLY1305_RFC8439, Alg.CHACHA20_POLY1305, KeyType.CHACHA20),
  ...AEADS.flatMap((a): CheckDef[] => [
    checkProp({
      id: `psa-crypto.aead.encrypt-differential-${a.name}`,
      title: `what the target encrypts with ${algName(a.alg)} decrypts under node:crypto`,
      spec: SPEC,
      clause: '10.5.3 psa_aead_update',
      level: 'MUST',
      requirement: `For any additional data and plaintext (0..80 bytes each, fed in two fragments each), a multi-part ${algName(a.alg)} encryption gives the ciphertext and tag an independent implementation authenticates and decrypts.`,
      services: ['crypto'],
      capabilities: caps(a),
      numRuns: 12,
      arbitrary: () => fc.record({ ad: fc.uint8Array({ maxLength: 80 }), pt: fc.uint8Array({ maxLength: 80 }), cut1: fc.nat({ max: 80 }), cut2: fc.nat({ max: 80 }) }),
      predicate: async (t, { ad, pt, cut1, cut2 }) => {
        const keyBytes = pattern(a.keyLen, 54);
        const k = await aeadKey(t, a, keyBytes);
        const c = client(t);
        const op = await aeadOp(t, k, a.alg, true);
        expectPsa(t, await c.aeadSetLengths(op, ad.length, pt.length), PSA.SUCCESS, 'psa_aead_set_lengths');
        const n = await c.aeadGenerateNonce(op);
        expectPsa(t, n.status, PSA.SUCCESS, 'psa_aead_generate_nonce');
        const x = Math.min(cut1, ad.length);
        expectPsa(t, await c.aeadUpdateAd(op, ad.subarray(0, x)), PSA.SUCCESS, 'psa_aead_update_ad #1');
        expectPsa(t, await c.aeadUpdateAd(op, ad.subarray(x)), PSA.SUCCESS, 'psa_aead_update_ad #2');
        const y = Math.min(cut2, pt.length);
        const u1 = await c.aeadUpdate(op, pt.subarray(0, y));
        expectPsa(t, u1.status, PSA.SUCCESS, 'psa_aead_update #1');
        const u2 = await c.aeadUpdate(op, pt.subarray(y));
        expectPsa(t, u2.status, PSA.SUCCESS, 'psa_aead_update #2');
        const f = await c.aeadFinish(op);
        expectPsa(t, f.status, PSA.SUCCESS, 'psa_aead_finish');
        const ct = concat(u1.value!, u2.value!, f.value!.ciphertext);
        const back = O.aeadDecrypt(a.alg, keyBytes, n.value!, ad, ct, f.value!.tag);
        t.assert(back !== undefined, `node:crypto rejects the target's tag ${hex(f.value!.tag)} (nonce ${hex(n.value!)})`, { expected: 'an authentic ciphertext', actual: 'tag mismatch' });
        t.expectBytes(back!, pt, 'node:crypto decryption');
      },
    }),
    checkProp({
      id: `psa-crypto.aead.decrypt-differential-${a.name}`,
      title: `the target decrypts what node:crypto encrypted with ${algName(a.alg)}`,
      spec: SPEC,
      clause: '10.5.2 psa_aead_decrypt',
      level: 'MUST',
      requirement: 'psa_aead_decrypt of a ciphertext and tag produced by an independent implementation (same key, nonce and additional data) returns PSA_SUCCESS and the plaintext.',
      services: ['crypto'],
      capabilities: caps(a),
      numRuns: 12,
      arbitrary: () => fc.record({ ad: fc.uint8Array({ maxLength: 60 }), pt: fc.uint8Array({ minLength: 1, maxLength: 60 }), nonce: fc.uint8Array({ minLength: a.nonceLen, maxLength: a.nonceLen }) }),
      predicate: async (t, { ad, pt, nonce }) => {
        const keyBytes = pattern(a.keyLen, 55);
        const k = await aeadKey(t, a, keyBytes);
        const e = O.aeadEncrypt(a.alg, keyBytes, nonce, ad, pt, 16);
        const r = await client(t).aeadDecrypt(k, a.alg, nonce, ad, concat(e.ciphertext, e.tag), 16);
        supported(t, r.status, algCap(a.alg), r.step);
        expectPsa(t, r.status, PSA.SUCCESS, `psa_aead_decrypt at ${r.step}`);
        t.expectBytes(r.value!, pt, 'plaintext');
      },
    }),
    ...(
      [
        ['tag', 'any bit of the tag', (ct: Uint8Array, bit: number) => flipBit(ct, (ct.length - 16) * 8 + (bit % 128))],
        ['ciphertext', 'any bit of the ciphertext', (ct: Uint8Array, bit: number) => flipBit(ct, bit % ((ct.length - 16) * 8))],
      ] as const
    ).map(([part, what, mutate]) =>
      checkProp({
        id: `psa-crypto.aead.${part}-bit-flip-${a.name}`,
        title: `${algName(a.alg)} decryption rejects ${what} flipped`,
        spec: SPEC,
        clause: '10.5.2 psa_aead_decrypt',
        level: 'MUST',
        requirement: `psa_aead_decrypt returns PSA_ERROR_INVALID_SIGNATURE when the ciphertext is not authentic: changing ${what} of a valid encryption must be detected.`,
        services: ['crypto'],
        capabilities: caps(a),
        numRuns: 20,
        arbitrary: () => fc.nat({ max: 1023 }),
        predicate: async (t, bit) => {
          const nonce = pattern(a.nonceLen, 56);
          const ad = pattern(11, 57);
          const { key, ct } = await encrypted(t, a, pattern(a.keyLen, 58), nonce, ad, pattern(24, 59));
          const r = await client(t).aeadDecrypt(key, a.alg, nonce, ad, mutate(ct, bit), 16);
          expectPsa(t, r.status, PSA.ERROR_INVALID_SIGNATURE, `psa_aead_decrypt with a flipped bit (${part} bit ${bit}) at ${r.step}`);
        },
      }),
    ),
    check({
      id: `psa-crypto.aead.ad-altered-${a.name}`,
      title: `${algName(a.alg)} decryption rejects altered or missing additional data`,
      spec: SPEC,
      clause: '10.5.2 psa_aead_decrypt',
      level: 'MUST',
      requirement: 'The additional data is authenticated: psa_aead_decrypt with one bit of it changed, with one byte removed, or with none of it returns PSA_ERROR_INVALID_SIGNATURE.',
      services: ['crypto'],
      capabilities: caps(a),
      run: async (t) => {
        const nonce = pattern(a.nonceLen, 60);
        const ad = pattern(20, 61);
        const { key, ct } = await encrypted(t, a, pattern(a.keyLen, 62), nonce, ad, pattern(30, 63));
        for (const [what, bad] of [
          ['one bit changed', flipBit(ad, 9)],
          ['one byte short', ad.subarray(0, 19)],
          ['no additional data', new Uint8Array(0)],
        ] as const) {
          const r = await client(t).aeadDecrypt(key, a.alg, nonce, bad, ct, 16);
          expectPsa(t, r.status, PSA.ERROR_INVALID_SIGNATURE, `psa_aead_decrypt with the additional data ${what} (at ${r.step})`);
        }
      },
    }),
    check({
      id: `psa-crypto.aead.tag-truncated-${a.name}`,
      title: `psa_aead_verify(${algName(a.alg)}) rejects a truncated tag`,
      spec: SPEC,
      clause: '10.5.3 psa_aead_verify',
      level: 'MUST',
      requirement: 'psa_aead_verify compares the calculated tag with the tag given: a prefix of the correct tag (15, 8, 1 or 0 bytes for a 16-byte tag) does not match: PSA_ERROR_INVALID_SIGNATURE (PSA_ERROR_INVALID_ARGUMENT for a tag length the algorithm cannot have is accepted too), never PSA_SUCCESS.',
      services: ['crypto'],
      capabilities: caps(a),
      run: async (t) => {
        const nonce = pattern(a.nonceLen, 64);
        const { key, ct } = await encrypted(t, a, pattern(a.keyLen, 65), nonce, new Uint8Array(0), pattern(16, 66));
        for (const n of [15, 8, 1, 0]) {
          const r = await client(t).aeadDecrypt(key, a.alg, nonce, new Uint8Array(0), ct.subarray(0, 16 + n), n);
          expectPsa(t, r.status, [PSA.ERROR_INVALID_SIGNATURE, PSA.ERROR_INVALID_ARGUMENT], `psa_aead_verify with the first ${n} bytes of the tag (at ${r.step})`);
        }
      },
    }),
  ]),
  check({
    id: 'psa-crypto.aead.nonce-length-gcm',
    title: 'GCM refuses an empty nonce',
    spec: SPEC,
    clause: '10.5.1 PSA_ALG_GCM',
    level: 'MUST',
    requirement: 'GCM requires a nonce of at least 1 byte: psa_aead_set_nonce with 0 bytes returns PSA_ERROR_INVALID_ARGUMENT (nonce_length is not valid) or PSA_ERROR_NOT_SUPPORTED.',
    services: ['crypto'],
    capabilities: caps(GCM),
    run: async (t) => {
      const k = await aeadKey(t, GCM, pattern(16, 67));
      const op = await aeadOp(t, k, Alg.GCM, true);
      expectPsa(t, await client(t).aeadSetNonce(op, new Uint8Array(0)), INVALID_OR_UNSUPPORTED, 'psa_aead_set_nonce(0 bytes)');
    },
  }),
  check({
    id: 'psa-crypto.aead.nonce-length-ccm',
    title: 'CCM refuses nonces outside 7..13 bytes',
    spec: SPEC,
    clause: '10.5.1 PSA_ALG_CCM',
    level: 'MUST',
    requirement: 'CCM requires a nonce of between 7 and 13 bytes: psa_aead_set_nonce with 6 or 14 bytes returns PSA_ERROR_INVALID_ARGUMENT or PSA_ERROR_NOT_SUPPORTED.',
    services: ['crypto'],
    capabilities: caps(CCM),
    run: async (t) => {
      const k = await aeadKey(t, CCM, pattern(32, 68));
      for (const n of [6, 14]) {
        const op = await aeadOp(t, k, Alg.CCM, true);
        expectPsa(t, await client(t).aeadSetLengths(op, 0, 16), PSA.SUCCESS, 'psa_aead_set_lengths');
        expectPsa(t, await client(t).aeadSetNonce(op, pattern(n, 69)), INVALID_OR_UNSUPPORTED, `psa_aead_set_nonce(${n} bytes)`);
        await client(t).aeadAbort(op);
      }
    },
  }),
  check({
    id: 'psa-crypto.aead.nonce-length-chacha20-poly1305',
    title: 'ChaCha20-Poly1305 refuses nonces other than 12 (or 8) bytes',
    spec: SPEC,
    clause: '10.5.1 PSA_ALG_CHACHA20_POLY1305',
    level: 'MUST',
    requirement: 'A nonce provided to psa_aead_set_nonce for PSA_ALG_CHACHA20_POLY1305 must be 8 or 12 bytes: 11, 13 and 16 bytes return PSA_ERROR_INVALID_ARGUMENT or PSA_ERROR_NOT_SUPPORTED.',
    services: ['crypto'],
    capabilities: caps(AEADS[2]!),
    run: async (t) => {
      const k = await aeadKey(t, AEADS[2]!, pattern(32, 70));
      for (const n of [11, 13, 16]) {
        const op = await aeadOp(t, k, Alg.CHACHA20_POLY1305, true);
        expectPsa(t, await client(t).aeadSetNonce(op, pattern(n, 71)), INVALID_OR_UNSUPPORTED, `psa_aead_set_nonce(${n} bytes)`);
        await client(t).aeadAbort(op);
      }
    },
  }),
  check({
    id: 'psa-crypto.aead.ccm-plaintext-too-long-for-nonce',
    title: 'CCM refuses a plaintext length that does not fit the nonce',
    spec: SPEC,
    clause: '10.5.1 PSA_ALG_CCM',
    level: 'MUST',
    requirement: 'psa_aead_set_nonce sets L = 15 - nonce_length; if the plaintext length cannot be encoded in L octets, PSA_ERROR_INVALID_ARGUMENT is returned: a 13-byte nonce (L = 2) with a declared plaintext of 65536 bytes.',
    services: ['crypto'],
    capabilities: caps(CCM),
    run: async (t) => {
      const k = await aeadKey(t, CCM, pattern(32, 72));
      const op = await aeadOp(t, k, Alg.CCM, true);
      const s = await client(t).aeadSetLengths(op, 0, 65536);
      expectPsa(t, s, PSA.SUCCESS, 'psa_aead_set_lengths(0, 65536)');
      expectPsa(t, await client(t).aeadSetNonce(op, pattern(13, 73)), PSA.ERROR_INVALID_ARGUMENT, 'psa_aead_set_nonce(13 bytes)');
    },
  }),
  check({
    id: 'psa-crypto.aead.generate-nonce-length',
    title: 'psa_aead_generate_nonce gives the default nonce length of each algorithm',
    spec: SPEC,
    clause: '10.5.3 psa_aead_generate_nonce',
    level: 'MUST',
    requirement: 'Calling psa_aead_generate_nonce() generates a 12-byte nonce for GCM and ChaCha20-Poly1305; for CCM it selects the smallest L >= 2 with plaintext_length < 2^(8L) and returns 15 - L bytes (13 for 100 bytes, 12 for 70000 bytes).',
    services: ['crypto'],
    capabilities: [algCap(Alg.GCM), keyCap(KeyType.AES)],
    run: async (t) => {
      const c = client(t);
      for (const [a, pt, expected] of [
        [GCM, 100, 12],
        [AEADS[2]!, 100, 12],
        [CCM, 100, 13],
        [CCM, 70000, 12],
      ] as const) {
        const k = await aeadKey(t, a, pattern(a.keyLen, 74));
        const r = await c.aeadSetup(k, a.alg, true);
        if (r.status === PSA.ERROR_NOT_SUPPORTED && t.cap(algCap(a.alg)) !== true) continue;
        expectPsa(t, r.status, PSA.SUCCESS, `psa_aead_encrypt_setup(${algName(a.alg)})`);
        t.defer(() => c.aeadAbort(r.value!));
        expectPsa(t, await c.aeadSetLengths(r.value!, 0, pt), PSA.SUCCESS, `psa_aead_set_lengths(0, ${pt})`);
        const n = await c.aeadGenerateNonce(r.value!);
        expectPsa(t, n.status, PSA.SUCCESS, `psa_aead_generate_nonce(${algName(a.alg)})`);
        t.expectEqual(n.value!.length, expected, `${algName(a.alg)} nonce length for a ${pt}-byte plaintext`);
      }
    },
  }),
  check({
    id: 'psa-crypto.aead.generate-nonce-random',
    title: 'psa_aead_generate_nonce does not repeat nonces',
    spec: SPEC,
    clause: '10.5.3 psa_aead_generate_nonce',
    level: 'MUST',
    requirement: 'psa_aead_generate_nonce generates a random nonce: four GCM encryptions under the same key get four distinct nonces (a repeated GCM nonce leaks the authentication key).',
    services: ['crypto'],
    capabilities: caps(GCM),
    run: async (t) => {
      const k = await aeadKey(t, GCM, pattern(16, 75));
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const op = await aeadOp(t, k, Alg.GCM, true);
        const n = await client(t).aeadGenerateNonce(op);
        expectPsa(t, n.status, PSA.SUCCESS, 'psa_aead_generate_nonce');
        const x = hex(n.value!);
        t.assert(!seen.has(x), `psa_aead_generate_nonce repeated the nonce ${x}`, { expected: 'distinct nonces', actual: `repeated ${x}` });
        seen.add(x);
        await client(t).aeadAbort(op);
      }
    },
  }),
  check({
    id: 'psa-crypto.aead.gcm-shortened-tag',
    title: 'a GCM tag shortened to 12 bytes is the prefix of the full tag',
    spec: SPEC,
    clause: '10.5.1 PSA_ALG_AEAD_WITH_SHORTENED_TAG',
    level: 'MUST',
    requirement: 'GCM supports tag sizes of 4, 8, 12..16 bytes; PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_GCM, 12) produces the same ciphertext and a tag that is the first 12 bytes of the SP 800-38D tag.',
    services: ['crypto'],
    capabilities: caps(GCM),
    run: async (t) => {
      const alg = C.aeadWithShortenedTag(Alg.GCM, 12);
      const keyBytes = pattern(16, 76);
      const k = await aeadKey(t, GCM, keyBytes, alg);
      const nonce = pattern(12, 77);
      const pt = pattern(25, 78);
      const r = await client(t).aeadEncrypt(k, alg, nonce, new Uint8Array(0), pt);
      supported(t, r.status, algCap(Alg.GCM), r.step);
      expectPsa(t, r.status, PSA.SUCCESS, `psa_aead_encrypt(${algName(alg)}) at ${r.step}`);
      const e = O.aeadEncrypt(Alg.GCM, keyBytes, nonce, new Uint8Array(0), pt, 16);
      t.expectBytes(r.value!, concat(e.ciphertext, e.tag.subarray(0, 12)), 'ciphertext || 12-byte tag');
    },
  }),
  check({
    id: 'psa-crypto.aead.invalid-tag-lengths',
    title: 'tag lengths an AEAD does not define are refused',
    spec: SPEC,
    clause: '10.5.1 PSA_ALG_AEAD_WITH_SHORTENED_TAG',
    level: 'MUST',
    requirement: 'GCM supports tags of 4, 8, 12, 13, 14, 15, 16 bytes and CCM of 4, 6, ..., 16 bytes: psa_aead_encrypt_setup with GCM/5, GCM/17, CCM/5 and CCM/3 returns PSA_ERROR_INVALID_ARGUMENT or PSA_ERROR_NOT_SUPPORTED.',
    services: ['crypto'],
    capabilities: [algCap(Alg.GCM), algCap(Alg.CCM), keyCap(KeyType.AES)],
    run: async (t) => {
      for (const [base, n] of [
        [Alg.GCM, 5],
        [Alg.GCM, 17],
        [Alg.CCM, 5],
        [Alg.CCM, 3],
      ] as const) {
        const alg = C.aeadWithShortenedTag(base, n);
        const k = await aeadKey(t, GCM, pattern(16, 79), alg);
        const r = await client(t).aeadSetup(k, alg, true);
        if (r.status === PSA.SUCCESS) t.defer(() => client(t).aeadAbort(r.value!));
        expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, `psa_aead_encrypt_setup(${algName(alg)})`);
      }
    },
  }),
  check({
    id: 'psa-crypto.aead.chacha20-poly1305-truncated-tag',
    title: 'ChaCha20-Poly1305 with a truncated tag is rejected',
    spec: SPEC,
    clause: '10.5.1 PSA_ALG_CHACHA20_POLY1305',
    level: 'SHOULD',
    requirement: 'Implementations must support 16-byte tags; it is recommended that truncated tag sizes are rejected: psa_aead_encrypt_setup(PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_CHACHA20_POLY1305, 8)) fails.',
    services: ['crypto'],
    capabilities: caps(AEADS[2]!),
    run: async (t) => {
      const alg = C.aeadWithShortenedTag(Alg.CHACHA20_POLY1305, 8);
      const k = await aeadKey(t, AEADS[2]!, pattern(32, 80), alg);
      const r = await client(t).aeadSetup(k, alg, true);
      if (r.status === PSA.SUCCESS) {
        t.defer(() => client(t).aeadAbort(r.value!));
        t.fail(`psa_aead_encrypt_setup(${algName(alg)}) was accepted`, { expected: 'a truncated ChaCha20-Poly1305 tag rejected', actual: 'PSA_SUCCESS' });
      }
    },
  }),
  ...STATE_CASES.map(([name, title, requirement, clause, encrypt, a, run]) =>
    check({
      id: `psa-crypto.aead.${name}`,
      title: `${title} returns BAD_STATE`,
      spec: SPEC,
      clause,
      level: 'MUST',
      requirement,
      services: ['crypto'],
      capabilities: caps(a),
      run: async (t) => {
        const k = await aeadKey(t, a, pattern(a.keyLen, 81));
        const op = await aeadOp(t, k, a.alg, encrypt);
        expectPsa(t, await run(t, op), PSA.ERROR_BAD_STATE, title);
      },
    }),
  ),
  ...LENGTH_CASES.map(([name, title, requirement, clause, run]) =>
    check({
      id: `psa-crypto.aead.${name}`,
      title: `${title} is refused`,
      spec: SPEC,
      clause,
      level: 'MUST',
      requirement,
      services: ['crypto'],
      capabilities: caps(GCM),
      run: async (t) => {
        const k = await aeadKey(t, GCM, pattern(16, 82));
        const op = await aeadOp(t, k, Alg.GCM, true);
        expectPsa(t, await client(t).aeadSetLengths(op, 10, 20), PSA.SUCCESS, 'psa_aead_set_lengths(10, 20)');
        await setNonce(t, op, GCM);
        expectPsa(t, await run(t, op), PSA.ERROR_INVALID_ARGUMENT, title);
      },
    }),
  ),
  check({
    id: 'psa-crypto.aead.error-state-after-verify-failure',
    title: 'a failed psa_aead_verify leaves the operation in an error state',
    spec: SPEC,
    clause: '10.5.3 psa_aead_verify',
    level: 'MUST',
    requirement: 'If psa_aead_verify returns an error status, the operation enters an error state and must be aborted: a second psa_aead_verify (with the correct tag) returns PSA_ERROR_BAD_STATE, not PSA_SUCCESS; psa_aead_abort returns PSA_SUCCESS.',
    services: ['crypto'],
    capabilities: caps(GCM),
    run: async (t) => {
      const keyBytes = pattern(16, 83);
      const k = await aeadKey(t, GCM, keyBytes);
      const c = client(t);
      const nonce = pattern(12, 84);
      const pt = pattern(20, 85);
      const e = O.aeadEncrypt(Alg.GCM, keyBytes, nonce, new Uint8Array(0), pt, 16);
      const op = await aeadOp(t, k, Alg.GCM, false);
      expectPsa(t, await c.aeadSetNonce(op, nonce), PSA.SUCCESS, 'psa_aead_set_nonce');
      expectPsa(t, (await c.aeadUpdate(op, e.ciphertext)).status, PSA.SUCCESS, 'psa_aead_update');
      expectPsa(t, (await c.aeadVerify(op, flipBit(e.tag, 3))).status, PSA.ERROR_INVALID_SIGNATURE, 'psa_aead_verify with a wrong tag');
      expectPsa(t, (await c.aeadVerify(op, e.tag)).status, PSA.ERROR_BAD_STATE, 'psa_aead_verify again with the correct tag');
      expectPsa(t, await c.aeadAbort(op), PSA.SUCCESS, 'psa_aead_abort');
    },
  }),
  check({
    id: 'psa-crypto.aead.abort-twice',
    title: 'psa_aead_abort after abort or finish succeeds, and the handle is then inactive',
    spec: SPEC,
    clause: '10.5.3 psa_aead_abort',
    level: 'MUST',
    requirement: 'Calling psa_aead_abort() after the operation has been terminated by psa_aead_abort(), psa_aead_finish() or psa_aead_verify() is safe and has no effect; psa_aead_update on the aborted operation returns PSA_ERROR_BAD_STATE.',
    services: ['crypto'],
    capabilities: caps(GCM),
    run: async (t) => {
      const k = await aeadKey(t, GCM, pattern(16, 86));
      const c = client(t);
      const a = await aeadOp(t, k, Alg.GCM, true);
      await setNonce(t, a, GCM);
      expectPsa(t, await c.aeadAbort(a), PSA.SUCCESS, 'psa_aead_abort');
      expectPsa(t, await c.aeadAbort(a), PSA.SUCCESS, 'psa_aead_abort again');
      expectPsa(t, (await c.aeadUpdate(a, pattern(4))).status, PSA.ERROR_BAD_STATE, 'psa_aead_update after abort');
      const b = await aeadOp(t, k, Alg.GCM, true);
      await setNonce(t, b, GCM);
      expectPsa(t, (await c.aeadFinish(b)).status, PSA.SUCCESS, 'psa_aead_finish');
      expectPsa(t, await c.aeadAbort(b), PSA.SUCCESS, 'psa_aead_abort after finish');
    },
  }),
  check({
    id: 'psa-crypto.aead.setup-not-aead',
    title: 'psa_aead_encrypt_setup refuses an algorithm that is not an AEAD',
    spec: SPEC,
    clause: '10.5.3 psa_aead_encrypt_setup',
    level: 'MUST',
    requirement: 'psa_aead_encrypt_setup returns PSA_ERROR_INVALID_ARGUMENT (alg is not an AEAD algorithm) or PSA_ERROR_NOT_SUPPORTED for PSA_ALG_CTR and PSA_ALG_CMAC.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES)],
    run: async (t) => {
      for (const alg of [Alg.CTR, Alg.CMAC]) {
        const k = await aeadKey(t, GCM, pattern(16, 87), alg);
        const r = await client(t).aeadSetup(k, alg, true);
        if (r.status === PSA.SUCCESS) t.defer(() => client(t).aeadAbort(r.value!));
        expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, `psa_aead_encrypt_setup(${algName(alg)})`);
      }
    },
  }),
  check({
    id: 'psa-crypto.aead.setup-incompatible-key',
    title: 'GCM with a ChaCha20 key and ChaCha20-Poly1305 with an AES key are refused',
    spec: SPEC,
    clause: '10.5.3 psa_aead_encrypt_setup',
    level: 'MUST',
    requirement: 'psa_aead_encrypt_setup returns PSA_ERROR_INVALID_ARGUMENT (key is not compatible with alg) or PSA_ERROR_NOT_SUPPORTED when the key type does not fit the AEAD.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES), keyCap(KeyType.CHACHA20)],
    run: async (t) => {
      const ch = await aeadKey(t, AEADS[2]!, pattern(32, 88), Alg.GCM);
      const r1 = await client(t).aeadSetup(ch, Alg.GCM, true);
      if (r1.status === PSA.SUCCESS) t.defer(() => client(t).aeadAbort(r1.value!));
      expectPsa(t, r1.status, INVALID_OR_UNSUPPORTED, 'psa_aead_encrypt_setup(GCM) with a ChaCha20 key');
      const aes = await aeadKey(t, GCM, pattern(32, 89), Alg.CHACHA20_POLY1305);
      const r2 = await client(t).aeadSetup(aes, Alg.CHACHA20_POLY1305, true);
      if (r2.status === PSA.SUCCESS) t.defer(() => client(t).aeadAbort(r2.value!));
      expectPsa(t, r2.status, INVALID_OR_UNSUPPORTED, 'psa_aead_encrypt_setup(ChaCha20-Poly1305) with an AES key');
    },
  }),
  check({
    id: 'psa-crypto.aead.setup-wildcard',
    title: 'a wildcard AEAD policy is not an algorithm to compute',
    spec: SPEC,
    clause: '10.5.1 PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG',
    level: 'MUST',
    requirement: 'PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG builds a permitted-algorithm policy; used as the algorithm of psa_aead_encrypt_setup it is refused (INVALID_ARGUMENT, NOT_SUPPORTED or NOT_PERMITTED).',
    services: ['crypto'],
    capabilities: caps(GCM),
    run: async (t) => {
      const alg = C.aeadWithAtLeastThisLengthTag(Alg.GCM, 12);
      const k = await aeadKey(t, GCM, pattern(16, 90), alg);
      const r = await client(t).aeadSetup(k, alg, true);
      if (r.status === PSA.SUCCESS) t.defer(() => client(t).aeadAbort(r.value!));
      expectPsa(t, r.status, [...INVALID_OR_UNSUPPORTED, PSA.ERROR_NOT_PERMITTED], `psa_aead_encrypt_setup(${algName(alg)})`);
    },
  }),
];
