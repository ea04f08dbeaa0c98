// 10.4 Unauthenticated ciphers: psa_cipher_encrypt/decrypt (composed of the
// multi-part calls), psa_cipher_encrypt_setup/decrypt_setup/generate_iv/
// set_iv/update/finish/abort; AES modes and ChaCha20.
import fc from 'fast-check';
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { algName } from '../../protocol/psa/crypto/names.js';
import { concat, hex } from '../../protocol/bytes.js';
import { check, checkProp } from '../harness/check.js';
import type { CheckContext, CheckDef } from '../harness/types.js';
import { CHACHA20_IV16_CAP, algCap, keyCap } from './caps.js';
import { Alg, INVALID_OR_UNSUPPORTED, KeyType, SPEC, Usage, client, expectPsa, importKey, pattern, supported } from './common.js';
import * as O from './oracle.js';
import { AES_FIPS197, AES_FIPS197_PLAINTEXT, CHACHA20_RFC8439, RFC8439_PLAINTEXT, SP800_38A, SP800_38A_PLAINTEXT } from './vectors.js';

const ENC_DEC = Usage.ENCRYPT | Usage.DECRYPT;
const AES = keyCap(KeyType.AES);

export async function aesKey(t: CheckContext, alg: number, key = pattern(16, 21), usage = ENC_DEC): Promise<number> {
  return importKey(t, { type: KeyType.AES, usage, alg }, key, AES);
}

export async function cipherOp(t: CheckContext, key: number, alg: number, encrypt: boolean): Promise<number> {
  const r = await client(t).cipherSetup(key, alg, encrypt);
  const fn = encrypt ? 'psa_cipher_encrypt_setup' : 'psa_cipher_decrypt_setup';
  supported(t, r.status, algCap(alg), `${fn}(${algName(alg)})`);
  expectPsa(t, r.status, PSA.SUCCESS, `${fn}(${algName(alg)})`);
  t.defer(() => client(t).cipherAbort(r.value!));
  return r.value!;
}

interface Mode {
  name: string;
  alg: number;
  type: number;
  keyLen: number;
  ivLen: number;
  /** Input must be whole blocks. */
  blocks: boolean;
}

const MODES: Mode[] = [
  { name: 'ecb-no-padding', alg: Alg.ECB_NO_PADDING, type: KeyType.AES, keyLen: 16, ivLen: 0, blocks: true },
  { name: 'cbc-no-padding', alg: Alg.CBC_NO_PADDING, type: KeyType.AES, keyLen: 16, ivLen: 16, blocks: true },
  { name: 'cbc-pkcs7', alg: Alg.CBC_PKCS7, type: KeyType.AES, keyLen: 32, ivLen: 16, blocks: false },
  { name: 'ctr', alg: Alg.CTR, type: KeyType.AES, keyLen: 24, ivLen: 16, blocks: false },
  { name: 'cfb', alg: Alg.CFB, type: KeyType.AES, keyLen: 16, ivLen: 16, blocks: false },
  { name: 'ofb', alg: Alg.OFB, type: KeyType.AES, keyLen: 32, ivLen: 16, blocks: false },
  { name: 'chacha20', alg: Alg.STREAM_CIPHER, type: KeyType.CHACHA20, keyLen: 32, ivLen: 12, blocks: false },
];

const modeCaps = (m: Mode) => [algCap(m.alg), keyCap(m.type)];

async function modeKey(t: CheckContext, m: Mode, key: Uint8Array, usage = ENC_DEC): Promise<number> {
  return importKey(t, { type: m.type, usage, alg: m.alg }, key, keyCap(m.type));
}

/** Runs a multi-part encryption or decryption with the given fragment boundaries. */
async function runCipher(t: CheckContext, op: number, data: Uint8Array, cuts: number[]): Promise<Uint8Array> {
  const c = client(t);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const cut of [...cuts.filter((x) => x > 0 && x < data.length).sort((a, b) => a - b), data.length]) {
    const u = await c.cipherUpdate(op, data.subarray(at, cut));
    expectPsa(t, u.status, PSA.SUCCESS, `psa_cipher_update(bytes ${at}..${cut})`);
    parts.push(u.value!);
    at = cut;
  }
  const f = await c.cipherFinish(op);
  expectPsa(t, f.status, PSA.SUCCESS, 'psa_cipher_finish');
  parts.push(f.value!);
  return concat(...parts);
}

