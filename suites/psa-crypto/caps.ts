// The capabilities a profile declares for a PSA Crypto target: one per
// algorithm family (crypto.alg.*), one per key type and size
// (crypto.key.*), and a few features. Declared false: the checks that need
// it are UNSUPPORTED without running. Declared true: the target must
// implement it; NOT_SUPPORTED is then a FAIL. Undeclared: a NOT_SUPPORTED
// answer makes the check UNSUPPORTED.
import * as C from '../../protocol/psa/crypto/constants.js';
import type { CapabilityDoc } from '../harness/types.js';

const { Alg, KeyType, EccFamily } = C;

const HASH_CAPS: Record<number, string> = {
  [Alg.MD5]: 'md5',
  [Alg.RIPEMD160]: 'ripemd160',
  [Alg.SHA_1]: 'sha-1',
  [Alg.SHA_224]: 'sha-224',
  [Alg.SHA_256]: 'sha-256',
  [Alg.SHA_384]: 'sha-384',
  [Alg.SHA_512]: 'sha-512',
  [Alg.SHA_512_224]: 'sha-512-224',
  [Alg.SHA_512_256]: 'sha-512-256',
  [Alg.SHA3_224]: 'sha3-224',
  [Alg.SHA3_256]: 'sha3-256',
  [Alg.SHA3_384]: 'sha3-384',
  [Alg.SHA3_512]: 'sha3-512',
};

/** `crypto.alg.<name>` for an algorithm (hash-parameterised algorithms name their family). */
export function algCap(alg: number): string {
  const a = alg >>> 0;
  if (C.isHash(a)) return `crypto.alg.${HASH_CAPS[a] ?? 'hash-other'}`;
  if (C.isHmac(a)) return 'crypto.alg.hmac';
  if (C.isMac(a)) return C.macBaseOf(a) === Alg.CMAC ? 'crypto.alg.cmac' : 'crypto.alg.cbc-mac';
  if (C.isAead(a)) {
    const b = C.aeadWithDefaultLengthTag(a);
    return b === Alg.GCM ? 'crypto.alg.gcm' : b === Alg.CCM ? 'crypto.alg.ccm' : 'crypto.alg.chacha20-poly1305';
  }
  const fixed: Record<number, string> = {
    [Alg.ECB_NO_PADDING]: 'ecb-no-padding',
    [Alg.CBC_NO_PADDING]: 'cbc-no-padding',
    [Alg.CBC_PKCS7]: 'cbc-pkcs7',
    [Alg.CTR]: 'ctr',
    [Alg.CFB]: 'cfb',
    [Alg.OFB]: 'ofb',
    [Alg.STREAM_CIPHER]: 'stream-cipher',
    [Alg.ECDSA_ANY]: 'ecdsa-any',
    [Alg.PURE_EDDSA]: 'pure-eddsa',
    [Alg.RSA_PKCS1V15_SIGN_RAW]: 'rsa-pkcs1v15-sign-raw',
    [Alg.RSA_PKCS1V15_CRYPT]: 'rsa-pkcs1v15-crypt',
    [Alg.ECDH]: 'ecdh',
  };
  if (fixed[a]) return `crypto.alg.${fixed[a]}`;
  if (C.isDeterministicEcdsa(a)) return 'crypto.alg.deterministic-ecdsa';
  if (C.isRandomizedEcdsa(a)) return 'crypto.alg.ecdsa';
  if (C.isRsaPkcs1v15Sign(a)) return 'crypto.alg.rsa-pkcs1v15-sign';
  if (C.isRsaPssAnySalt(a)) return 'crypto.alg.rsa-pss-any-salt';
  if (C.isRsaPss(a)) return 'crypto.alg.rsa-pss';
  if (C.isRsaOaep(a)) return 'crypto.alg.rsa-oaep';
  if (C.isHkdf(a)) return 'crypto.alg.hkdf';
  if (C.isHkdfExtract(a)) return 'crypto.alg.hkdf-extract';
  if (C.isHkdfExpand(a)) return 'crypto.alg.hkdf-expand';
  if (C.isTls12Prf(a)) return 'crypto.alg.tls12-prf';
  if (C.isTls12PskToMs(a)) return 'crypto.alg.tls12-psk-to-ms';
  if (C.isPbkdf2Hmac(a)) return 'crypto.alg.pbkdf2-hmac';
  if (C.isKeyAgreement(a)) return 'crypto.alg.ecdh';
  return 'crypto.alg.other';
}

