// Printable names for every PSA Crypto identifier, so reports say
// PSA_ALG_ECDSA(PSA_ALG_SHA_256) instead of 0x06000609 and
// PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1) instead of 0x7112.
// Unknown values keep their hex, never throw.
import * as C from './constants.js';

const hex = (v: number, w = 8) => `0x${(v >>> 0).toString(16).padStart(w, '0')}`;

const KEY_TYPE_NAMES = new Map<number, string>(Object.entries(C.KeyType).map(([k, v]) => [v, `PSA_KEY_TYPE_${k}`]));
const ECC_FAMILY_NAMES = new Map<number, string>(Object.entries(C.EccFamily).map(([k, v]) => [v, `PSA_ECC_FAMILY_${k}`]));
const DH_FAMILY_NAMES = new Map<number, string>(Object.entries(C.DhFamily).map(([k, v]) => [v, `PSA_DH_FAMILY_${k}`]));

export function eccFamilyName(f: number): string {
  return ECC_FAMILY_NAMES.get(f) ?? hex(f, 2);
}

export function keyTypeName(t: number): string {
  const n = KEY_TYPE_NAMES.get(t);
  if (n) return n;
  if (C.isEccType(t)) return `PSA_KEY_TYPE_ECC_${C.isKeyPairType(t) ? 'KEY_PAIR' : 'PUBLIC_KEY'}(${eccFamilyName(C.eccFamilyOf(t))})`;
  if (C.isDhType(t)) {
    const g = t & 0xff;
    return `PSA_KEY_TYPE_DH_${C.isKeyPairType(t) ? 'KEY_PAIR' : 'PUBLIC_KEY'}(${DH_FAMILY_NAMES.get(g) ?? hex(g, 2)})`;
  }
  return `key type ${hex(t, 4)}`;
}

/** Short design names of key types, used in capability names (crypto.key.<name>). */
export function keyTypeShort(t: number): string {
  if (C.isEccType(t)) return `ecc-${eccFamilyName(C.eccFamilyOf(t)).replace('PSA_ECC_FAMILY_', '').toLowerCase().replace(/_/g, '-')}`;
  if (C.isRsaType(t)) return 'rsa';
  const n = KEY_TYPE_NAMES.get(t);
  return n ? n.replace('PSA_KEY_TYPE_', '').toLowerCase().replace(/_/g, '-') : hex(t, 4);
}

const FIXED_ALG_NAMES = new Map<number, string>();
for (const [k, v] of Object.entries(C.Alg)) {
  if (k === 'HKDF_EXTRACT_BASE') continue;
  FIXED_ALG_NAMES.set(v, `PSA_ALG_${k}`);
}

function hashName(h: number): string {
  return FIXED_ALG_NAMES.get(h) ?? hex(h);
}

/** `PSA_ALG_ECDSA(PSA_ALG_SHA_256)`, `PSA_ALG_TRUNCATED_MAC(PSA_ALG_CMAC, 8)`, ... */
export function algName(alg: number): string {
  alg = alg >>> 0;
  const fixed = FIXED_ALG_NAMES.get(alg);
  if (fixed) return fixed;
  const h = C.hashOf(alg);
  if (C.isMac(alg)) {
    const base = C.macBaseOf(alg);
    const baseName = C.isHmac(base) ? `PSA_ALG_HMAC(${hashName(h)})` : (FIXED_ALG_NAMES.get(base) ?? `MAC ${hex(base)}`);
    const len = C.macTruncationOf(alg);
    if (C.hasAtLeastFlag(alg)) return `PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(${baseName}, ${len})`;
    if (len) return `PSA_ALG_TRUNCATED_MAC(${baseName}, ${len})`;
    return baseName;
  }
  if (C.isAead(alg)) {
    const base = C.aeadWithDefaultLengthTag(alg);
    const baseName = FIXED_ALG_NAMES.get(base) ?? `AEAD ${hex(base)}`;
    const len = C.aeadTagLengthOf(alg);
    if (C.hasAtLeastFlag(alg)) return `PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG(${baseName}, ${len})`;
    if (base !== alg) return `PSA_ALG_AEAD_WITH_SHORTENED_TAG(${baseName}, ${len})`;
    return baseName;
  }
  if (C.isSign(alg)) {
    if (C.isRsaPkcs1v15Sign(alg)) return `PSA_ALG_RSA_PKCS1V15_SIGN(${hashName(h)})`;
    if (C.isRsaPssAnySalt(alg)) return `PSA_ALG_RSA_PSS_ANY_SALT(${hashName(h)})`;
    if (C.isRsaPss(alg)) return `PSA_ALG_RSA_PSS(${hashName(h)})`;
    if (C.isDeterministicEcdsa(alg)) return `PSA_ALG_DETERMINISTIC_ECDSA(${hashName(h)})`;
    if (C.isRandomizedEcdsa(alg)) return `PSA_ALG_ECDSA(${hashName(h)})`;
  }
  if (C.isAsymmetricEncryption(alg) && C.isRsaOaep(alg)) return `PSA_ALG_RSA_OAEP(${hashName(h)})`;
  if (C.isKeyDerivation(alg)) {
    if (C.isHkdf(alg)) return `PSA_ALG_HKDF(${hashName(h)})`;
    if (C.isHkdfExtract(alg)) return `PSA_ALG_HKDF_EXTRACT(${hashName(h)})`;
    if (C.isHkdfExpand(alg)) return `PSA_ALG_HKDF_EXPAND(${hashName(h)})`;
    if (C.isTls12Prf(alg)) return `PSA_ALG_TLS12_PRF(${hashName(h)})`;
    if (C.isTls12PskToMs(alg)) return `PSA_ALG_TLS12_PSK_TO_MS(${hashName(h)})`;
    if (C.isPbkdf2Hmac(alg)) return `PSA_ALG_PBKDF2_HMAC(${hashName(h)})`;
    if (C.isSp800108CounterHmac(alg)) return `PSA_ALG_SP800_108_COUNTER_HMAC(${hashName(h)})`;
  }
  if (C.isKeyAgreement(alg) && !C.isStandaloneKeyAgreement(alg)) {
    const ka = C.kaBaseOf(alg);
    return `PSA_ALG_KEY_AGREEMENT(${FIXED_ALG_NAMES.get(ka) ?? hex(ka)}, ${algName(C.kdfOf(alg))})`;
  }
  return `algorithm ${hex(alg)}`;
}

