// 10.8 Asymmetric encryption: psa_asymmetric_encrypt/decrypt with RSA
// PKCS #1 v1.5 and OAEP; ciphertexts of the target decrypt under
// node:crypto, OpenSSL's decrypt on the target; padding edge cases.
import fc from 'fast-check';
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { algName } from '../../protocol/psa/crypto/names.js';
import { concat, hex, utf8 } from '../../protocol/bytes.js';
import { check, checkProp } from '../harness/check.js';
import type { CheckContext, CheckDef } from '../harness/types.js';
import { algCap, keyCap } from './caps.js';
import { Alg, INVALID_OR_UNSUPPORTED, KeyType, SPEC, Usage, client, expectPsa, pattern, supported } from './common.js';
import * as O from './oracle.js';
import { rsaKey, eccKey, EC_SCALARS } from './sign.js';

const ENC_DEC = Usage.ENCRYPT | Usage.DECRYPT;
const RSA_CAP = keyCap(KeyType.RSA_KEY_PAIR);
const OAEP256 = C.rsaOaep(Alg.SHA_256);
const PKCS1 = Alg.RSA_PKCS1V15_CRYPT;
const K = 256;

const SCHEMES: [string, number, number][] = [
  ['pkcs1v15', PKCS1, K - 11],
  ['oaep-sha-256', OAEP256, K - 2 * 32 - 2],
  ['oaep-sha-1', C.rsaOaep(Alg.SHA_1), K - 2 * 20 - 2],
];

async function encryptOk(t: CheckContext, key: number, alg: number, msg: Uint8Array, salt?: Uint8Array): Promise<Uint8Array> {
  const r = await client(t).asymmetricEncrypt(key, alg, msg, salt);
  supported(t, r.status, algCap(alg), `psa_asymmetric_encrypt(${algName(alg)})`);
  expectPsa(t, r.status, PSA.SUCCESS, `psa_asymmetric_encrypt(${algName(alg)}, ${msg.length} bytes)`);
  return r.value!;
}