/** The capabilities an algorithm needs: its family and, for hash-parameterised ones, its hash. */
export function algCaps(alg: number): string[] {
  const caps = [algCap(alg)];
  const h = C.hashOf(alg);
  if (!C.isHash(alg) && h && h !== Alg.ANY_HASH && HASH_CAPS[h]) caps.push(algCap(h));
  if (C.isKeyAgreement(alg) && !C.isStandaloneKeyAgreement(alg)) caps.push(...algCaps(C.kdfOf(alg)));
  return [...new Set(caps)];
}

/** `crypto.key.<name>` for a key type (and size, for curves). */
export function keyCap(type: number, bits = 0): string {
  if (C.isEccType(type)) {
    const f = C.eccFamilyOf(type);
    const fam =
      f === EccFamily.SECP_R1 ? 'secp-r1' : f === EccFamily.SECP_K1 ? 'secp-k1' : f === EccFamily.MONTGOMERY ? 'montgomery' : f === EccFamily.TWISTED_EDWARDS ? 'twisted-edwards' : `family-${f.toString(16)}`;
    return `crypto.key.ecc-${fam}-${bits}`;
  }
  if (C.isRsaType(type)) return 'crypto.key.rsa-2048';
  const names: Record<number, string> = {
    [KeyType.AES]: 'aes',
    [KeyType.HMAC]: 'hmac',
    [KeyType.DERIVE]: 'derive',
    [KeyType.RAW_DATA]: 'raw-data',
    [KeyType.CHACHA20]: 'chacha20',
    [KeyType.PASSWORD]: 'password',
    [KeyType.DES]: 'des',
  };
  return `crypto.key.${names[type] ?? `type-${type.toString(16)}`}`;
}

export const PERSISTENT_CAP = 'crypto.persistent-keys';
export const GENERATE_RSA_CAP = 'crypto.generate-rsa';
export const INPUT_INTEGER_CAP = 'crypto.kdf.input-integer';
export const CHACHA20_IV16_CAP = 'crypto.cipher.chacha20-counter-iv';

const b = (description: string): CapabilityDoc => ({ type: 'boolean', description });

