// 9.5 Key policies: every usage flag is enforced by every function that
// needs it; the permitted algorithm is matched exactly or through the
// wildcards of 9.5.1 (ANY_HASH, AT_LEAST_THIS_LENGTH_MAC/TAG, standalone key
// agreement); PSA_ALG_NONE permits no cryptographic operation.
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { algName, usageName } from '../../protocol/psa/crypto/names.js';
import { check } from '../harness/check.js';
import type { CheckContext, CheckDef } from '../harness/types.js';
import { algCap, keyCap } from './caps.js';
import { ALL_USAGE, Alg, KdfStep, KeyType, SPEC, Usage, cleanupIfCreated, client, expectPsa, importKey, pattern, supported } from './common.js';
import * as O from './oracle.js';
import { EC_SCALARS } from './sign.js';
import { RSA_2048_PRIVATE } from './testkeys.js';

const P256 = O.CURVES.p256;
const P256_PAIR = C.eccKeyPair(C.EccFamily.SECP_R1);
const P256_CAP = keyCap(P256_PAIR, 256);
const ECDSA256 = C.ecdsa(Alg.SHA_256);
const HKDF256 = C.hkdf(Alg.SHA_256);
const OAEP256 = C.rsaOaep(Alg.SHA_256);

type KeyKind = 'aes' | 'hmac' | 'p256' | 'rsa' | 'derive';

async function keyOf(t: CheckContext, kind: KeyKind, usage: number, alg: number): Promise<number> {
  switch (kind) {
    case 'aes':
      return importKey(t, { type: KeyType.AES, usage, alg }, pattern(16, 230), keyCap(KeyType.AES));
    case 'hmac':
      return importKey(t, { type: KeyType.HMAC, usage, alg }, pattern(32, 231), keyCap(KeyType.HMAC));
    case 'p256':
      return importKey(t, { type: P256_PAIR, usage, alg }, EC_SCALARS.p256, P256_CAP);
    case 'rsa':
      return importKey(t, { type: KeyType.RSA_KEY_PAIR, usage, alg }, RSA_2048_PRIVATE, keyCap(KeyType.RSA_KEY_PAIR));
    case 'derive':
      return importKey(t, { type: KeyType.DERIVE, usage, alg }, pattern(32, 232), keyCap(KeyType.DERIVE));
  }
}

const KIND_CAP: Record<KeyKind, string> = {
  aes: keyCap(KeyType.AES),
  hmac: keyCap(KeyType.HMAC),
  p256: P256_CAP,
  rsa: keyCap(KeyType.RSA_KEY_PAIR),
  derive: keyCap(KeyType.DERIVE),
};

/** Runs the operation; returns its status (anything set up is aborted afterwards). */
type Op = (t: CheckContext, key: number, alg: number) => Promise<number>;

