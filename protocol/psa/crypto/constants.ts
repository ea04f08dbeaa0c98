// PSA Certified Crypto API 1.2.1 (IHI 0086) identifiers and the encoding
// rules of Appendix B "Algorithm and key type encoding": key types, ECC
// families, algorithm identifiers and their builders, usage flags,
// lifetimes, key-id ranges and key-derivation steps. Pure values and bit
// arithmetic, shared by the client, the reference and the suite.

// ---------------------------------------------------------------- key types (B.2)

export const KeyType = {
  NONE: 0x0000,
  RAW_DATA: 0x1001,
  HMAC: 0x1100,
  DERIVE: 0x1200,
  PASSWORD: 0x1203,
  PASSWORD_HASH: 0x1205,
  PEPPER: 0x1206,
  AES: 0x2400,
  ARIA: 0x2406,
  DES: 0x2301,
  CAMELLIA: 0x2403,
  SM4: 0x2405,
  ARC4: 0x2002,
  CHACHA20: 0x2004,
  XCHACHA20: 0x2007,
  RSA_PUBLIC_KEY: 0x4001,
  RSA_KEY_PAIR: 0x7001,
} as const;

export const EccFamily = {
  SECP_K1: 0x17,
  SECP_R1: 0x12,
  SECP_R2: 0x1b,
  SECT_K1: 0x27,
  SECT_R1: 0x22,
  SECT_R2: 0x2b,
  BRAINPOOL_P_R1: 0x30,
  FRP: 0x33,
  MONTGOMERY: 0x41,
  TWISTED_EDWARDS: 0x42,
} as const;

export const DhFamily = { RFC7919: 0x03 } as const;

const ECC_PUBLIC_BASE = 0x4100;
const ECC_PAIR_BASE = 0x7100;
const DH_PUBLIC_BASE = 0x4200;
const DH_PAIR_BASE = 0x7200;
const KEY_PAIR_FLAG = 0x3000;

export const eccKeyPair = (family: number): number => ECC_PAIR_BASE | family;
export const eccPublicKey = (family: number): number => ECC_PUBLIC_BASE | family;
export const dhKeyPair = (group: number): number => DH_PAIR_BASE | group;
export const dhPublicKey = (group: number): number => DH_PUBLIC_BASE | group;

export const isAsymmetricType = (t: number): boolean => (t & 0x4000) !== 0 && (t & 0x8000) === 0;
export const isKeyPairType = (t: number): boolean => (t & 0x7000) === 0x7000;
export const isPublicKeyType = (t: number): boolean => (t & 0x7000) === 0x4000;
export const isEccType = (t: number): boolean => (t & 0xcf00) === 0x4100;
export const isRsaType = (t: number): boolean => (t & 0xcfff) === 0x4001;
export const isDhType = (t: number): boolean => (t & 0xcf00) === 0x4200;
export const eccFamilyOf = (t: number): number => t & 0xff;
export const publicTypeOf = (t: number): number => (isAsymmetricType(t) ? t & ~KEY_PAIR_FLAG : t);
export const keyPairTypeOf = (t: number): number => (isAsymmetricType(t) ? t | KEY_PAIR_FLAG : t);
/** Unstructured: the key material is raw bytes (RAW_DATA, HMAC, DERIVE, PASSWORD..., symmetric ciphers). */
export const isUnstructuredType = (t: number): boolean => (t & 0x7000) === 0x1000 || (t & 0x7000) === 0x2000;
/** Block size in bytes of a block-cipher key type (2^BLK), or 1 for stream/other. */
export function blockSizeOfType(t: number): number {
  if ((t & 0x7000) !== 0x2000) return 1;
  const blk = (t >> 8) & 0x7;
  return blk === 0 ? 1 : 1 << blk;
}

// ---------------------------------------------------------------- algorithms (B.1)