export const CAPABILITIES: Record<string, CapabilityDoc> = {
  'crypto.alg.md5': b('PSA_ALG_MD5 hashing'),
  'crypto.alg.ripemd160': b('PSA_ALG_RIPEMD160 hashing'),
  'crypto.alg.sha-1': b('PSA_ALG_SHA_1 (hashing, and inside HMAC, PBKDF2, OAEP)'),
  'crypto.alg.sha-224': b('PSA_ALG_SHA_224'),
  'crypto.alg.sha-256': b('PSA_ALG_SHA_256'),
  'crypto.alg.sha-384': b('PSA_ALG_SHA_384'),
  'crypto.alg.sha-512': b('PSA_ALG_SHA_512'),
  'crypto.alg.sha-512-224': b('PSA_ALG_SHA_512_224'),
  'crypto.alg.sha-512-256': b('PSA_ALG_SHA_512_256'),
  'crypto.alg.sha3-224': b('PSA_ALG_SHA3_224'),
  'crypto.alg.sha3-256': b('PSA_ALG_SHA3_256'),
  'crypto.alg.sha3-384': b('PSA_ALG_SHA3_384'),
  'crypto.alg.sha3-512': b('PSA_ALG_SHA3_512'),
  'crypto.alg.hmac': b('PSA_ALG_HMAC(hash) and its truncations'),
  'crypto.alg.cmac': b('PSA_ALG_CMAC with AES keys'),
  'crypto.alg.ecb-no-padding': b('PSA_ALG_ECB_NO_PADDING with AES keys'),
  'crypto.alg.cbc-no-padding': b('PSA_ALG_CBC_NO_PADDING with AES keys'),
  'crypto.alg.cbc-pkcs7': b('PSA_ALG_CBC_PKCS7 with AES keys'),
  'crypto.alg.ctr': b('PSA_ALG_CTR with AES keys'),
  'crypto.alg.cfb': b('PSA_ALG_CFB (CFB-128) with AES keys'),
  'crypto.alg.ofb': b('PSA_ALG_OFB with AES keys'),
  'crypto.alg.stream-cipher': b('PSA_ALG_STREAM_CIPHER with ChaCha20 keys (RFC 8439 variant)'),
  'crypto.alg.gcm': b('PSA_ALG_GCM with AES keys, including shortened tags'),
  'crypto.alg.ccm': b('PSA_ALG_CCM with AES keys, including the shortened tags 4..14'),
  'crypto.alg.chacha20-poly1305': b('PSA_ALG_CHACHA20_POLY1305 (12-byte nonce)'),
  'crypto.alg.ecdsa': b('PSA_ALG_ECDSA(hash), randomized'),
  'crypto.alg.ecdsa-any': b('PSA_ALG_ECDSA_ANY (ECDSA of a caller-provided hash)'),
  'crypto.alg.deterministic-ecdsa': b('PSA_ALG_DETERMINISTIC_ECDSA(hash) (RFC 6979)'),
  'crypto.alg.pure-eddsa': b('PSA_ALG_PURE_EDDSA with Ed25519 keys'),
  'crypto.alg.rsa-pkcs1v15-sign': b('PSA_ALG_RSA_PKCS1V15_SIGN(hash)'),
  'crypto.alg.rsa-pkcs1v15-sign-raw': b('PSA_ALG_RSA_PKCS1V15_SIGN_RAW'),
  'crypto.alg.rsa-pss': b('PSA_ALG_RSA_PSS(hash)'),
  'crypto.alg.rsa-pss-any-salt': b('PSA_ALG_RSA_PSS_ANY_SALT(hash)'),
  'crypto.alg.rsa-pkcs1v15-crypt': b('PSA_ALG_RSA_PKCS1V15_CRYPT'),
  'crypto.alg.rsa-oaep': b('PSA_ALG_RSA_OAEP(hash)'),
  'crypto.alg.ecdh': b('PSA_ALG_ECDH, raw and combined with a KDF'),
  'crypto.alg.hkdf': b('PSA_ALG_HKDF(hash)'),
  'crypto.alg.hkdf-extract': b('PSA_ALG_HKDF_EXTRACT(hash)'),
  'crypto.alg.hkdf-expand': b('PSA_ALG_HKDF_EXPAND(hash)'),
  'crypto.alg.tls12-prf': b('PSA_ALG_TLS12_PRF(hash)'),
  'crypto.alg.tls12-psk-to-ms': b('PSA_ALG_TLS12_PSK_TO_MS(hash)'),
  'crypto.alg.pbkdf2-hmac': b('PSA_ALG_PBKDF2_HMAC(hash) (needs crypto.kdf.input-integer over packed-c)'),
  'crypto.key.aes': b('PSA_KEY_TYPE_AES keys of 128, 192 and 256 bits'),
  'crypto.key.hmac': b('PSA_KEY_TYPE_HMAC keys'),
  'crypto.key.derive': b('PSA_KEY_TYPE_DERIVE keys'),
  'crypto.key.raw-data': b('PSA_KEY_TYPE_RAW_DATA keys'),
  'crypto.key.chacha20': b('PSA_KEY_TYPE_CHACHA20 keys'),
  'crypto.key.password': b('PSA_KEY_TYPE_PASSWORD keys'),
  'crypto.key.rsa-2048': b('RSA key pairs and public keys of 2048 bits (imported)'),
  'crypto.key.ecc-secp-r1-256': b('ECC keys on secp256r1 (P-256)'),
  'crypto.key.ecc-secp-r1-384': b('ECC keys on secp384r1 (P-384)'),
  'crypto.key.ecc-secp-r1-521': b('ECC keys on secp521r1 (P-521)'),
  'crypto.key.ecc-secp-k1-256': b('ECC keys on secp256k1'),
  'crypto.key.ecc-montgomery-255': b('Curve25519 (X25519) keys'),
  'crypto.key.ecc-twisted-edwards-255': b('Edwards25519 (Ed25519) keys'),
  [PERSISTENT_CAP]: b('persistent keys (PSA_KEY_LIFETIME_PERSISTENT with an id from the user range)'),
  [GENERATE_RSA_CAP]: b('psa_generate_key for RSA key pairs (slow on most targets; one check uses it)'),
  [INPUT_INTEGER_CAP]: b('the fwsec extension opcode 0x04f0 psa_key_derivation_input_integer (absent from Trusted Services 1.2.0)'),
  [CHACHA20_IV16_CAP]: b('psa_cipher_set_iv with the 16-byte counter||nonce form for ChaCha20 (optional in the spec)'),
};