const ops = {
  cipherEncrypt: (async (t, k, alg) => setupStatus(t, 'cipher', await client(t).cipherSetup(k, alg, true))) as Op,
  cipherDecrypt: (async (t, k, alg) => setupStatus(t, 'cipher', await client(t).cipherSetup(k, alg, false))) as Op,
  aeadEncrypt: (async (t, k, alg) => setupStatus(t, 'aead', await client(t).aeadSetup(k, alg, true))) as Op,
  aeadDecrypt: (async (t, k, alg) => setupStatus(t, 'aead', await client(t).aeadSetup(k, alg, false))) as Op,
  macSign: (async (t, k, alg) => setupStatus(t, 'mac', await client(t).macSetup(k, alg, true))) as Op,
  macVerify: (async (t, k, alg) => setupStatus(t, 'mac', await client(t).macSetup(k, alg, false))) as Op,
  signHash: (async (t, k, alg) => (await client(t).signHash(k, alg, new Uint8Array(C.hashLength(alg) || 32))).status) as Op,
  verifyHash: (async (t, k, alg) => client(t).verifyHash(k, alg, new Uint8Array(C.hashLength(alg) || 32), new Uint8Array(64))) as Op,
  signMessage: (async (t, k, alg) => (await client(t).signMessage(k, alg, pattern(10))).status) as Op,
  verifyMessage: (async (t, k, alg) => client(t).verifyMessage(k, alg, pattern(10), new Uint8Array(64))) as Op,
  asymEncrypt: (async (t, k, alg) => (await client(t).asymmetricEncrypt(k, alg, pattern(10))).status) as Op,
  asymDecrypt: (async (t, k, alg) => (await client(t).asymmetricDecrypt(k, alg, O.rsaEncrypt(O.rsaTestKey().pub, alg, pattern(10)))).status) as Op,
  exportKey: (async (t, k) => (await client(t).exportKey(k)).status) as Op,
  copyKey: (async (t, k) => {
    const r = await client(t).copyKey(k, { type: 0, usage: Usage.ENCRYPT, alg: 0 });
    cleanupIfCreated(t, r.status, r.value);
    return r.status;
  }) as Op,
  kdfInputKey: (async (t, k, alg) => {
    const s = await client(t).kdfSetup(alg);
    expectPsa(t, s.status, PSA.SUCCESS, `precondition psa_key_derivation_setup(${algName(alg)})`);
    t.defer(() => client(t).kdfAbort(s.value!));
    return client(t).kdfInputKey(s.value!, KdfStep.SECRET, k);
  }) as Op,
  rawAgreement: (async (t, k, alg) => (await client(t).rawKeyAgreement(alg, k, O.ecPublicOf(P256, pattern(32, 233)))).status) as Op,
  kdfAgreement: (async (t, k, alg) => {
    const s = await client(t).kdfSetup(alg);
    expectPsa(t, s.status, PSA.SUCCESS, `precondition psa_key_derivation_setup(${algName(alg)})`);
    t.defer(() => client(t).kdfAbort(s.value!));
    return client(t).kdfKeyAgreement(s.value!, KdfStep.SECRET, k, O.ecPublicOf(P256, pattern(32, 234)));
  }) as Op,
};

function setupStatus(t: CheckContext, kind: 'cipher' | 'aead' | 'mac', r: { status: number; value?: number }): number {
  if (r.status === PSA.SUCCESS) {
    const c = client(t);
    t.defer(() => (kind === 'cipher' ? c.cipherAbort(r.value!) : kind === 'aead' ? c.aeadAbort(r.value!) : c.macAbort(r.value!)));
  }
  return r.status;
}

type UsageCase = [name: string, flag: number, remove: number, kind: KeyKind, alg: number, fn: string, op: Op];

const USAGE_CASES: UsageCase[] = [
  ['encrypt-cipher', Usage.ENCRYPT, Usage.ENCRYPT, 'aes', Alg.CTR, 'psa_cipher_encrypt_setup', ops.cipherEncrypt],
  ['encrypt-aead', Usage.ENCRYPT, Usage.ENCRYPT, 'aes', Alg.GCM, 'psa_aead_encrypt_setup', ops.aeadEncrypt],
  ['encrypt-asymmetric', Usage.ENCRYPT, Usage.ENCRYPT, 'rsa', OAEP256, 'psa_asymmetric_encrypt', ops.asymEncrypt],
  ['decrypt-cipher', Usage.DECRYPT, Usage.DECRYPT, 'aes', Alg.CTR, 'psa_cipher_decrypt_setup', ops.cipherDecrypt],
  ['decrypt-aead', Usage.DECRYPT, Usage.DECRYPT, 'aes', Alg.GCM, 'psa_aead_decrypt_setup', ops.aeadDecrypt],
  ['decrypt-asymmetric', Usage.DECRYPT, Usage.DECRYPT, 'rsa', OAEP256, 'psa_asymmetric_decrypt', ops.asymDecrypt],
  ['sign-message-mac', Usage.SIGN_MESSAGE, Usage.SIGN_MESSAGE | Usage.SIGN_HASH, 'hmac', C.hmac(Alg.SHA_256), 'psa_mac_sign_setup', ops.macSign],
  ['sign-message-asymmetric', Usage.SIGN_MESSAGE, Usage.SIGN_MESSAGE | Usage.SIGN_HASH, 'p256', ECDSA256, 'psa_sign_message', ops.signMessage],
  ['verify-message-mac', Usage.VERIFY_MESSAGE, Usage.VERIFY_MESSAGE | Usage.VERIFY_HASH, 'hmac', C.hmac(Alg.SHA_256), 'psa_mac_verify_setup', ops.macVerify],
  ['verify-message-asymmetric', Usage.VERIFY_MESSAGE, Usage.VERIFY_MESSAGE | Usage.VERIFY_HASH, 'p256', ECDSA256, 'psa_verify_message', ops.verifyMessage],
  ['sign-hash', Usage.SIGN_HASH, Usage.SIGN_HASH, 'p256', ECDSA256, 'psa_sign_hash', ops.signHash],
  ['verify-hash', Usage.VERIFY_HASH, Usage.VERIFY_HASH, 'p256', ECDSA256, 'psa_verify_hash', ops.verifyHash],
  ['derive-input-key', Usage.DERIVE, Usage.DERIVE | Usage.VERIFY_DERIVATION, 'derive', HKDF256, 'psa_key_derivation_input_key', ops.kdfInputKey],
  ['derive-raw-key-agreement', Usage.DERIVE, Usage.DERIVE, 'p256', Alg.ECDH, 'psa_raw_key_agreement', ops.rawAgreement],
  ['derive-key-agreement', Usage.DERIVE, Usage.DERIVE, 'p256', C.keyAgreement(Alg.ECDH, HKDF256), 'psa_key_derivation_key_agreement', ops.kdfAgreement],
  ['export', Usage.EXPORT, Usage.EXPORT, 'aes', Alg.CTR, 'psa_export_key', ops.exportKey],
  ['copy', Usage.COPY, Usage.COPY, 'aes', Alg.CTR, 'psa_copy_key', ops.copyKey],
];