const USAGE_NAMES = Object.entries(C.Usage) as [string, number][];

/** `SIGN_HASH|VERIFY_HASH`, `NONE`, unknown bits as hex. */
export function usageName(u: number): string {
  if (u === 0) return 'NONE';
  const parts: string[] = [];
  for (const [k, bit] of USAGE_NAMES) if (u & bit) parts.push(k);
  const unknown = (u & ~C.USAGE_DEFINED) >>> 0;
  if (unknown) parts.push(hex(unknown));
  return parts.join('|');
}

export function lifetimeName(l: number): string {
  if (l === C.Lifetime.VOLATILE) return 'PSA_KEY_LIFETIME_VOLATILE';
  if (l === C.Lifetime.PERSISTENT) return 'PSA_KEY_LIFETIME_PERSISTENT';
  const p = C.persistenceOf(l);
  const pn = p === C.Persistence.VOLATILE ? 'VOLATILE' : p === C.Persistence.DEFAULT ? 'DEFAULT' : p === C.Persistence.READ_ONLY ? 'READ_ONLY' : hex(p, 2);
  return `lifetime ${hex(l)} (persistence ${pn}, location ${hex(C.locationOf(l), 6)})`;
}

export function keyIdName(id: number): string {
  if (id === 0) return 'PSA_KEY_ID_NULL';
  return hex(id);
}

const STEP_NAMES = new Map<number, string>(Object.entries(C.KdfStep).map(([k, v]) => [v, `PSA_KEY_DERIVATION_INPUT_${k}`]));
export function stepName(step: number): string {
  return STEP_NAMES.get(step) ?? `step ${hex(step, 4)}`;
}