const plaintextArb = (m: Mode) =>
  m.blocks ? fc.nat({ max: 6 }).chain((n) => fc.uint8Array({ minLength: n * 16, maxLength: n * 16 })) : fc.uint8Array({ maxLength: 100 });

export default [
  ...AES_FIPS197.map((v) =>
    check({
      id: `psa-crypto.cipher.kat-aes-${v.bits}-fips197`,
      title: `AES-${v.bits} block encryption matches ${v.source}`,
      spec: SPEC,
      clause: '10.4.1 PSA_ALG_ECB_NO_PADDING',
      level: 'MUST',
      requirement: `PSA_KEY_TYPE_AES is the AES block cipher of FIPS 197: ECB encryption of 00112233...eeff under the ${v.bits}-bit key 000102... gives the ciphertext of ${v.source}.`,
      services: ['crypto'],
      capabilities: [algCap(Alg.ECB_NO_PADDING), AES],
      run: async (t) => {
        const k = await aesKey(t, Alg.ECB_NO_PADDING, v.key);
        const r = await client(t).cipherEncrypt(k, Alg.ECB_NO_PADDING, AES_FIPS197_PLAINTEXT, 0);
        supported(t, r.status, algCap(Alg.ECB_NO_PADDING), r.step);
        expectPsa(t, r.status, PSA.SUCCESS, `psa_cipher_encrypt(ECB) at ${r.step}`);
        t.expectBytes(r.value!, v.ciphertext, `AES-${v.bits}(plaintext)`);
      },
    }),
  ),
  ...SP800_38A.flatMap((v) =>
    [true, false].map((encrypt) =>
      check({
        id: `psa-crypto.cipher.kat-${v.name}-${encrypt ? 'encrypt' : 'decrypt'}`,
        title: `${algName(v.alg)} ${encrypt ? 'encryption' : 'decryption'} matches ${v.source}`,
        spec: SPEC,
        clause: `10.4.1 ${algName(v.alg)}`,
        level: 'MUST',
        requirement: `${algName(v.alg)} is the mode defined in SP 800-38A: with the IV set by psa_cipher_set_iv, ${encrypt ? 'encrypting the four-block plaintext gives' : 'decrypting the ciphertext gives back the plaintext of'} ${v.source}.`,
        services: ['crypto'],
        capabilities: [algCap(v.alg), AES],
        run: async (t) => {
          const k = await aesKey(t, v.alg, v.key);
          const op = await cipherOp(t, k, v.alg, encrypt);
          if (v.iv.length) expectPsa(t, await client(t).cipherSetIv(op, v.iv), PSA.SUCCESS, 'psa_cipher_set_iv');
          const out = await runCipher(t, op, encrypt ? SP800_38A_PLAINTEXT : v.ciphertext, [16, 37]);
          t.expectBytes(out, encrypt ? v.ciphertext : SP800_38A_PLAINTEXT, `${v.name} ${encrypt ? 'ciphertext' : 'plaintext'}`);
        },
      }),
    ),
  ),
  check({
    id: 'psa-crypto.cipher.kat-chacha20-counter-iv',
    title: 'ChaCha20 with the 16-byte counter||nonce IV matches RFC 8439 §2.4.2',
    spec: SPEC,
    clause: '10.4.1 PSA_ALG_STREAM_CIPHER',
    level: 'MAY',
    requirement: 'psa_cipher_set_iv can support a 16-byte IV for ChaCha20: the first four bytes are the counter (little-endian) and the remaining 12 the nonce. With counter 1 the RFC 8439 §2.4.2 example ciphertext results.',
    services: ['crypto'],
    capabilities: [algCap(Alg.STREAM_CIPHER), keyCap(KeyType.CHACHA20), CHACHA20_IV16_CAP],
    run: async (t) => {
      const k = await importKey(t, { type: KeyType.CHACHA20, usage: ENC_DEC, alg: Alg.STREAM_CIPHER }, CHACHA20_RFC8439.key, keyCap(KeyType.CHACHA20));
      const op = await cipherOp(t, k, Alg.STREAM_CIPHER, true);
      const s = await client(t).cipherSetIv(op, CHACHA20_RFC8439.iv16);
      if (s === PSA.ERROR_NOT_SUPPORTED || s === PSA.ERROR_INVALID_ARGUMENT) t.optional(CHACHA20_IV16_CAP, true, 'psa_cipher_set_iv does not take the 16-byte ChaCha20 IV');
      expectPsa(t, s, PSA.SUCCESS, 'psa_cipher_set_iv(16 bytes)');
      const out = await runCipher(t, op, RFC8439_PLAINTEXT, [64, 65]);
      t.expectBytes(out, CHACHA20_RFC8439.ciphertext, 'ChaCha20 ciphertext (RFC 8439 §2.4.2)');
    },
  }),
  ...MODES.flatMap((m): CheckDef[] => [
    checkProp({
      id: `psa-crypto.cipher.encrypt-differential-${m.name}`,
      title: `what psa_cipher_encrypt(${algName(m.alg)}) produces decrypts under node:crypto`,
      spec: SPEC,
      clause: '10.4.2 psa_cipher_encrypt',
      level: 'MUST',
      requirement: `The output of psa_cipher_encrypt is the IV (PSA_CIPHER_IV_LENGTH = ${m.ivLen} bytes) followed by the ciphertext; decrypting it with the same key and IV in an independent implementation gives back the plaintext, for any plaintext the mode accepts, fed in any fragments.`,
      services: ['crypto'],
      capabilities: modeCaps(m),
      numRuns: 15,
      arbitrary: () => fc.record({ pt: plaintextArb(m), cuts: fc.array(fc.nat({ max: 100 }), { maxLength: 3 }) }),
      predicate: async (t, { pt, cuts }) => {
        const keyBytes = pattern(m.keyLen, 22);
        const k = await modeKey(t, m, keyBytes);
        const op = await cipherOp(t, k, m.alg, true);
        let iv: Uint8Array = new Uint8Array(0);
        if (m.ivLen) {
          const g = await client(t).cipherGenerateIv(op);
          expectPsa(t, g.status, PSA.SUCCESS, 'psa_cipher_generate_iv');
          iv = g.value!;
          t.expectEqual(iv.length, m.ivLen, 'generated IV length (PSA_CIPHER_IV_LENGTH)');
        }
        const ct = await runCipher(t, op, pt, cuts);
        const back = O.cipher(m.alg, keyBytes, iv, ct, false);
        t.expectBytes(back, pt, `node:crypto decryption of the target's ${algName(m.alg)} ciphertext (IV ${hex(iv)})`);
      },
    }),
    checkProp({
      id: `psa-crypto.cipher.decrypt-differential-${m.name}`,
      title: `psa_cipher_decrypt(${algName(m.alg)}) recovers what node:crypto encrypted`,
      spec: SPEC,
      clause: '10.4.2 psa_cipher_decrypt',
      level: 'MUST',
      requirement: 'The input of psa_cipher_decrypt is the IV followed by the ciphertext, as psa_cipher_encrypt outputs it; decryption returns the plaintext an independent implementation encrypted.',
      services: ['crypto'],
      capabilities: modeCaps(m),
      numRuns: 15,
      arbitrary: () => fc.record({ pt: plaintextArb(m), iv: fc.uint8Array({ minLength: m.ivLen, maxLength: m.ivLen }) }),
      predicate: async (t, { pt, iv }) => {
        const keyBytes = pattern(m.keyLen, 23);
        const k = await modeKey(t, m, keyBytes);
        const ct = O.cipher(m.alg, keyBytes, iv, pt, true);
        const r = await client(t).cipherDecrypt(k, m.alg, concat(iv, ct), m.ivLen);
        supported(t, r.status, algCap(m.alg), r.step);
        expectPsa(t, r.status, PSA.SUCCESS, `psa_cipher_decrypt at ${r.step}`);
        t.expectBytes(r.value!, pt, `decryption of node:crypto's ${algName(m.alg)} ciphertext`);
      },
    }),
  ]),
  check({
    id: 'psa-crypto.cipher.generate-iv-random',
    title: 'psa_cipher_generate_iv gives a different IV each time',
    spec: SPEC,
    clause: '10.4.3 psa_cipher_generate_iv',
    level: 'MUST',
    requirement: 'psa_cipher_generate_iv generates a random IV: four CBC encryptions with the same key get four distinct IVs (a repeated IV under the same key is the classic nonce-reuse bug).',
    services: ['crypto'],
    capabilities: [algCap(Alg.CBC_NO_PADDING), AES],
    run: async (t) => {
      const k = await aesKey(t, Alg.CBC_NO_PADDING);
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const op = await cipherOp(t, k, Alg.CBC_NO_PADDING, true);
        const g = await client(t).cipherGenerateIv(op);
        expectPsa(t, g.status, PSA.SUCCESS, `psa_cipher_generate_iv #${i + 1}`);
        const x = hex(g.value!);
        t.assert(!seen.has(x), `psa_cipher_generate_iv returned the same IV twice: ${x}`, { expected: 'distinct random IVs', actual: `repeated IV ${x}` });
        seen.add(x);
        await client(t).cipherAbort(op);
      }
    },
  }),
  check({
    id: 'psa-crypto.cipher.ctr-short-iv',
    title: 'a CTR IV shorter than a block is padded with zero bytes',
    spec: SPEC,
    clause: '10.4.1 PSA_ALG_CTR',
    level: 'MUST',
    requirement: 'When using PSA_ALG_CTR, if the IV passed to psa_cipher_set_iv() is shorter than a cipher block, the initial counter block is formed by padding the end of the IV with zero bytes up to the block length (a 12-byte nonce leaves a 4-byte counter).',
    services: ['crypto'],
    capabilities: [algCap(Alg.CTR), AES],
    run: async (t) => {
      const keyBytes = pattern(16, 24);
      const k = await aesKey(t, Alg.CTR, keyBytes);
      const iv = pattern(12, 25);
      const pt = pattern(40, 26);
      const r = await client(t).cipherEncrypt(k, Alg.CTR, pt, 16, iv);
      supported(t, r.status, algCap(Alg.CTR), r.step);
      expectPsa(t, r.status, PSA.SUCCESS, `CTR encryption with a 12-byte IV at ${r.step}`);
      t.expectBytes(r.value!.subarray(12), O.cipher(Alg.CTR, keyBytes, concat(iv, new Uint8Array(4)), pt, true), 'ciphertext vs CTR with the IV zero-padded');
    },
  }),
  check({
    id: 'psa-crypto.cipher.pkcs7-full-block-padding',
    title: 'PKCS#7 adds a whole block of padding to a block-aligned message',
    spec: SPEC,
    clause: '10.4.1 PSA_ALG_CBC_PKCS7',
    level: 'MUST',
    requirement: 'PSA_ALG_CBC_PKCS7 pads as PKCS #7 (RFC 2315 §10.3) does: a 32-byte plaintext gives 48 bytes of ciphertext (after the IV), the last block holding 16 bytes of value 0x10.',
    services: ['crypto'],
    capabilities: [algCap(Alg.CBC_PKCS7), AES],
    run: async (t) => {
      const keyBytes = pattern(16, 27);
      const k = await aesKey(t, Alg.CBC_PKCS7, keyBytes);
      const pt = pattern(32, 28);
      const r = await client(t).cipherEncrypt(k, Alg.CBC_PKCS7, pt, 16);
      supported(t, r.status, algCap(Alg.CBC_PKCS7), r.step);
      expectPsa(t, r.status, PSA.SUCCESS, `psa_cipher_encrypt at ${r.step}`);
      t.expectEqual(r.value!.length, 16 + 48, 'IV + ciphertext length');
      const raw = O.cipher(Alg.CBC_NO_PADDING, keyBytes, r.value!.subarray(0, 16), r.value!.subarray(16), false);
      t.expectBytes(raw.subarray(32), new Uint8Array(16).fill(16), 'the decrypted padding block');
    },
  }),
  checkProp({
    id: 'psa-crypto.cipher.pkcs7-invalid-padding',
    title: 'CBC-PKCS7 decryption rejects every malformed padding',
    spec: SPEC,
    clause: '10.4.3 psa_cipher_finish',
    level: 'MUST',
    requirement: 'psa_cipher_finish returns PSA_ERROR_INVALID_PADDING when this is a decryption for an algorithm that includes padding and the ciphertext does not contain valid padding (last byte 0 or > 16, or padding bytes that differ).',
    services: ['crypto'],
    capabilities: [algCap(Alg.CBC_PKCS7), AES],
    numRuns: 20,
    arbitrary: () =>
      fc.oneof(
        fc.record({ kind: fc.constant('zero' as const), n: fc.constant(0), at: fc.constant(0) }),
        fc.record({ kind: fc.constant('big' as const), n: fc.integer({ min: 17, max: 255 }), at: fc.constant(0) }),
        fc.record({ kind: fc.constant('mismatch' as const), n: fc.integer({ min: 2, max: 16 }), at: fc.nat({ max: 14 }) }),
      ),
    predicate: async (t, { kind, n, at }) => {
      const keyBytes = pattern(16, 29);
      const k = await aesKey(t, Alg.CBC_PKCS7, keyBytes);
      const block = pattern(16, 30);
      block[15] = n;
      if (kind === 'mismatch') {
        block.fill(n, 16 - n);
        block[16 - n + (at % (n - 1))] = (n + 1) & 0xff;
      }
      const iv = pattern(16, 31);
      const ct = O.cipher(Alg.CBC_NO_PADDING, keyBytes, iv, concat(pattern(16, 32), block), true);
      const c = client(t);
      const op = await cipherOp(t, k, Alg.CBC_PKCS7, false);
      expectPsa(t, await c.cipherSetIv(op, iv), PSA.SUCCESS, 'psa_cipher_set_iv');
      const u = await c.cipherUpdate(op, ct);
      expectPsa(t, u.status, PSA.SUCCESS, 'psa_cipher_update');
      const f = await c.cipherFinish(op);
      expectPsa(t, f.status, PSA.ERROR_INVALID_PADDING, `psa_cipher_finish with padding ${kind} (last block ${hex(block)})`);
    },
  }),
  check({
    id: 'psa-crypto.cipher.pkcs7-decrypt-partial-block',
    title: 'CBC-PKCS7 decryption of a non-block-multiple input fails',
    spec: SPEC,
    clause: '10.4.3 psa_cipher_finish',
    level: 'MUST',
    requirement: 'A PKCS #7 ciphertext is a whole number of blocks: psa_cipher_finish after 20 bytes of ciphertext returns PSA_ERROR_INVALID_ARGUMENT (total input not valid for the algorithm) or PSA_ERROR_INVALID_PADDING, never PSA_SUCCESS.',
    services: ['crypto'],
    capabilities: [algCap(Alg.CBC_PKCS7), AES],
    run: async (t) => {
      const k = await aesKey(t, Alg.CBC_PKCS7);
      const c = client(t);
      const op = await cipherOp(t, k, Alg.CBC_PKCS7, false);
      expectPsa(t, await c.cipherSetIv(op, pattern(16, 33)), PSA.SUCCESS, 'psa_cipher_set_iv');
      expectPsa(t, (await c.cipherUpdate(op, pattern(20, 34))).status, PSA.SUCCESS, 'psa_cipher_update(20 bytes)');
      expectPsa(t, (await c.cipherFinish(op)).status, [PSA.ERROR_INVALID_ARGUMENT, PSA.ERROR_INVALID_PADDING], 'psa_cipher_finish');
    },
  }),
  ...(
    [
      [Alg.CBC_NO_PADDING, 'cbc-no-padding'],
      [Alg.ECB_NO_PADDING, 'ecb-no-padding'],
    ] as const
  ).map(([alg, name]) =>
    check({
      id: `psa-crypto.cipher.${name}-partial-block`,
      title: `${algName(alg)} refuses input that is not a whole number of blocks`,
      spec: SPEC,
      clause: '10.4.3 psa_cipher_finish',
      level: 'MUST',
      requirement: `${algName(alg)} can only be used with messages whose lengths are a multiple of the block size: after 17 bytes, psa_cipher_finish returns PSA_ERROR_INVALID_ARGUMENT.`,
      services: ['crypto'],
      capabilities: [algCap(alg), AES],
      run: async (t) => {
        const k = await aesKey(t, alg);
        const c = client(t);
        const op = await cipherOp(t, k, alg, true);
        if (C.cipherIvLength(KeyType.AES, alg)) expectPsa(t, await c.cipherSetIv(op, pattern(16, 35)), PSA.SUCCESS, 'psa_cipher_set_iv');
        const u = await c.cipherUpdate(op, pattern(17, 36));
        if (u.status === PSA.ERROR_INVALID_ARGUMENT) return; // refusing at update is also a refusal of the total input
        expectPsa(t, u.status, PSA.SUCCESS, 'psa_cipher_update(17 bytes)');
        expectPsa(t, (await c.cipherFinish(op)).status, PSA.ERROR_INVALID_ARGUMENT, 'psa_cipher_finish after 17 bytes');
      },
    }),
  ),
  check({
    id: 'psa-crypto.cipher.update-output-bound',
    title: 'CBC encryption releases each complete block by the next update',
    spec: SPEC,
    clause: '10.4.3 psa_cipher_update',
    level: 'MUST',
    requirement: 'psa_cipher_update must consume all the input; output may be delayed by at most what PSA_CIPHER_UPDATE_OUTPUT_SIZE (input_length + one block) allows: after 5 updates of 16 bytes at least 64 bytes of CBC ciphertext have been returned.',
    services: ['crypto'],
    capabilities: [algCap(Alg.CBC_NO_PADDING), AES],
    run: async (t) => {
      const k = await aesKey(t, Alg.CBC_NO_PADDING);
      const c = client(t);
      const op = await cipherOp(t, k, Alg.CBC_NO_PADDING, true);
      expectPsa(t, await c.cipherSetIv(op, pattern(16, 37)), PSA.SUCCESS, 'psa_cipher_set_iv');
      let out = 0;
      for (let i = 0; i < 5; i++) {
        const u = await c.cipherUpdate(op, pattern(16, 38 + i));
        expectPsa(t, u.status, PSA.SUCCESS, `psa_cipher_update #${i + 1}`);
        out += u.value!.length;
      }
      t.assert(out >= 64, `only ${out} bytes of ciphertext after 80 bytes of input`, { expected: 'at least 64 bytes', actual: `${out} bytes` });
    },
  }),
  check({
    id: 'psa-crypto.cipher.ecb-generate-iv',
    title: 'psa_cipher_generate_iv on ECB returns BAD_STATE',
    spec: SPEC,
    clause: '10.4.3 psa_cipher_generate_iv',
    level: 'MUST',
    requirement: 'If the cipher algorithm does not use an IV, calling psa_cipher_generate_iv returns a PSA_ERROR_BAD_STATE error.',
    services: ['crypto'],
    capabilities: [algCap(Alg.ECB_NO_PADDING), AES],
    run: async (t) => {
      const k = await aesKey(t, Alg.ECB_NO_PADDING);
      const op = await cipherOp(t, k, Alg.ECB_NO_PADDING, true);
      expectPsa(t, (await client(t).cipherGenerateIv(op)).status, PSA.ERROR_BAD_STATE, 'psa_cipher_generate_iv(ECB)');
    },
  }),
  check({
    id: 'psa-crypto.cipher.ecb-set-iv',
    title: 'psa_cipher_set_iv on ECB is refused',
    spec: SPEC,
    clause: '10.4.3 psa_cipher_set_iv',
    level: 'MUST',
    requirement: 'If the cipher algorithm does not use an IV, calling psa_cipher_set_iv returns PSA_ERROR_BAD_STATE (the text lists PSA_ERROR_INVALID_ARGUMENT for this condition too; both are accepted).',
    services: ['crypto'],
    capabilities: [algCap(Alg.ECB_NO_PADDING), AES],
    run: async (t) => {
      const k = await aesKey(t, Alg.ECB_NO_PADDING);
      const op = await cipherOp(t, k, Alg.ECB_NO_PADDING, true);
      expectPsa(t, await client(t).cipherSetIv(op, pattern(16)), [PSA.ERROR_BAD_STATE, PSA.ERROR_INVALID_ARGUMENT], 'psa_cipher_set_iv(ECB)');
    },
  }),
  ...(
    [
      ['generate-iv-on-decrypt', 'psa_cipher_generate_iv on a decryption operation', 'The application must call psa_cipher_encrypt_setup() before psa_cipher_generate_iv: on a decryption operation it returns PSA_ERROR_BAD_STATE.', false, ['gen']],
      ['generate-iv-twice', 'psa_cipher_generate_iv twice', 'psa_cipher_generate_iv requires an active operation with no IV set: a second call returns PSA_ERROR_BAD_STATE.', true, ['gen', 'gen']],
      ['set-iv-twice', 'psa_cipher_set_iv twice', 'psa_cipher_set_iv requires an active operation with no IV set: a second call returns PSA_ERROR_BAD_STATE.', true, ['set', 'set']],
      ['set-iv-after-generate', 'psa_cipher_set_iv after psa_cipher_generate_iv', 'Once psa_cipher_generate_iv set the IV, psa_cipher_set_iv returns PSA_ERROR_BAD_STATE.', true, ['gen', 'set']],
      ['update-before-iv', 'psa_cipher_update before the IV is set', 'psa_cipher_update requires an IV when the algorithm needs one: without it, PSA_ERROR_BAD_STATE.', true, ['update']],
      ['finish-before-iv', 'psa_cipher_finish before the IV is set', 'psa_cipher_finish requires an IV when the algorithm needs one: without it, PSA_ERROR_BAD_STATE.', false, ['finish']],
    ] as const
  ).map(([name, what, requirement, encrypt, steps]) =>
    check({
      id: `psa-crypto.cipher.${name}`,
      title: `${what} returns BAD_STATE`,
      spec: SPEC,
      clause: `10.4.3 ${steps.at(-1) === 'gen' ? 'psa_cipher_generate_iv' : steps.at(-1) === 'set' ? 'psa_cipher_set_iv' : steps.at(-1) === 'update' ? 'psa_cipher_update' : 'psa_cipher_finish'}`,
      level: 'MUST',
      requirement,
      services: ['crypto'],
      capabilities: [algCap(Alg.CBC_NO_PADDING), AES],
      run: async (t) => {
        const k = await aesKey(t, Alg.CBC_NO_PADDING);
        const c = client(t);
        const op = await cipherOp(t, k, Alg.CBC_NO_PADDING, encrypt);
        const call = async (s: string) =>
          s === 'gen'
            ? (await c.cipherGenerateIv(op)).status
            : s === 'set'
              ? await c.cipherSetIv(op, pattern(16, 40))
              : s === 'update'
                ? (await c.cipherUpdate(op, pattern(16, 41))).status
                : (await c.cipherFinish(op)).status;
        for (let i = 0; i < steps.length - 1; i++) expectPsa(t, await call(steps[i]!), PSA.SUCCESS, `precondition ${steps[i]}`);
        expectPsa(t, await call(steps.at(-1)!), PSA.ERROR_BAD_STATE, what);
      },
    }),
  ),
  check({
    id: 'psa-crypto.cipher.set-iv-wrong-length',
    title: 'psa_cipher_set_iv refuses a CBC IV that is not one block',
    spec: SPEC,
    clause: '10.4.3 psa_cipher_set_iv',
    level: 'MUST',
    requirement: 'CBC mode requires an IV that is the same size as the cipher block: psa_cipher_set_iv with 15 or 17 bytes returns PSA_ERROR_INVALID_ARGUMENT (iv_length is not valid) or PSA_ERROR_NOT_SUPPORTED.',
    services: ['crypto'],
    capabilities: [algCap(Alg.CBC_NO_PADDING), AES],
    run: async (t) => {
      const k = await aesKey(t, Alg.CBC_NO_PADDING);
      for (const n of [15, 17, 0]) {
        const op = await cipherOp(t, k, Alg.CBC_NO_PADDING, true);
        expectPsa(t, await client(t).cipherSetIv(op, pattern(n, 42)), INVALID_OR_UNSUPPORTED, `psa_cipher_set_iv(${n} bytes)`);
        await client(t).cipherAbort(op);
      }
    },
  }),
  check({
    id: 'psa-crypto.cipher.error-state-after-padding-failure',
    title: 'after INVALID_PADDING the operation stays in an error state until abort',
    spec: SPEC,
    clause: '10.4.3 psa_cipher_finish',
    level: 'MUST',
    requirement: 'If psa_cipher_finish returns an error status, the operation enters an error state and must be aborted: psa_cipher_update then returns PSA_ERROR_BAD_STATE; psa_cipher_abort returns PSA_SUCCESS.',
    services: ['crypto'],
    capabilities: [algCap(Alg.CBC_PKCS7), AES],
    run: async (t) => {
      const keyBytes = pattern(16, 43);
      const k = await aesKey(t, Alg.CBC_PKCS7, keyBytes);
      const c = client(t);
      const iv = pattern(16, 44);
      const ct = O.cipher(Alg.CBC_NO_PADDING, keyBytes, iv, new Uint8Array(16), true); // last byte 0: bad padding
      const op = await cipherOp(t, k, Alg.CBC_PKCS7, false);
      expectPsa(t, await c.cipherSetIv(op, iv), PSA.SUCCESS, 'psa_cipher_set_iv');
      expectPsa(t, (await c.cipherUpdate(op, ct)).status, PSA.SUCCESS, 'psa_cipher_update');
      expectPsa(t, (await c.cipherFinish(op)).status, PSA.ERROR_INVALID_PADDING, 'psa_cipher_finish');
      expectPsa(t, (await c.cipherUpdate(op, pattern(16))).status, PSA.ERROR_BAD_STATE, 'psa_cipher_update in the error state');
      expectPsa(t, await c.cipherAbort(op), PSA.SUCCESS, 'psa_cipher_abort');
    },
  }),
  check({
    id: 'psa-crypto.cipher.abort-twice',
    title: 'psa_cipher_abort after abort or finish succeeds, and the handle is then inactive',
    spec: SPEC,
    clause: '10.4.3 psa_cipher_abort',
    level: 'MUST',
    requirement: 'Calling psa_cipher_abort() after the operation has been terminated by psa_cipher_abort() or psa_cipher_finish() is safe and has no effect; psa_cipher_update on the aborted operation returns PSA_ERROR_BAD_STATE.',
    services: ['crypto'],
    capabilities: [algCap(Alg.CTR), AES],
    run: async (t) => {
      const k = await aesKey(t, Alg.CTR);
      const c = client(t);
      const a = await cipherOp(t, k, Alg.CTR, true);
      // with its IV set, an operation that survived the abort would accept the update
      expectPsa(t, await c.cipherSetIv(a, pattern(16)), PSA.SUCCESS, 'psa_cipher_set_iv');
      expectPsa(t, await c.cipherAbort(a), PSA.SUCCESS, 'psa_cipher_abort');
      expectPsa(t, await c.cipherAbort(a), PSA.SUCCESS, 'psa_cipher_abort again');
      expectPsa(t, (await c.cipherUpdate(a, pattern(4))).status, PSA.ERROR_BAD_STATE, 'psa_cipher_update after abort');
      const b = await cipherOp(t, k, Alg.CTR, true);
      expectPsa(t, await c.cipherSetIv(b, pattern(16)), PSA.SUCCESS, 'psa_cipher_set_iv');
      expectPsa(t, (await c.cipherFinish(b)).status, PSA.SUCCESS, 'psa_cipher_finish');
      expectPsa(t, await c.cipherAbort(b), PSA.SUCCESS, 'psa_cipher_abort after finish');
    },
  }),
  check({
    id: 'psa-crypto.cipher.setup-not-a-cipher',
    title: 'psa_cipher_encrypt_setup refuses an algorithm that is not a cipher',
    spec: SPEC,
    clause: '10.4.3 psa_cipher_encrypt_setup',
    level: 'MUST',
    requirement: 'psa_cipher_encrypt_setup returns PSA_ERROR_INVALID_ARGUMENT (alg is not a cipher algorithm) or PSA_ERROR_NOT_SUPPORTED for PSA_ALG_GCM and PSA_ALG_CMAC, whatever the key permits.',
    services: ['crypto'],
    capabilities: [AES],
    run: async (t) => {
      for (const alg of [Alg.GCM, Alg.CMAC]) {
        const k = await aesKey(t, alg);
        const r = await client(t).cipherSetup(k, alg, true);
        if (r.status === PSA.SUCCESS) t.defer(() => client(t).cipherAbort(r.value!));
        expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, `psa_cipher_encrypt_setup(${algName(alg)})`);
      }
    },
  }),
  check({
    id: 'psa-crypto.cipher.setup-incompatible-key',
    title: 'cipher setup refuses key types that do not fit the mode',
    spec: SPEC,
    clause: '10.4.3 psa_cipher_encrypt_setup',
    level: 'MUST',
    requirement: 'psa_cipher_encrypt_setup returns PSA_ERROR_INVALID_ARGUMENT (key is not compatible with alg) or PSA_ERROR_NOT_SUPPORTED for CBC with an HMAC key and for the stream cipher with an AES key.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.HMAC), AES],
    run: async (t) => {
      const hm = await importKey(t, { type: KeyType.HMAC, usage: ENC_DEC, alg: Alg.CBC_NO_PADDING }, pattern(16, 45), keyCap(KeyType.HMAC));
      const r1 = await client(t).cipherSetup(hm, Alg.CBC_NO_PADDING, true);
      if (r1.status === PSA.SUCCESS) t.defer(() => client(t).cipherAbort(r1.value!));
      expectPsa(t, r1.status, INVALID_OR_UNSUPPORTED, 'psa_cipher_encrypt_setup(CBC) with an HMAC key');
      const aes = await aesKey(t, Alg.STREAM_CIPHER, pattern(32, 46));
      const r2 = await client(t).cipherSetup(aes, Alg.STREAM_CIPHER, true);
      if (r2.status === PSA.SUCCESS) t.defer(() => client(t).cipherAbort(r2.value!));
      expectPsa(t, r2.status, INVALID_OR_UNSUPPORTED, 'psa_cipher_encrypt_setup(STREAM_CIPHER) with an AES key');
    },
  }),
];