export const ALG_CATEGORY_MASK = 0x7f000000;
export const AlgCategory = {
  NONE: 0x00000000,
  HASH: 0x02000000,
  MAC: 0x03000000,
  CIPHER: 0x04000000,
  AEAD: 0x05000000,
  SIGN: 0x06000000,
  ASYMMETRIC_ENCRYPTION: 0x07000000,
  KEY_DERIVATION: 0x08000000,
  KEY_AGREEMENT: 0x09000000,
} as const;

export const Alg = {
  NONE: 0,
  MD2: 0x02000001,
  MD4: 0x02000002,
  MD5: 0x02000003,
  RIPEMD160: 0x02000004,
  SHA_1: 0x02000005,
  AES_MMO_ZIGBEE: 0x02000007,
  SHA_224: 0x02000008,
  SHA_256: 0x02000009,
  SHA_384: 0x0200000a,
  SHA_512: 0x0200000b,
  SHA_512_224: 0x0200000c,
  SHA_512_256: 0x0200000d,
  SHA3_224: 0x02000010,
  SHA3_256: 0x02000011,
  SHA3_384: 0x02000012,
  SHA3_512: 0x02000013,
  SM3: 0x02000014,
  SHAKE256_512: 0x02000015,
  ANY_HASH: 0x020000ff,
  CBC_MAC: 0x03c00100,
  CMAC: 0x03c00200,
  STREAM_CIPHER: 0x04800100,
  CTR: 0x04c01000,
  CFB: 0x04c01100,
  OFB: 0x04c01200,
  CCM_STAR_NO_TAG: 0x04c01300,
  CCM_STAR_ANY_TAG: 0x04c09300,
  XTS: 0x0440ff00,
  CBC_NO_PADDING: 0x04404000,
  CBC_PKCS7: 0x04404100,
  ECB_NO_PADDING: 0x04404400,
  CCM: 0x05500100,
  GCM: 0x05500200,
  CHACHA20_POLY1305: 0x05100500,
  XCHACHA20_POLY1305: 0x05100600,
  RSA_PKCS1V15_SIGN_RAW: 0x06000200,
  ECDSA_ANY: 0x06000600,
  PURE_EDDSA: 0x06000800,
  ED25519PH: 0x0600090b,
  ED448PH: 0x06000915,
  RSA_PKCS1V15_CRYPT: 0x07000200,
  HKDF_EXTRACT_BASE: 0x08000400,
  TLS12_ECJPAKE_TO_PMS: 0x08000609,
  SP800_108_COUNTER_CMAC: 0x08000800,
  PBKDF2_AES_CMAC_PRF_128: 0x08800200,
  FFDH: 0x09010000,
  ECDH: 0x09020000,
} as const;

const HASH_MASK = 0x000000ff;
const MAC_SUBTYPE_MASK = 0x00c07f00;
const MAC_TRUNCATION_MASK = 0x003f0000;
const MAC_TRUNCATION_OFFSET = 16;
const AT_LEAST_FLAG = 0x00008000;
const AEAD_TAG_MASK = 0x003f0000;
const AEAD_TAG_OFFSET = 16;

const HMAC_BASE = 0x03800000;
const RSA_PKCS1V15_SIGN_BASE = 0x06000200;
const RSA_PSS_BASE = 0x06000300;
const RSA_PSS_ANY_SALT_BASE = 0x06001300;
const ECDSA_BASE = 0x06000600;
const DETERMINISTIC_ECDSA_BASE = 0x06000700;
const HASH_EDDSA_BASE = 0x06000900;
const RSA_OAEP_BASE = 0x07000300;
const HKDF_BASE = 0x08000100;
const TLS12_PRF_BASE = 0x08000200;
const TLS12_PSK_TO_MS_BASE = 0x08000300;
const HKDF_EXTRACT_BASE = 0x08000400;
const HKDF_EXPAND_BASE = 0x08000500;
const SP800_108_COUNTER_HMAC_BASE = 0x08000700;
const PBKDF2_HMAC_BASE = 0x08800100;
const KA_MASK = 0x7fff0000;
const KDF_MASK = 0xfe00ffff;