export default [
  ...SCHEMES.flatMap(([name, alg, max]): CheckDef[] => {
    const caps = [algCap(alg), RSA_CAP];
    return [
      checkProp({
        id: `psa-crypto.pke.${name}-encrypt-differential`,
        title: `what the target encrypts with ${algName(alg)} decrypts under node:crypto`,
        spec: SPEC,
        clause: `10.8.1 ${C.isRsaOaep(alg) ? 'PSA_ALG_RSA_OAEP' : 'PSA_ALG_RSA_PKCS1V15_CRYPT'}`,
        level: 'MUST',
        requirement: `${C.isRsaOaep(alg) ? 'RSAES-OAEP (RFC 8017 §7.1, MGF1 with the same hash)' : 'RSAES-PKCS1-v1_5 (RFC 8017 §7.2)'}: a ciphertext of psa_asymmetric_encrypt (with the public key) decrypts to the message under an independent implementation, for messages of 0..${max} bytes.`,
        services: ['crypto'],
        capabilities: caps,
        numRuns: 8,
        arbitrary: () => fc.uint8Array({ maxLength: max }),
        predicate: async (t, msg) => {
          const key = await rsaKey(t, alg, ENC_DEC, true);
          const ct = await encryptOk(t, key, alg, msg);
          t.expectEqual(ct.length, K, 'ciphertext length (modulus size)');
          const back = O.rsaDecrypt(O.rsaTestKey().priv, alg, ct);
          t.assert(back !== undefined, `node:crypto finds no valid ${algName(alg)} padding in the ciphertext`, { expected: 'a decryptable ciphertext', actual: hex(ct, 16) });
          t.expectBytes(back!, msg, 'decrypted message');
        },
      }),
      check({
        id: `psa-crypto.pke.${name}-decrypt-foreign`,
        title: `psa_asymmetric_decrypt(${algName(alg)}) recovers what OpenSSL encrypted`,
        spec: SPEC,
        clause: '10.8.2 psa_asymmetric_decrypt',
        level: 'MUST',
        requirement: 'psa_asymmetric_decrypt with the key pair returns the message of a ciphertext produced by another implementation with the public key (empty, short and maximum-length messages).',
        services: ['crypto'],
        capabilities: caps,
        run: async (t) => {
          const key = await rsaKey(t, alg, ENC_DEC);
          for (const n of [0, 16, max]) {
            const msg = pattern(n, 130 + n);
            const r = await client(t).asymmetricDecrypt(key, alg, O.rsaEncrypt(O.rsaTestKey().pub, alg, msg));
            supported(t, r.status, algCap(alg), 'psa_asymmetric_decrypt');
            expectPsa(t, r.status, PSA.SUCCESS, `psa_asymmetric_decrypt of a ${n}-byte message`);
            t.expectBytes(r.value!, msg, `${n}-byte message`);
          }
        },
      }),
      check({
        id: `psa-crypto.pke.${name}-message-too-long`,
        title: `${algName(alg)} refuses a message one byte longer than the maximum`,
        spec: SPEC,
        clause: '10.8.2 psa_asymmetric_encrypt',
        level: 'MUST',
        requirement: `psa_asymmetric_encrypt returns PSA_ERROR_INVALID_ARGUMENT when input_length is not valid for the algorithm and key type: ${max + 1} bytes with a 2048-bit key (or PSA_ERROR_NOT_SUPPORTED for input too large for the implementation).`,
        services: ['crypto'],
        capabilities: caps,
        run: async (t) => {
          const key = await rsaKey(t, alg, ENC_DEC, true);
          const r = await client(t).asymmetricEncrypt(key, alg, pattern(max + 1, 131));
          expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, `psa_asymmetric_encrypt of ${max + 1} bytes`);
        },
      }),
    ];
  }),
  check({
    id: 'psa-crypto.pke.encrypt-randomized',
    title: 'RSA encryption is randomized',
    spec: SPEC,
    clause: '10.8.1 PSA_ALG_RSA_OAEP',
    level: 'MUST',
    requirement: 'RSAES-OAEP and RSAES-PKCS1-v1_5 use fresh random padding: encrypting the same message twice gives different ciphertexts (identical ones mean a fixed seed, which makes the scheme deterministic and breaks its security proof).',
    services: ['crypto'],
    capabilities: [algCap(OAEP256), RSA_CAP],
    run: async (t) => {
      for (const alg of [OAEP256, PKCS1]) {
        const key = await rsaKey(t, alg, ENC_DEC, true);
        const a = await encryptOk(t, key, alg, pattern(20, 132));
        const b = await encryptOk(t, key, alg, pattern(20, 132));
        t.assert(hex(a) !== hex(b), `${algName(alg)}: two encryptions of the same message are identical`, { expected: 'different ciphertexts', actual: hex(a, 16) });
      }
    },
  }),
  check({
    id: 'psa-crypto.pke.oaep-label',
    title: 'the OAEP salt is the label, and a wrong label fails',
    spec: SPEC,
    clause: '10.8.2 psa_asymmetric_decrypt',
    level: 'MUST',
    requirement: 'The salt of psa_asymmetric_encrypt/decrypt is the OAEP label (RFC 8017 §7.1): a ciphertext made with label L decrypts on the target with L, and psa_asymmetric_decrypt with another label returns PSA_ERROR_INVALID_PADDING.',
    services: ['crypto'],
    capabilities: [algCap(OAEP256), RSA_CAP],
    run: async (t) => {
      const key = await rsaKey(t, OAEP256, ENC_DEC);
      const label = utf8('fwsec label');
      const msg = pattern(30, 133);
      const ct = O.rsaEncrypt(O.rsaTestKey().pub, OAEP256, msg, label);
      const ok = await client(t).asymmetricDecrypt(key, OAEP256, ct, label);
      supported(t, ok.status, algCap(OAEP256), 'psa_asymmetric_decrypt');
      expectPsa(t, ok.status, PSA.SUCCESS, 'psa_asymmetric_decrypt with the right label');
      t.expectBytes(ok.value!, msg, 'message');
      const bad = await client(t).asymmetricDecrypt(key, OAEP256, ct, utf8('other label'));
      expectPsa(t, bad.status, PSA.ERROR_INVALID_PADDING, 'psa_asymmetric_decrypt with another label');
      const mine = await encryptOk(t, key, OAEP256, msg, label);
      const back = O.rsaDecrypt(O.rsaTestKey().priv, OAEP256, mine, label);
      t.assert(back && hex(back) === hex(msg), 'node:crypto does not decrypt the target\'s labelled ciphertext', { expected: hex(msg), actual: back ? hex(back) : 'padding error' });
    },
  }),
  check({
    id: 'psa-crypto.pke.pkcs1v15-salt-refused',
    title: 'PKCS #1 v1.5 encryption takes no salt',
    spec: SPEC,
    clause: '10.8.2 psa_asymmetric_encrypt',
    level: 'MUST',
    requirement: 'For PSA_ALG_RSA_PKCS1V15_CRYPT, no salt is supported: psa_asymmetric_encrypt with a salt returns PSA_ERROR_INVALID_ARGUMENT (salt_length is not valid for the algorithm).',
    services: ['crypto'],
    capabilities: [algCap(PKCS1), RSA_CAP],
    run: async (t) => {
      const key = await rsaKey(t, PKCS1, ENC_DEC, true);
      const r = await client(t).asymmetricEncrypt(key, PKCS1, pattern(10), pattern(8, 134));
      expectPsa(t, r.status, PSA.ERROR_INVALID_ARGUMENT, 'psa_asymmetric_encrypt(PKCS1V15_CRYPT) with an 8-byte salt');
    },
  }),
  check({
    id: 'psa-crypto.pke.decrypt-wrong-length',
    title: 'psa_asymmetric_decrypt refuses a ciphertext that is not one modulus long',
    spec: SPEC,
    clause: '10.8.2 psa_asymmetric_decrypt',
    level: 'MUST',
    requirement: 'A ciphertext of 255 or 257 bytes for a 2048-bit key is not valid: PSA_ERROR_INVALID_ARGUMENT (input_length is not valid) or PSA_ERROR_INVALID_PADDING, never PSA_SUCCESS.',
    services: ['crypto'],
    capabilities: [algCap(OAEP256), RSA_CAP],
    run: async (t) => {
      const key = await rsaKey(t, OAEP256, ENC_DEC);
      const ct = O.rsaEncrypt(O.rsaTestKey().pub, OAEP256, pattern(10, 135));
      for (const bad of [ct.subarray(1), concat(new Uint8Array(1), ct)]) {
        const r = await client(t).asymmetricDecrypt(key, OAEP256, bad);
        expectPsa(t, r.status, [PSA.ERROR_INVALID_ARGUMENT, PSA.ERROR_INVALID_PADDING], `psa_asymmetric_decrypt of ${bad.length} bytes`);
      }
    },
  }),
  check({
    id: 'psa-crypto.pke.pkcs1v15-padding-edge-cases',
    title: 'PKCS #1 v1.5 decryption rejects malformed encryption blocks',
    spec: SPEC,
    clause: '10.8.2 psa_asymmetric_decrypt',
    level: 'MUST',
    requirement: 'psa_asymmetric_decrypt returns PSA_ERROR_INVALID_PADDING when the input does not contain valid EME-PKCS1-v1_5 padding (RFC 8017 §7.2.2): block type 01 instead of 02, a leading byte that is not 00, fewer than 8 padding bytes, no 00 separator (PSA_ERROR_INVALID_ARGUMENT accepted for the all-zero input).',
    services: ['crypto'],
    capabilities: [algCap(PKCS1), RSA_CAP],
    run: async (t) => {
      const key = await rsaKey(t, PKCS1, ENC_DEC);
      const ps = (n: number) => new Uint8Array(n).fill(0x5a);
      const blocks: [string, Uint8Array][] = [
        ['block type 01', concat(Uint8Array.of(0, 1), ps(200), Uint8Array.of(0), pattern(K - 203, 136))],
        ['leading byte 01', concat(Uint8Array.of(1, 2), ps(200), Uint8Array.of(0), pattern(K - 203, 137))],
        ['7 padding bytes', concat(Uint8Array.of(0, 2), ps(7), Uint8Array.of(0), pattern(K - 10, 138))],
        ['no separator', concat(Uint8Array.of(0, 2), ps(K - 2))],
      ];
      for (const [what, em] of blocks) {
        // c = em^e mod n: the private operation gives the malformed block back
        const ct = O.rsaPublicRaw(O.rsaTestKey().pub, em);
        const r = await client(t).asymmetricDecrypt(key, PKCS1, ct);
        expectPsa(t, r.status, PSA.ERROR_INVALID_PADDING, `psa_asymmetric_decrypt of a block with ${what}`);
      }
      const zero = await client(t).asymmetricDecrypt(key, PKCS1, new Uint8Array(K));
      expectPsa(t, zero.status, [PSA.ERROR_INVALID_PADDING, PSA.ERROR_INVALID_ARGUMENT], 'psa_asymmetric_decrypt of an all-zero ciphertext');
    },
  }),
  checkProp({
    id: 'psa-crypto.pke.oaep-altered',
    title: 'OAEP decryption rejects every single-bit change of a ciphertext',
    spec: SPEC,
    clause: '10.8.2 psa_asymmetric_decrypt',
    level: 'MUST',
    requirement: 'RSAES-OAEP decryption of a ciphertext with any one bit changed fails (PSA_ERROR_INVALID_PADDING, or PSA_ERROR_INVALID_ARGUMENT when the change makes it not below the modulus).',
    services: ['crypto'],
    capabilities: [algCap(OAEP256), RSA_CAP],
    numRuns: 12,
    arbitrary: () => fc.nat({ max: 2047 }),
    predicate: async (t, bit) => {
      const key = await rsaKey(t, OAEP256, ENC_DEC);
      const ct = O.rsaEncrypt(O.rsaTestKey().pub, OAEP256, pattern(24, 139));
      const bad = ct.slice();
      bad[Math.floor(bit / 8)]! ^= 1 << (bit % 8);
      const r = await client(t).asymmetricDecrypt(key, OAEP256, bad);
      expectPsa(t, r.status, [PSA.ERROR_INVALID_PADDING, PSA.ERROR_INVALID_ARGUMENT], `psa_asymmetric_decrypt with bit ${bit} flipped`);
    },
  }),
  check({
    id: 'psa-crypto.pke.decrypt-with-public-key',
    title: 'psa_asymmetric_decrypt needs the key pair',
    spec: SPEC,
    clause: '10.8.2 psa_asymmetric_decrypt',
    level: 'MUST',
    requirement: 'The key of psa_asymmetric_decrypt must be an asymmetric key pair: with an RSA public key it returns PSA_ERROR_INVALID_ARGUMENT (or PSA_ERROR_NOT_PERMITTED).',
    services: ['crypto'],
    capabilities: [algCap(OAEP256), RSA_CAP],
    run: async (t) => {
      const key = await rsaKey(t, OAEP256, ENC_DEC, true);
      const r = await client(t).asymmetricDecrypt(key, OAEP256, O.rsaEncrypt(O.rsaTestKey().pub, OAEP256, pattern(4)));
      expectPsa(t, r.status, [PSA.ERROR_INVALID_ARGUMENT, PSA.ERROR_NOT_PERMITTED], 'psa_asymmetric_decrypt with a public key');
    },
  }),
  check({
    id: 'psa-crypto.pke.not-an-encryption-algorithm',
    title: 'psa_asymmetric_encrypt refuses a signature algorithm',
    spec: SPEC,
    clause: '10.8.2 psa_asymmetric_encrypt',
    level: 'MUST',
    requirement: 'psa_asymmetric_encrypt returns PSA_ERROR_INVALID_ARGUMENT (alg is not an asymmetric encryption algorithm) or PSA_ERROR_NOT_SUPPORTED for PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256).',
    services: ['crypto'],
    capabilities: [RSA_CAP],
    run: async (t) => {
      const alg = C.rsaPkcs1v15Sign(Alg.SHA_256);
      const key = await rsaKey(t, alg, ENC_DEC, true);
      expectPsa(t, (await client(t).asymmetricEncrypt(key, alg, pattern(4))).status, INVALID_OR_UNSUPPORTED, `psa_asymmetric_encrypt(${algName(alg)})`);
    },
  }),
  check({
    id: 'psa-crypto.pke.ecc-key-refused',
    title: 'RSA encryption with an ECC key is refused',
    spec: SPEC,
    clause: '10.8.2 psa_asymmetric_encrypt',
    level: 'MUST',
    requirement: 'psa_asymmetric_encrypt returns PSA_ERROR_INVALID_ARGUMENT (key is not compatible with alg) or PSA_ERROR_NOT_SUPPORTED for PSA_ALG_RSA_OAEP with a P-256 key.',
    services: ['crypto'],
    capabilities: [keyCap(C.eccKeyPair(C.EccFamily.SECP_R1), 256)],
    run: async (t) => {
      const key = await eccKey(t, O.CURVES.p256, EC_SCALARS.p256, OAEP256, ENC_DEC);
      expectPsa(t, (await client(t).asymmetricEncrypt(key, OAEP256, pattern(4))).status, INVALID_OR_UNSUPPORTED, 'psa_asymmetric_encrypt(OAEP) with an ECC key');
    },
  }),
];