const FLAG_NAME = (f: number) => `PSA_KEY_USAGE_${usageName(f)}`;

type AlgCase = [name: string, kind: KeyKind, policy: number, requested: number, fn: string, op: Op, usage: number, permitted: boolean, clause: string, requirement: string];

const ALG_CASES: AlgCase[] = [
  ['mismatch-cipher', 'aes', Alg.CTR, Alg.CBC_NO_PADDING, 'psa_cipher_encrypt_setup', ops.cipherEncrypt, Usage.ENCRYPT, false, '9.5.1 Permitted algorithms', 'A specific algorithm value permits exactly that algorithm: a key for PSA_ALG_CTR cannot set up PSA_ALG_CBC_NO_PADDING (PSA_ERROR_NOT_PERMITTED).'],
  ['mismatch-aead', 'aes', Alg.GCM, Alg.CCM, 'psa_aead_encrypt_setup', ops.aeadEncrypt, Usage.ENCRYPT, false, '9.5.1 Permitted algorithms', 'A key for PSA_ALG_GCM cannot set up PSA_ALG_CCM: PSA_ERROR_NOT_PERMITTED.'],
  ['mismatch-mac-hash', 'hmac', C.hmac(Alg.SHA_256), C.hmac(Alg.SHA_384), 'psa_mac_sign_setup', ops.macSign, Usage.SIGN_MESSAGE, false, '9.5.1 Permitted algorithms', 'A key for HMAC-SHA-256 cannot compute HMAC-SHA-384: PSA_ERROR_NOT_PERMITTED.'],
  ['mismatch-sign-hash', 'p256', ECDSA256, C.ecdsa(Alg.SHA_384), 'psa_sign_hash', ops.signHash, Usage.SIGN_HASH, false, '9.5.1 Permitted algorithms', 'A key for PSA_ALG_ECDSA(PSA_ALG_SHA_256) cannot sign with PSA_ALG_ECDSA(PSA_ALG_SHA_384): PSA_ERROR_NOT_PERMITTED.'],
  ['mismatch-asymmetric-encryption', 'rsa', OAEP256, Alg.RSA_PKCS1V15_CRYPT, 'psa_asymmetric_encrypt', ops.asymEncrypt, Usage.ENCRYPT, false, '9.5.1 Permitted algorithms', 'A key for PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256) cannot encrypt with PSA_ALG_RSA_PKCS1V15_CRYPT: PSA_ERROR_NOT_PERMITTED (padding-oracle exposure).'],
  ['mismatch-kdf', 'derive', HKDF256, C.hkdf(Alg.SHA_384), 'psa_key_derivation_input_key', ops.kdfInputKey, Usage.DERIVE, false, '10.6.3 psa_key_derivation_input_key', 'psa_key_derivation_input_key returns PSA_ERROR_NOT_PERMITTED when the key does not permit the operation\'s algorithm: an HKDF-SHA-256 key in an HKDF-SHA-384 derivation.'],
  ['combined-policy-not-raw', 'p256', C.keyAgreement(Alg.ECDH, HKDF256), Alg.ECDH, 'psa_raw_key_agreement', ops.rawAgreement, Usage.DERIVE, false, '9.5.1 Permitted algorithms', 'A key whose policy is PSA_ALG_KEY_AGREEMENT(PSA_ALG_ECDH, PSA_ALG_HKDF(...)) permits that combination only, not the raw agreement (which would hand out the unprocessed secret): PSA_ERROR_NOT_PERMITTED.'],
  ['standalone-ka-permits-combined', 'p256', Alg.ECDH, C.keyAgreement(Alg.ECDH, HKDF256), 'psa_key_derivation_key_agreement', ops.kdfAgreement, Usage.DERIVE, true, '9.5.1 Permitted algorithms', 'A standalone key agreement algorithm also permits the specified key agreement scheme to be combined with any key derivation algorithm.'],
  ['any-hash-permits-sha-256', 'p256', C.ecdsa(Alg.ANY_HASH), ECDSA256, 'psa_sign_hash', ops.signHash, Usage.SIGN_HASH, true, '9.5.1 Permitted algorithms', 'A signature algorithm constructed with PSA_ALG_ANY_HASH permits the specified signature scheme with any hash: PSA_ALG_ECDSA(PSA_ALG_ANY_HASH) permits PSA_ALG_ECDSA(PSA_ALG_SHA_256).'],
  ['any-hash-permits-sha-384', 'p256', C.ecdsa(Alg.ANY_HASH), C.ecdsa(Alg.SHA_384), 'psa_sign_hash', ops.signHash, Usage.SIGN_HASH, true, '9.5.1 Permitted algorithms', 'PSA_ALG_ECDSA(PSA_ALG_ANY_HASH) permits PSA_ALG_ECDSA(PSA_ALG_SHA_384) too.'],
  ['any-hash-not-ecdsa-any', 'p256', C.ecdsa(Alg.ANY_HASH), Alg.ECDSA_ANY, 'psa_sign_hash', ops.signHash, Usage.SIGN_HASH, false, '10.7.1 PSA_ALG_ECDSA_ANY', 'PSA_ALG_ECDSA_ANY cannot be used with the wildcard key policy PSA_ALG_ECDSA(PSA_ALG_ANY_HASH); it is only permitted when PSA_ALG_ECDSA_ANY is the key\'s permitted-algorithm policy.'],
  ['any-hash-other-scheme', 'p256', C.ecdsa(Alg.ANY_HASH), C.deterministicEcdsa(Alg.SHA_256), 'psa_sign_hash', ops.signHash, Usage.SIGN_HASH, false, '9.5.1 Permitted algorithms', 'The ANY_HASH wildcard permits the specified signature scheme only: PSA_ALG_ECDSA(PSA_ALG_ANY_HASH) does not permit PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256).'],
  ['any-hash-rsa-raw', 'rsa', C.rsaPkcs1v15Sign(Alg.ANY_HASH), Alg.RSA_PKCS1V15_SIGN_RAW, 'psa_sign_hash', async (t, k, alg) => (await client(t).signHash(k, alg, pattern(51))).status, Usage.SIGN_HASH, true, '9.5.1 Permitted algorithms', 'PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_ANY_HASH) also permits the PSA_ALG_RSA_PKCS1V15_SIGN_RAW signature algorithm.'],
  ['mac-truncation-not-permitted', 'hmac', C.hmac(Alg.SHA_256), C.truncatedMac(C.hmac(Alg.SHA_256), 16), 'psa_mac_sign_setup', ops.macSign, Usage.SIGN_MESSAGE, false, '9.5.1 Permitted algorithms', 'A key for the full-length HMAC-SHA-256 does not permit PSA_ALG_TRUNCATED_MAC(..., 16): a truncated MAC is another algorithm (accepting it lets an attacker forge 16-byte tags).'],
  ['mac-at-least-permits-longer', 'hmac', C.atLeastThisLengthMac(C.hmac(Alg.SHA_256), 16), C.truncatedMac(C.hmac(Alg.SHA_256), 20), 'psa_mac_sign_setup', ops.macSign, Usage.SIGN_MESSAGE, true, '10.3.1 PSA_ALG_AT_LEAST_THIS_LENGTH_MAC', 'A key with PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(HMAC-SHA-256, 16) can be used with HMAC-SHA-256 truncated to 20 bytes (length >= the minimum).'],
  ['mac-at-least-permits-full', 'hmac', C.atLeastThisLengthMac(C.hmac(Alg.SHA_256), 16), C.hmac(Alg.SHA_256), 'psa_mac_sign_setup', ops.macSign, Usage.SIGN_MESSAGE, true, '10.3.1 PSA_ALG_AT_LEAST_THIS_LENGTH_MAC', 'The minimum-length wildcard permits the untruncated MAC of the same base algorithm.'],
  ['mac-at-least-rejects-shorter', 'hmac', C.atLeastThisLengthMac(C.hmac(Alg.SHA_256), 16), C.truncatedMac(C.hmac(Alg.SHA_256), 10), 'psa_mac_sign_setup', ops.macSign, Usage.SIGN_MESSAGE, false, '10.3.1 PSA_ALG_AT_LEAST_THIS_LENGTH_MAC', 'A key with PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(HMAC-SHA-256, 16) cannot be used with a MAC truncated to 10 bytes: PSA_ERROR_NOT_PERMITTED.'],
  ['mac-at-least-other-base', 'hmac', C.atLeastThisLengthMac(C.hmac(Alg.SHA_256), 16), C.hmac(Alg.SHA_512), 'psa_mac_sign_setup', ops.macSign, Usage.SIGN_MESSAGE, false, '10.3.1 PSA_ALG_AT_LEAST_THIS_LENGTH_MAC', 'The minimum-length wildcard applies to MACs sharing the same base algorithm: HMAC-SHA-512 is not permitted by a wildcard on HMAC-SHA-256.'],
  ['aead-at-least-permits', 'aes', C.aeadWithAtLeastThisLengthTag(Alg.GCM, 12), C.aeadWithShortenedTag(Alg.GCM, 14), 'psa_aead_encrypt_setup', ops.aeadEncrypt, Usage.ENCRYPT, true, '10.5.1 PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG', 'A key with PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG(PSA_ALG_GCM, 12) can be used with GCM and a 14-byte tag.'],
  ['aead-at-least-rejects-shorter', 'aes', C.aeadWithAtLeastThisLengthTag(Alg.GCM, 12), C.aeadWithShortenedTag(Alg.GCM, 8), 'psa_aead_encrypt_setup', ops.aeadEncrypt, Usage.ENCRYPT, false, '10.5.1 PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG', 'The minimum-tag-length wildcard does not permit a shorter tag: GCM with an 8-byte tag is PSA_ERROR_NOT_PERMITTED.'],
  ['aead-shortened-not-permitted', 'aes', Alg.GCM, C.aeadWithShortenedTag(Alg.GCM, 8), 'psa_aead_encrypt_setup', ops.aeadEncrypt, Usage.ENCRYPT, false, '9.5.1 Permitted algorithms', 'A key for PSA_ALG_GCM (16-byte tag) does not permit PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_GCM, 8): PSA_ERROR_NOT_PERMITTED.'],
];