export const hmac = (h: number): number => (HMAC_BASE | (h & HASH_MASK)) >>> 0;
export const rsaPkcs1v15Sign = (h: number): number => (RSA_PKCS1V15_SIGN_BASE | (h & HASH_MASK)) >>> 0;
export const rsaPss = (h: number): number => (RSA_PSS_BASE | (h & HASH_MASK)) >>> 0;
export const rsaPssAnySalt = (h: number): number => (RSA_PSS_ANY_SALT_BASE | (h & HASH_MASK)) >>> 0;
export const ecdsa = (h: number): number => (ECDSA_BASE | (h & HASH_MASK)) >>> 0;
export const deterministicEcdsa = (h: number): number => (DETERMINISTIC_ECDSA_BASE | (h & HASH_MASK)) >>> 0;
export const rsaOaep = (h: number): number => (RSA_OAEP_BASE | (h & HASH_MASK)) >>> 0;
export const hkdf = (h: number): number => (HKDF_BASE | (h & HASH_MASK)) >>> 0;
export const hkdfExtract = (h: number): number => (HKDF_EXTRACT_BASE | (h & HASH_MASK)) >>> 0;
export const hkdfExpand = (h: number): number => (HKDF_EXPAND_BASE | (h & HASH_MASK)) >>> 0;
export const tls12Prf = (h: number): number => (TLS12_PRF_BASE | (h & HASH_MASK)) >>> 0;
export const tls12PskToMs = (h: number): number => (TLS12_PSK_TO_MS_BASE | (h & HASH_MASK)) >>> 0;
export const sp800108CounterHmac = (h: number): number => (SP800_108_COUNTER_HMAC_BASE | (h & HASH_MASK)) >>> 0;
export const pbkdf2Hmac = (h: number): number => (PBKDF2_HMAC_BASE | (h & HASH_MASK)) >>> 0;
/** PSA_ALG_KEY_AGREEMENT(ka, kdf) */
export const keyAgreement = (ka: number, kdf: number): number => (ka | kdf) >>> 0;

/** PSA_ALG_TRUNCATED_MAC(mac, len) */
export const truncatedMac = (mac: number, len: number): number =>
  ((mac & ~(MAC_TRUNCATION_MASK | AT_LEAST_FLAG)) | ((len << MAC_TRUNCATION_OFFSET) & MAC_TRUNCATION_MASK)) >>> 0;
/** PSA_ALG_FULL_LENGTH_MAC(mac) */
export const fullLengthMac = (mac: number): number => (mac & ~(MAC_TRUNCATION_MASK | AT_LEAST_FLAG)) >>> 0;
/** PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(mac, min) */
export const atLeastThisLengthMac = (mac: number, min: number): number => (truncatedMac(mac, min) | AT_LEAST_FLAG) >>> 0;
/** PSA_ALG_AEAD_WITH_SHORTENED_TAG(aead, len) */
export const aeadWithShortenedTag = (aead: number, len: number): number =>
  ((aead & ~(AEAD_TAG_MASK | AT_LEAST_FLAG)) | ((len << AEAD_TAG_OFFSET) & AEAD_TAG_MASK)) >>> 0;
/** PSA_ALG_AEAD_WITH_DEFAULT_LENGTH_TAG(aead) */
export function aeadWithDefaultLengthTag(aead: number): number {
  for (const base of [Alg.CCM, Alg.GCM, Alg.CHACHA20_POLY1305, Alg.XCHACHA20_POLY1305]) {
    if (((aead ^ base) & ~(AEAD_TAG_MASK | AT_LEAST_FLAG)) === 0) return base;
  }
  return (aead & ~AT_LEAST_FLAG) >>> 0;
}
/** PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG(aead, min) */
export const aeadWithAtLeastThisLengthTag = (aead: number, min: number): number =>
  (aeadWithShortenedTag(aead, min) | AT_LEAST_FLAG) >>> 0;