const OPCODE_FUNCTIONS: Record<number, string> = {
  [C.CryptoOpcode.GENERATE_KEY]: 'psa_generate_key',
  [C.CryptoOpcode.DESTROY_KEY]: 'psa_destroy_key',
  [C.CryptoOpcode.EXPORT_KEY]: 'psa_export_key',
  [C.CryptoOpcode.EXPORT_PUBLIC_KEY]: 'psa_export_public_key',
  [C.CryptoOpcode.IMPORT_KEY]: 'psa_import_key',
  [C.CryptoOpcode.SIGN_HASH]: 'psa_sign_hash',
  [C.CryptoOpcode.VERIFY_HASH]: 'psa_verify_hash',
  [C.CryptoOpcode.ASYMMETRIC_DECRYPT]: 'psa_asymmetric_decrypt',
  [C.CryptoOpcode.ASYMMETRIC_ENCRYPT]: 'psa_asymmetric_encrypt',
  [C.CryptoOpcode.GENERATE_RANDOM]: 'psa_generate_random',
  [C.CryptoOpcode.COPY_KEY]: 'psa_copy_key',
  [C.CryptoOpcode.PURGE_KEY]: 'psa_purge_key',
  [C.CryptoOpcode.GET_KEY_ATTRIBUTES]: 'psa_get_key_attributes',
  [C.CryptoOpcode.SIGN_MESSAGE]: 'psa_sign_message',
  [C.CryptoOpcode.VERIFY_MESSAGE]: 'psa_verify_message',
  [C.CryptoOpcode.VERIFY_PKCS7_SIGNATURE]: 'verify_pkcs7_signature (TS)',
  [C.CryptoOpcode.GET_UEFI_PRIV_AUTH_VAR_FINGERPRINT]: 'get_uefi_priv_auth_var_fingerprint (TS)',
  [C.CryptoOpcode.HASH_SETUP]: 'psa_hash_setup',
  [C.CryptoOpcode.HASH_UPDATE]: 'psa_hash_update',
  [C.CryptoOpcode.HASH_FINISH]: 'psa_hash_finish',
  [C.CryptoOpcode.HASH_ABORT]: 'psa_hash_abort',
  [C.CryptoOpcode.HASH_VERIFY]: 'psa_hash_verify',
  [C.CryptoOpcode.HASH_CLONE]: 'psa_hash_clone',
  [C.CryptoOpcode.CIPHER_ENCRYPT_SETUP]: 'psa_cipher_encrypt_setup',
  [C.CryptoOpcode.CIPHER_DECRYPT_SETUP]: 'psa_cipher_decrypt_setup',
  [C.CryptoOpcode.CIPHER_GENERATE_IV]: 'psa_cipher_generate_iv',
  [C.CryptoOpcode.CIPHER_SET_IV]: 'psa_cipher_set_iv',
  [C.CryptoOpcode.CIPHER_UPDATE]: 'psa_cipher_update',
  [C.CryptoOpcode.CIPHER_FINISH]: 'psa_cipher_finish',
  [C.CryptoOpcode.CIPHER_ABORT]: 'psa_cipher_abort',
  [C.CryptoOpcode.KEY_DERIVATION_SETUP]: 'psa_key_derivation_setup',
  [C.CryptoOpcode.KEY_DERIVATION_GET_CAPACITY]: 'psa_key_derivation_get_capacity',
  [C.CryptoOpcode.KEY_DERIVATION_SET_CAPACITY]: 'psa_key_derivation_set_capacity',
  [C.CryptoOpcode.KEY_DERIVATION_INPUT_BYTES]: 'psa_key_derivation_input_bytes',
  [C.CryptoOpcode.KEY_DERIVATION_INPUT_KEY]: 'psa_key_derivation_input_key',
  [C.CryptoOpcode.KEY_DERIVATION_OUTPUT_BYTES]: 'psa_key_derivation_output_bytes',
  [C.CryptoOpcode.KEY_DERIVATION_OUTPUT_KEY]: 'psa_key_derivation_output_key',
  [C.CryptoOpcode.KEY_DERIVATION_ABORT]: 'psa_key_derivation_abort',
  [C.CryptoOpcode.KEY_DERIVATION_KEY_AGREEMENT]: 'psa_key_derivation_key_agreement',
  [C.CryptoOpcode.KEY_DERIVATION_RAW_KEY_AGREEMENT]: 'psa_raw_key_agreement',
  [C.CryptoOpcode.KEY_DERIVATION_INPUT_INTEGER]: 'psa_key_derivation_input_integer (fwsec extension)',
  [C.CryptoOpcode.MAC_SIGN_SETUP]: 'psa_mac_sign_setup',
  [C.CryptoOpcode.MAC_VERIFY_SETUP]: 'psa_mac_verify_setup',
  [C.CryptoOpcode.MAC_UPDATE]: 'psa_mac_update',
  [C.CryptoOpcode.MAC_SIGN_FINISH]: 'psa_mac_sign_finish',
  [C.CryptoOpcode.MAC_VERIFY_FINISH]: 'psa_mac_verify_finish',
  [C.CryptoOpcode.MAC_ABORT]: 'psa_mac_abort',
  [C.CryptoOpcode.AEAD_ENCRYPT_SETUP]: 'psa_aead_encrypt_setup',
  [C.CryptoOpcode.AEAD_DECRYPT_SETUP]: 'psa_aead_decrypt_setup',
  [C.CryptoOpcode.AEAD_GENERATE_NONCE]: 'psa_aead_generate_nonce',
  [C.CryptoOpcode.AEAD_SET_NONCE]: 'psa_aead_set_nonce',
  [C.CryptoOpcode.AEAD_SET_LENGTHS]: 'psa_aead_set_lengths',
  [C.CryptoOpcode.AEAD_UPDATE_AD]: 'psa_aead_update_ad',
  [C.CryptoOpcode.AEAD_UPDATE]: 'psa_aead_update',
  [C.CryptoOpcode.AEAD_FINISH]: 'psa_aead_finish',
  [C.CryptoOpcode.AEAD_VERIFY]: 'psa_aead_verify',
  [C.CryptoOpcode.AEAD_ABORT]: 'psa_aead_abort',
};

/** The PSA function an opcode carries, e.g. `psa_sign_hash`. */
export function cryptoOpcodeName(op: number): string {
  return OPCODE_FUNCTIONS[op] ?? `crypto opcode ${hex(op, 4)}`;
}

export function isKnownCryptoOpcode(op: number): boolean {
  return OPCODE_FUNCTIONS[op] !== undefined;
}

export { hex as hexId };