export default [
  ...USAGE_CASES.map(([name, flag, remove, kind, alg, fn, op]) =>
    check({
      id: `psa-crypto.policy.usage-${name}`,
      title: `${fn} needs ${FLAG_NAME(flag)}`,
      spec: SPEC,
      clause: `9.5.2 ${FLAG_NAME(flag)}`,
      level: 'MUST',
      requirement: `The flag ${FLAG_NAME(flag)} must be present on keys used with ${fn}: with every other usage flag set${remove !== flag ? ` (and without ${usageName(remove & ~flag)}, which implies or replaces it)` : ''}, ${fn} returns PSA_ERROR_NOT_PERMITTED.`,
      services: ['crypto'],
      capabilities: [KIND_CAP[kind], ...(alg ? [algCap(alg)] : [])],
      run: async (t) => {
        const usage = ALL_USAGE & ~remove;
        const key = await keyOf(t, kind, usage, alg);
        const s = await op(t, key, alg);
        supported(t, s, algCap(alg), fn);
        expectPsa(t, s, PSA.ERROR_NOT_PERMITTED, `${fn} with usage ${usageName(usage)}`);
      },
    }),
  ),
  check({
    id: 'psa-crypto.policy.sign-message-does-not-grant-sign-hash',
    title: 'PSA_KEY_USAGE_SIGN_MESSAGE alone does not permit psa_sign_hash',
    spec: SPEC,
    clause: '9.5.2 PSA_KEY_USAGE_SIGN_HASH',
    level: 'MUST',
    requirement: 'SIGN_HASH implies SIGN_MESSAGE, not the reverse: a key with only PSA_KEY_USAGE_SIGN_MESSAGE can psa_sign_message, and psa_sign_hash returns PSA_ERROR_NOT_PERMITTED (signing arbitrary hashes is the stronger permission).',
    services: ['crypto'],
    capabilities: [P256_CAP, algCap(ECDSA256)],
    run: async (t) => {
      const key = await keyOf(t, 'p256', Usage.SIGN_MESSAGE, ECDSA256);
      const m = await client(t).signMessage(key, ECDSA256, pattern(10));
      supported(t, m.status, algCap(ECDSA256), 'psa_sign_message');
      expectPsa(t, m.status, PSA.SUCCESS, 'psa_sign_message with SIGN_MESSAGE');
      expectPsa(t, (await client(t).signHash(key, ECDSA256, new Uint8Array(32))).status, PSA.ERROR_NOT_PERMITTED, 'psa_sign_hash with SIGN_MESSAGE only');
    },
  }),
  check({
    id: 'psa-crypto.policy.alg-none',
    title: 'a key whose permitted algorithm is PSA_ALG_NONE can be exported, not used',
    spec: SPEC,
    clause: '9.5.1 Permitted algorithms',
    level: 'MUST',
    requirement: 'PSA_ALG_NONE does not permit any cryptographic operation with the key; the key can still be used for non-cryptographic actions such as exporting, if permitted by the usage flags.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES)],
    run: async (t) => {
      const key = await keyOf(t, 'aes', ALL_USAGE, Alg.NONE);
      expectPsa(t, await ops.cipherEncrypt(t, key, Alg.CTR), PSA.ERROR_NOT_PERMITTED, 'psa_cipher_encrypt_setup(CTR)');
      expectPsa(t, await ops.aeadEncrypt(t, key, Alg.GCM), PSA.ERROR_NOT_PERMITTED, 'psa_aead_encrypt_setup(GCM)');
      expectPsa(t, await ops.macSign(t, key, Alg.CMAC), PSA.ERROR_NOT_PERMITTED, 'psa_mac_sign_setup(CMAC)');
      expectPsa(t, await ops.exportKey(t, key, 0), PSA.SUCCESS, 'psa_export_key');
    },
  }),
  ...ALG_CASES.map(([name, kind, policy, requested, fn, op, usage, permitted, clause, requirement]) =>
    check({
      id: `psa-crypto.policy.alg-${name}`,
      title: `a key permitting ${algName(policy)} ${permitted ? 'can' : 'cannot'} be used with ${algName(requested)}`,
      spec: SPEC,
      clause,
      level: 'MUST',
      requirement,
      services: ['crypto'],
      capabilities: [KIND_CAP[kind], algCap(requested)],
      run: async (t) => {
        const key = await keyOf(t, kind, usage, policy);
        const s = await op(t, key, requested);
        if (permitted) {
          supported(t, s, algCap(requested), fn);
          expectPsa(t, s, PSA.SUCCESS, `${fn}(${algName(requested)}) with a key permitting ${algName(policy)}`);
        } else {
          expectPsa(t, s, PSA.ERROR_NOT_PERMITTED, `${fn}(${algName(requested)}) with a key permitting ${algName(policy)}`);
        }
      },
    }),
  ),
] satisfies CheckDef[];