export const categoryOf = (alg: number): number => (alg & ALG_CATEGORY_MASK) >>> 0;
export const isVendorAlg = (alg: number): boolean => (alg & 0x80000000) !== 0;
export const isHash = (alg: number): boolean => categoryOf(alg) === AlgCategory.HASH;
export const isMac = (alg: number): boolean => categoryOf(alg) === AlgCategory.MAC;
export const isCipher = (alg: number): boolean => categoryOf(alg) === AlgCategory.CIPHER;
export const isAead = (alg: number): boolean => categoryOf(alg) === AlgCategory.AEAD;
export const isSign = (alg: number): boolean => categoryOf(alg) === AlgCategory.SIGN;
export const isAsymmetricEncryption = (alg: number): boolean => categoryOf(alg) === AlgCategory.ASYMMETRIC_ENCRYPTION;
export const isKeyDerivation = (alg: number): boolean => categoryOf(alg) === AlgCategory.KEY_DERIVATION;
export const isKeyAgreement = (alg: number): boolean => categoryOf(alg) === AlgCategory.KEY_AGREEMENT;
export const isStandaloneKeyAgreement = (alg: number): boolean => isKeyAgreement(alg) && (alg & 0xffff) === 0;
export const isHmac = (alg: number): boolean => (alg & 0x7fc07f00) === HMAC_BASE;
export const isBlockCipherMac = (alg: number): boolean => (alg & 0x7fc00000) === 0x03c00000;
export const isStreamCipher = (alg: number): boolean => (alg & 0x7f800000) === 0x04800000;
export const isWildcardPolicy = (alg: number): boolean =>
  ((isMac(alg) || isAead(alg)) && (alg & AT_LEAST_FLAG) !== 0) ||
  (isSign(alg) && (alg & HASH_MASK) === (Alg.ANY_HASH & HASH_MASK) && hashOf(alg) !== 0) ||
  alg === Alg.CCM_STAR_ANY_TAG;

/** PSA_ALG_GET_HASH: the hash algorithm a hash-parameterised algorithm uses, or 0. */
export function hashOf(alg: number): number {
  const h = alg & HASH_MASK;
  if (h === 0) return 0;
  return (AlgCategory.HASH | h) >>> 0;
}
/** The key agreement part of a combined KEY_AGREEMENT(ka, kdf). */
export const kaBaseOf = (alg: number): number => (alg & KA_MASK) >>> 0;
/** The key derivation part of a combined KEY_AGREEMENT(ka, kdf), or 0. */
export function kdfOf(alg: number): number {
  return (alg & 0xffff) === 0 ? 0 : (alg & KDF_MASK) >>> 0;
}

/** MAC truncation length field (0 = untruncated). */
export const macTruncationOf = (alg: number): number => (alg & MAC_TRUNCATION_MASK) >>> MAC_TRUNCATION_OFFSET;
export const hasAtLeastFlag = (alg: number): boolean => (alg & AT_LEAST_FLAG) !== 0;
/** AEAD tag length field in bytes. */
export const aeadTagLengthOf = (alg: number): number => (alg & AEAD_TAG_MASK) >>> AEAD_TAG_OFFSET;
/** The base MAC: HMAC(h) or the block-cipher MAC subtype, without truncation. */
export const macBaseOf = (alg: number): number => (alg & (0x7f000000 | MAC_SUBTYPE_MASK | HASH_MASK)) >>> 0;

/** Signature algorithm families (their base with the hash field cleared). */
export const signBaseOf = (alg: number): number => (alg & ~HASH_MASK) >>> 0;
export const isEcdsa = (alg: number): boolean => (alg & 0x7ffffe00) === ECDSA_BASE;
export const isRandomizedEcdsa = (alg: number): boolean => (alg & 0x7fffff00) === ECDSA_BASE;
export const isDeterministicEcdsa = (alg: number): boolean => (alg & 0x7fffff00) === DETERMINISTIC_ECDSA_BASE;
export const isRsaPkcs1v15Sign = (alg: number): boolean => (alg & 0x7fffff00) === RSA_PKCS1V15_SIGN_BASE;
export const isRsaPss = (alg: number): boolean => (alg & 0x7fffef00) === RSA_PSS_BASE;
export const isRsaPssAnySalt = (alg: number): boolean => (alg & 0x7fffff00) === RSA_PSS_ANY_SALT_BASE;
export const isHashEddsa = (alg: number): boolean => (alg & 0x7fffff00) === HASH_EDDSA_BASE;
export const isRsaOaep = (alg: number): boolean => (alg & 0x7fffff00) === RSA_OAEP_BASE;
/** PSA_ALG_IS_SIGN_HASH: usable with psa_sign_hash (hash-and-sign, or the raw variants). */
export const isSignHash = (alg: number): boolean => isSign(alg) && alg !== Alg.PURE_EDDSA;
/** PSA_ALG_IS_SIGN_MESSAGE: usable with psa_sign_message (everything with a hash, and PureEdDSA). */
export const isSignMessage = (alg: number): boolean =>
  isSign(alg) && (alg === Alg.PURE_EDDSA || (hashOf(alg) !== 0 && hashOf(alg) !== Alg.ANY_HASH));

export const isHkdf = (alg: number): boolean => (alg & 0x7fffff00) === HKDF_BASE;
export const isHkdfExtract = (alg: number): boolean => (alg & 0x7fffff00) === HKDF_EXTRACT_BASE;
export const isHkdfExpand = (alg: number): boolean => (alg & 0x7fffff00) === HKDF_EXPAND_BASE;
export const isTls12Prf = (alg: number): boolean => (alg & 0x7fffff00) === TLS12_PRF_BASE;
export const isTls12PskToMs = (alg: number): boolean => (alg & 0x7fffff00) === TLS12_PSK_TO_MS_BASE;
export const isPbkdf2Hmac = (alg: number): boolean => (alg & 0x7fffff00) === PBKDF2_HMAC_BASE;
export const isSp800108CounterHmac = (alg: number): boolean => (alg & 0x7fffff00) === SP800_108_COUNTER_HMAC_BASE;

// ---------------------------------------------------------------- usage, lifetime, ids

export const Usage = {
  EXPORT: 0x00000001,
  COPY: 0x00000002,
  CACHE: 0x00000004,
  ENCRYPT: 0x00000100,
  DECRYPT: 0x00000200,
  SIGN_MESSAGE: 0x00000400,
  VERIFY_MESSAGE: 0x00000800,
  SIGN_HASH: 0x00001000,
  VERIFY_HASH: 0x00002000,
  DERIVE: 0x00004000,
  VERIFY_DERIVATION: 0x00008000,
} as const;
export const USAGE_DEFINED = Object.values(Usage).reduce((a, b) => a | b, 0);

export const Lifetime = { VOLATILE: 0x00000000, PERSISTENT: 0x00000001 } as const;
export const Persistence = { VOLATILE: 0x00, DEFAULT: 0x01, READ_ONLY: 0xff } as const;
export const Location = { LOCAL_STORAGE: 0x000000, PRIMARY_SECURE_ELEMENT: 0x000001 } as const;
export const persistenceOf = (lifetime: number): number => lifetime & 0xff;
export const locationOf = (lifetime: number): number => (lifetime >>> 8) & 0xffffff;
export const lifetimeFrom = (persistence: number, location: number): number => ((location << 8) | (persistence & 0xff)) >>> 0;
export const isVolatileLifetime = (lifetime: number): boolean => persistenceOf(lifetime) === Persistence.VOLATILE;

export const KeyId = {
  NULL: 0,
  USER_MIN: 0x00000001,
  USER_MAX: 0x3fffffff,
  VENDOR_MIN: 0x40000000,
  VENDOR_MAX: 0x7fffffff,
} as const;
export const isUserKeyId = (id: number): boolean => id >= KeyId.USER_MIN && id <= KeyId.USER_MAX;
export const isVendorKeyId = (id: number): boolean => id >= KeyId.VENDOR_MIN && id <= KeyId.VENDOR_MAX;

/** psa_key_derivation_step_t values (10.6.2). */
export const KdfStep = {
  SECRET: 0x0101,
  PASSWORD: 0x0102,
  OTHER_SECRET: 0x0103,
  LABEL: 0x0201,
  SALT: 0x0202,
  INFO: 0x0203,
  SEED: 0x0204,
  COST: 0x0205,
  CONTEXT: 0x0206,
} as const;

// ---------------------------------------------------------------- sizes (10.x support macros)

const HASH_LENGTHS: Record<number, number> = {
  [Alg.MD2]: 16,
  [Alg.MD4]: 16,
  [Alg.MD5]: 16,
  [Alg.RIPEMD160]: 20,
  [Alg.SHA_1]: 20,
  [Alg.AES_MMO_ZIGBEE]: 16,
  [Alg.SHA_224]: 28,
  [Alg.SHA_256]: 32,
  [Alg.SHA_384]: 48,
  [Alg.SHA_512]: 64,
  [Alg.SHA_512_224]: 28,
  [Alg.SHA_512_256]: 32,
  [Alg.SHA3_224]: 28,
  [Alg.SHA3_256]: 32,
  [Alg.SHA3_384]: 48,
  [Alg.SHA3_512]: 64,
  [Alg.SM3]: 32,
  [Alg.SHAKE256_512]: 64,
};
const HASH_BLOCKS: Record<number, number> = {
  [Alg.MD5]: 64,
  [Alg.RIPEMD160]: 64,
  [Alg.SHA_1]: 64,
  [Alg.SHA_224]: 64,
  [Alg.SHA_256]: 64,
  [Alg.SHA_384]: 128,
  [Alg.SHA_512]: 128,
  [Alg.SHA_512_224]: 128,
  [Alg.SHA_512_256]: 128,
  [Alg.SHA3_224]: 144,
  [Alg.SHA3_256]: 136,
  [Alg.SHA3_384]: 104,
  [Alg.SHA3_512]: 72,
};

/** PSA_HASH_LENGTH(alg) for a hash or a hash-parameterised algorithm; 0 if unknown. */
export const hashLength = (alg: number): number => HASH_LENGTHS[isHash(alg) ? alg : hashOf(alg)] ?? 0;
/** PSA_HASH_BLOCK_LENGTH */
export const hashBlockLength = (alg: number): number => HASH_BLOCKS[isHash(alg) ? alg : hashOf(alg)] ?? 0;

/** PSA_MAC_LENGTH(key_type, key_bits, alg); 0 when the combination is not a MAC. */
export function macLength(keyType: number, alg: number): number {
  const trunc = macTruncationOf(alg);
  let full = 0;
  if (isHmac(alg)) full = hashLength(alg);
  else if (isBlockCipherMac(alg)) full = blockSizeOfType(keyType);
  if (full === 0) return 0;
  return trunc === 0 ? full : trunc;
}

/** PSA_CIPHER_IV_LENGTH(key_type, alg) */
export function cipherIvLength(keyType: number, alg: number): number {
  if (alg === Alg.STREAM_CIPHER) return keyType === KeyType.CHACHA20 ? 12 : keyType === KeyType.XCHACHA20 ? 24 : 0;
  if (alg === Alg.ECB_NO_PADDING) return 0;
  if (alg === Alg.CCM_STAR_NO_TAG) return 13;
  const b = blockSizeOfType(keyType);
  if (b <= 1) return 0;
  if (alg === Alg.CBC_NO_PADDING || alg === Alg.CBC_PKCS7 || alg === Alg.CTR || alg === Alg.CFB || alg === Alg.OFB || alg === Alg.XTS) {
    return b;
  }
  return 0;
}

/** PSA_AEAD_NONCE_LENGTH(key_type, alg): the default nonce length. */
export function aeadNonceLength(alg: number): number {
  const base = aeadWithDefaultLengthTag(alg);
  if (base === Alg.GCM) return 12;
  if (base === Alg.CCM) return 13;
  if (base === Alg.CHACHA20_POLY1305) return 12;
  if (base === Alg.XCHACHA20_POLY1305) return 24;
  return 0;
}

/** PSA_AEAD_TAG_LENGTH for the algorithm (its LEN field). */
export const aeadTagLength = (alg: number): number => aeadTagLengthOf(alg);

/** Bytes of an ECC private key / coordinate for a curve of `bits`. */
export const eccBytes = (bits: number): number => Math.ceil(bits / 8);

// ---------------------------------------------------------------- opcodes

/**
 * Trusted Services packed-c crypto opcodes
 * (protocols/service/crypto/packed-c/opcodes.h), plus one fwsec extension.
 */
export const CryptoOpcode = {
  GENERATE_KEY: 0x0101,
  DESTROY_KEY: 0x0102,
  EXPORT_KEY: 0x0105,
  EXPORT_PUBLIC_KEY: 0x0106,
  IMPORT_KEY: 0x0107,
  SIGN_HASH: 0x0108,
  VERIFY_HASH: 0x0109,
  ASYMMETRIC_DECRYPT: 0x010a,
  ASYMMETRIC_ENCRYPT: 0x010b,
  GENERATE_RANDOM: 0x010c,
  COPY_KEY: 0x010d,
  PURGE_KEY: 0x010e,
  GET_KEY_ATTRIBUTES: 0x010f,
  SIGN_MESSAGE: 0x0110,
  VERIFY_MESSAGE: 0x0111,
  VERIFY_PKCS7_SIGNATURE: 0x0112,
  GET_UEFI_PRIV_AUTH_VAR_FINGERPRINT: 0x0113,
  HASH_SETUP: 0x0201,
  HASH_UPDATE: 0x0202,
  HASH_FINISH: 0x0203,
  HASH_ABORT: 0x0204,
  HASH_VERIFY: 0x0205,
  HASH_CLONE: 0x0206,
  CIPHER_ENCRYPT_SETUP: 0x0301,
  CIPHER_DECRYPT_SETUP: 0x0302,
  CIPHER_GENERATE_IV: 0x0303,
  CIPHER_SET_IV: 0x0304,
  CIPHER_UPDATE: 0x0305,
  CIPHER_FINISH: 0x0306,
  CIPHER_ABORT: 0x0307,
  KEY_DERIVATION_SETUP: 0x0401,
  KEY_DERIVATION_GET_CAPACITY: 0x0402,
  KEY_DERIVATION_SET_CAPACITY: 0x0403,
  KEY_DERIVATION_INPUT_BYTES: 0x0404,
  KEY_DERIVATION_INPUT_KEY: 0x0405,
  KEY_DERIVATION_OUTPUT_BYTES: 0x0406,
  KEY_DERIVATION_OUTPUT_KEY: 0x0407,
  KEY_DERIVATION_ABORT: 0x0408,
  KEY_DERIVATION_KEY_AGREEMENT: 0x0409,
  KEY_DERIVATION_RAW_KEY_AGREEMENT: 0x040a,
  /**
   * fwsec extension, not in Trusted Services 1.2.0: psa_key_derivation_input_integer
   * (the only way the spec allows to pass PBKDF2's COST). Placed well above
   * the TS key-derivation opcodes so a later TS opcode cannot collide.
   */
  KEY_DERIVATION_INPUT_INTEGER: 0x04f0,
  MAC_SIGN_SETUP: 0x0501,
  MAC_VERIFY_SETUP: 0x0502,
  MAC_UPDATE: 0x0503,
  MAC_SIGN_FINISH: 0x0504,
  MAC_VERIFY_FINISH: 0x0505,
  MAC_ABORT: 0x0506,
  AEAD_ENCRYPT_SETUP: 0x0601,
  AEAD_DECRYPT_SETUP: 0x0602,
  AEAD_GENERATE_NONCE: 0x0603,
  AEAD_SET_NONCE: 0x0604,
  AEAD_SET_LENGTHS: 0x0605,
  AEAD_UPDATE_AD: 0x0606,
  AEAD_UPDATE: 0x0607,
  AEAD_FINISH: 0x0608,
  AEAD_VERIFY: 0x0609,
  AEAD_ABORT: 0x060a,
} as const;
export type CryptoOpcode = (typeof CryptoOpcode)[keyof typeof CryptoOpcode];
