// Known-answer vectors, written as facts from the standards that define
// them (hex as printed there; the document and section are named with each
// group). None is produced by the code under test: test/protocol/
// crypto-vectors.test.ts recomputes each one with node:crypto (OpenSSL) to
// catch transcription errors.
import { fromHex, utf8 } from '../../protocol/bytes.js';
import { Alg } from '../../protocol/psa/crypto/constants.js';

const h = fromHex;

// ---------------------------------------------------------------- hashes

export interface HashVector {
  alg: number;
  name: string;
  message: Uint8Array;
  digest: Uint8Array;
  source: string;
}

const ABC = utf8('abc');

/** The "abc" examples of FIPS 180-4 (NIST example values, SHA-1 and SHA-2) and FIPS 202 (SHA-3), RFC 1321 (MD5), ISO/IEC 10118-3 (RIPEMD-160). */
export const HASH_ABC: HashVector[] = [
  { alg: Alg.SHA_1, name: 'sha-1', message: ABC, digest: h('a9993e364706816aba3e25717850c26c9cd0d89d'), source: 'FIPS 180-4, SHA-1 example "abc"' },
  { alg: Alg.SHA_224, name: 'sha-224', message: ABC, digest: h('23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7'), source: 'FIPS 180-4, SHA-224 example "abc"' },
  { alg: Alg.SHA_256, name: 'sha-256', message: ABC, digest: h('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'), source: 'FIPS 180-4, SHA-256 example "abc"' },
  {
    alg: Alg.SHA_384,
    name: 'sha-384',
    message: ABC,
    digest: h('cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7'),
    source: 'FIPS 180-4, SHA-384 example "abc"',
  },
  {
    alg: Alg.SHA_512,
    name: 'sha-512',
    message: ABC,
    digest: h('ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f'),
    source: 'FIPS 180-4, SHA-512 example "abc"',
  },
  { alg: Alg.SHA_512_224, name: 'sha-512-224', message: ABC, digest: h('4634270f707b6a54daae7530460842e20e37ed265ceee9a43e8924aa'), source: 'FIPS 180-4, SHA-512/224 example "abc"' },
  {
    alg: Alg.SHA_512_256,
    name: 'sha-512-256',
    message: ABC,
    digest: h('53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23'),
    source: 'FIPS 180-4, SHA-512/256 example "abc"',
  },
  { alg: Alg.SHA3_224, name: 'sha3-224', message: ABC, digest: h('e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf'), source: 'FIPS 202, SHA3-224 example "abc"' },
  { alg: Alg.SHA3_256, name: 'sha3-256', message: ABC, digest: h('3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532'), source: 'FIPS 202, SHA3-256 example "abc"' },
  {
    alg: Alg.SHA3_384,
    name: 'sha3-384',
    message: ABC,
    digest: h('ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf228376d25'),
    source: 'FIPS 202, SHA3-384 example "abc"',
  },
  {
    alg: Alg.SHA3_512,
    name: 'sha3-512',
    message: ABC,
    digest: h('b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0'),
    source: 'FIPS 202, SHA3-512 example "abc"',
  },
  { alg: Alg.MD5, name: 'md5', message: ABC, digest: h('900150983cd24fb0d6963f7d28e17f72'), source: 'RFC 1321 §A.5, MD5 ("abc")' },
  { alg: Alg.RIPEMD160, name: 'ripemd160', message: ABC, digest: h('8eb208f7e05d987a9b044a8e98c6b087f15a0bfc'), source: 'ISO/IEC 10118-3 / RIPEMD-160 reference, RIPEMD-160("abc")' },
];

export const SHA256_EMPTY = h('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
/** FIPS 180-4 two-block example "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq". */
export const SHA256_TWO_BLOCK = {
  message: utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
  digest: h('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'),
};

// ---------------------------------------------------------------- HMAC (RFC 4231)

export interface HmacVector {
  name: string;
  hash: number;
  key: Uint8Array;
  data: Uint8Array;
  mac: Uint8Array;
  /** Truncated MAC length in bytes (RFC 4231 test case 5), if any. */
  truncate?: number;
}

const TC1_KEY = new Uint8Array(20).fill(0x0b);
const TC1_DATA = utf8('Hi There');
const TC2_KEY = utf8('Jefe');
const TC2_DATA = utf8('what do ya want for nothing?');

export const HMAC_RFC4231: HmacVector[] = [
  { name: 'sha-224-tc1', hash: Alg.SHA_224, key: TC1_KEY, data: TC1_DATA, mac: h('896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22') },
  { name: 'sha-256-tc1', hash: Alg.SHA_256, key: TC1_KEY, data: TC1_DATA, mac: h('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7') },
  {
    name: 'sha-384-tc1',
    hash: Alg.SHA_384,
    key: TC1_KEY,
    data: TC1_DATA,
    mac: h('afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6'),
  },
  {
    name: 'sha-512-tc1',
    hash: Alg.SHA_512,
    key: TC1_KEY,
    data: TC1_DATA,
    mac: h('87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854'),
  },
  { name: 'sha-224-tc2', hash: Alg.SHA_224, key: TC2_KEY, data: TC2_DATA, mac: h('a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44') },
  { name: 'sha-256-tc2', hash: Alg.SHA_256, key: TC2_KEY, data: TC2_DATA, mac: h('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843') },
  {
    name: 'sha-384-tc2',
    hash: Alg.SHA_384,
    key: TC2_KEY,
    data: TC2_DATA,
    mac: h('af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649'),
  },
  {
    name: 'sha-512-tc2',
    hash: Alg.SHA_512,
    key: TC2_KEY,
    data: TC2_DATA,
    mac: h('164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737'),
  },
  {
    name: 'sha-256-tc5-truncated',
    hash: Alg.SHA_256,
    key: new Uint8Array(20).fill(0x0c),
    data: utf8('Test With Truncation'),
    mac: h('a3b6167473100ee06e0c796c2955552b'),
    truncate: 16,
  },
  {
    name: 'sha-256-tc6-long-key',
    hash: Alg.SHA_256,
    key: new Uint8Array(131).fill(0xaa),
    data: utf8('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: h('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'),
  },
];

// ---------------------------------------------------------------- AES (FIPS 197, SP 800-38A)

/** FIPS 197 Appendix C.1–C.3: plaintext 00112233445566778899aabbccddeeff, key 000102... */
export const AES_FIPS197 = [
  { bits: 128, key: h('000102030405060708090a0b0c0d0e0f'), ciphertext: h('69c4e0d86a7b0430d8cdb78070b4c55a'), source: 'FIPS 197 Appendix C.1' },
  { bits: 192, key: h('000102030405060708090a0b0c0d0e0f1011121314151617'), ciphertext: h('dda97ca4864cdfe06eaf70a0ec0d7191'), source: 'FIPS 197 Appendix C.2' },
  {
    bits: 256,
    key: h('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'),
    ciphertext: h('8ea2b7ca516745bfeafc49904b496089'),
    source: 'FIPS 197 Appendix C.3',
  },
];
export const AES_FIPS197_PLAINTEXT = h('00112233445566778899aabbccddeeff');

/** SP 800-38A Appendix F: the four-block plaintext shared by every example. */
export const SP800_38A_PLAINTEXT = h(
  '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
);
export const SP800_38A_KEY_128 = h('2b7e151628aed2a6abf7158809cf4f3c');
export const SP800_38A_KEY_256 = h('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
export const SP800_38A_IV = h('000102030405060708090a0b0c0d0e0f');
export const SP800_38A_CTR_IV = h('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');

export interface ModeVector {
  name: string;
  alg: number;
  key: Uint8Array;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  source: string;
}

export const SP800_38A: ModeVector[] = [
  {
    name: 'ecb-aes-128',
    alg: Alg.ECB_NO_PADDING,
    key: SP800_38A_KEY_128,
    iv: new Uint8Array(0),
    ciphertext: h('3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4'),
    source: 'SP 800-38A F.1.1 ECB-AES128.Encrypt',
  },
  {
    name: 'cbc-aes-128',
    alg: Alg.CBC_NO_PADDING,
    key: SP800_38A_KEY_128,
    iv: SP800_38A_IV,
    ciphertext: h('7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7'),
    source: 'SP 800-38A F.2.1 CBC-AES128.Encrypt',
  },
  {
    name: 'cbc-aes-256',
    alg: Alg.CBC_NO_PADDING,
    key: SP800_38A_KEY_256,
    iv: SP800_38A_IV,
    ciphertext: h('f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b'),
    source: 'SP 800-38A F.2.5 CBC-AES256.Encrypt',
  },
  {
    name: 'cfb-aes-128',
    alg: Alg.CFB,
    key: SP800_38A_KEY_128,
    iv: SP800_38A_IV,
    ciphertext: h('3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b26751f67a3cbb140b1808cf187a4f4dfc04b05357c5d1c0eeac4c66f9ff7f2e6'),
    source: 'SP 800-38A F.3.13 CFB128-AES128.Encrypt',
  },
  {
    name: 'ofb-aes-128',
    alg: Alg.OFB,
    key: SP800_38A_KEY_128,
    iv: SP800_38A_IV,
    ciphertext: h('3b3fd92eb72dad20333449f8e83cfb4a7789508d16918f03f53c52dac54ed8259740051e9c5fecf64344f7a82260edcc304c6528f659c77866a510d9c1d6ae5e'),
    source: 'SP 800-38A F.4.1 OFB-AES128.Encrypt',
  },
  {
    name: 'ctr-aes-128',
    alg: Alg.CTR,
    key: SP800_38A_KEY_128,
    iv: SP800_38A_CTR_IV,
    ciphertext: h('874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee'),
    source: 'SP 800-38A F.5.1 CTR-AES128.Encrypt',
  },
  {
    name: 'ctr-aes-256',
    alg: Alg.CTR,
    key: SP800_38A_KEY_256,
    iv: SP800_38A_CTR_IV,
    ciphertext: h('601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6'),
    source: 'SP 800-38A F.5.5 CTR-AES256.Encrypt',
  },
];

// ---------------------------------------------------------------- CMAC (SP 800-38B Appendix D)

export interface CmacVector {
  name: string;
  key: Uint8Array;
  /** Message: the first `length` bytes of SP800_38A_PLAINTEXT. */
  length: number;
  mac: Uint8Array;
  source: string;
}

const CMAC_KEY_192 = h('8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b');
export const CMAC_SP800_38B: CmacVector[] = [
  { name: 'aes-128-mlen0', key: SP800_38A_KEY_128, length: 0, mac: h('bb1d6929e95937287fa37d129b756746'), source: 'SP 800-38B D.1 Example 1' },
  { name: 'aes-128-mlen128', key: SP800_38A_KEY_128, length: 16, mac: h('070a16b46b4d4144f79bdd9dd04a287c'), source: 'SP 800-38B D.1 Example 2' },
  { name: 'aes-128-mlen320', key: SP800_38A_KEY_128, length: 40, mac: h('dfa66747de9ae63030ca32611497c827'), source: 'SP 800-38B D.1 Example 3' },
  { name: 'aes-128-mlen512', key: SP800_38A_KEY_128, length: 64, mac: h('51f0bebf7e3b9d92fc49741779363cfe'), source: 'SP 800-38B D.1 Example 4' },
  { name: 'aes-192-mlen0', key: CMAC_KEY_192, length: 0, mac: h('d17ddf46adaacde531cac483de7a9367'), source: 'SP 800-38B D.2 Example 5' },
  { name: 'aes-192-mlen128', key: CMAC_KEY_192, length: 16, mac: h('9e99a7bf31e710900662f65e617c5184'), source: 'SP 800-38B D.2 Example 6' },
  { name: 'aes-256-mlen0', key: SP800_38A_KEY_256, length: 0, mac: h('028962f61b7bf89efc6b551f4667d983'), source: 'SP 800-38B D.3 Example 9' },
  { name: 'aes-256-mlen128', key: SP800_38A_KEY_256, length: 16, mac: h('28a7023f452e8f82bd4bf28d8c37c35c'), source: 'SP 800-38B D.3 Example 10' },
  { name: 'aes-256-mlen512', key: SP800_38A_KEY_256, length: 64, mac: h('e1992190549f6ed5696a2c056c315410'), source: 'SP 800-38B D.3 Example 12' },
];

// ---------------------------------------------------------------- AEAD

export interface AeadVector {
  name: string;
  alg: number;
  key: Uint8Array;
  nonce: Uint8Array;
  ad: Uint8Array;
  plaintext: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
  source: string;
}

const GCM_K3 = h('feffe9928665731c6d6a8f9467308308');
const GCM_P3 = h(
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255',
);
const GCM_C3 = h(
  '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985',
);
const GCM_A4 = h('feedfacedeadbeeffeedfacedeadbeefabaddad2');

/**
 * GCM: the test cases of "The Galois/Counter Mode of Operation (GCM)"
 * (McGrew & Viega, the specification NIST adopted as SP 800-38D), Appendix B.
 */
export const GCM_VECTORS: AeadVector[] = [
  {
    name: 'tc2',
    alg: Alg.GCM,
    key: new Uint8Array(16),
    nonce: new Uint8Array(12),
    ad: new Uint8Array(0),
    plaintext: new Uint8Array(16),
    ciphertext: h('0388dace60b6a392f328c2b971b2fe78'),
    tag: h('ab6e47d42cec13bdf53a67b21257bddf'),
    source: 'GCM specification Appendix B, Test Case 2',
  },
  {
    name: 'tc3',
    alg: Alg.GCM,
    key: GCM_K3,
    nonce: h('cafebabefacedbaddecaf888'),
    ad: new Uint8Array(0),
    plaintext: GCM_P3,
    ciphertext: GCM_C3,
    tag: h('4d5c2af327cd64a62cf35abd2ba6fab4'),
    source: 'GCM specification Appendix B, Test Case 3',
  },
  {
    name: 'tc4',
    alg: Alg.GCM,
    key: GCM_K3,
    nonce: h('cafebabefacedbaddecaf888'),
    ad: GCM_A4,
    plaintext: GCM_P3.subarray(0, 60),
    ciphertext: GCM_C3.subarray(0, 60),
    tag: h('5bc94fbc3221a5db94fae95ae7121a47'),
    source: 'GCM specification Appendix B, Test Case 4',
  },
  {
    name: 'tc5-8-byte-iv',
    alg: Alg.GCM,
    key: GCM_K3,
    nonce: h('cafebabefacedbad'),
    ad: GCM_A4,
    plaintext: GCM_P3.subarray(0, 60),
    ciphertext: h('61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c742373806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598'),
    tag: h('3612d2e79e3b0785561be14aaca2fccb'),
    source: 'GCM specification Appendix B, Test Case 5',
  },
  {
    name: 'tc6-60-byte-iv',
    alg: Alg.GCM,
    key: GCM_K3,
    nonce: h('9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b'),
    ad: GCM_A4,
    plaintext: GCM_P3.subarray(0, 60),
    ciphertext: h('8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca701e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5'),
    tag: h('619cc5aefffe0bfa462af43c1699d050'),
    source: 'GCM specification Appendix B, Test Case 6',
  },
  {
    name: 'tc13-aes-256-empty',
    alg: Alg.GCM,
    key: new Uint8Array(32),
    nonce: new Uint8Array(12),
    ad: new Uint8Array(0),
    plaintext: new Uint8Array(0),
    ciphertext: new Uint8Array(0),
    tag: h('530f8afbc74536b9a963b4f1c4cb738b'),
    source: 'GCM specification Appendix B, Test Case 13',
  },
  {
    name: 'tc14-aes-256',
    alg: Alg.GCM,
    key: new Uint8Array(32),
    nonce: new Uint8Array(12),
    ad: new Uint8Array(0),
    plaintext: new Uint8Array(16),
    ciphertext: h('cea7403d4d606b6e074ec5d3baf39d18'),
    tag: h('d0d1c8a799996bf0265b98b5d48ab919'),
    source: 'GCM specification Appendix B, Test Case 14',
  },
];

const CCM_KEY = h('404142434445464748494a4b4c4d4e4f');
/** SP 800-38C Appendix C examples 1–3; the tag length sets PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_CCM, t). */
export const CCM_VECTORS: (AeadVector & { tagLength: number })[] = [
  {
    name: 'example-1',
    alg: Alg.CCM,
    tagLength: 4,
    key: CCM_KEY,
    nonce: h('10111213141516'),
    ad: h('0001020304050607'),
    plaintext: h('20212223'),
    ciphertext: h('7162015b'),
    tag: h('4dac255d'),
    source: 'SP 800-38C C.1 Example 1',
  },
  {
    name: 'example-2',
    alg: Alg.CCM,
    tagLength: 6,
    key: CCM_KEY,
    nonce: h('1011121314151617'),
    ad: h('000102030405060708090a0b0c0d0e0f'),
    plaintext: h('202122232425262728292a2b2c2d2e2f'),
    ciphertext: h('d2a1f0e051ea5f62081a7792073d593d'),
    tag: h('1fc64fbfaccd'),
    source: 'SP 800-38C C.2 Example 2',
  },
  {
    name: 'example-3',
    alg: Alg.CCM,
    tagLength: 8,
    key: CCM_KEY,
    nonce: h('101112131415161718191a1b'),
    ad: h('000102030405060708090a0b0c0d0e0f10111213'),
    plaintext: h('202122232425262728292a2b2c2d2e2f3031323334353637'),
    ciphertext: h('e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5'),
    tag: h('484392fbc1b09951'),
    source: 'SP 800-38C C.3 Example 3',
  },
];

/** RFC 8439 §2.4.2 and §2.8.2: the "sunscreen" plaintext. */
export const RFC8439_PLAINTEXT = utf8(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);

export const CHACHA20_RFC8439 = {
  key: h('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'),
  /** counter 1 (little-endian) then the 12-byte nonce: the 16-byte IV form of psa_cipher_set_iv. */
  iv16: h('01000000000000000000004a00000000'),
  nonce: h('000000000000004a00000000'),
  ciphertext: h(
    '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d',
  ),
  source: 'RFC 8439 §2.4.2',
};

export const CHACHA20_POLY1305_RFC8439: AeadVector = {
  name: 'rfc8439',
  alg: Alg.CHACHA20_POLY1305,
  key: h('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'),
  nonce: h('070000004041424344454647'),
  ad: h('50515253c0c1c2c3c4c5c6c7'),
  plaintext: RFC8439_PLAINTEXT,
  ciphertext: h(
    'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116',
  ),
  tag: h('1ae10b594f09e26a7e902ecbd0600691'),
  source: 'RFC 8439 §2.8.2',
};

// ---------------------------------------------------------------- HKDF (RFC 5869 Appendix A)

export interface HkdfVector {
  name: string;
  hash: number;
  ikm: Uint8Array;
  salt: Uint8Array;
  info: Uint8Array;
  prk: Uint8Array;
  okm: Uint8Array;
}

const range = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

export const HKDF_RFC5869: HkdfVector[] = [
  {
    name: 'tc1',
    hash: Alg.SHA_256,
    ikm: new Uint8Array(22).fill(0x0b),
    salt: h('000102030405060708090a0b0c'),
    info: h('f0f1f2f3f4f5f6f7f8f9'),
    prk: h('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5'),
    okm: h('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865'),
  },
  {
    name: 'tc2',
    hash: Alg.SHA_256,
    ikm: range(0x00, 0x4f),
    salt: range(0x60, 0xaf),
    info: range(0xb0, 0xff),
    prk: h('06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244'),
    okm: h(
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
    ),
  },
  {
    name: 'tc3',
    hash: Alg.SHA_256,
    ikm: new Uint8Array(22).fill(0x0b),
    salt: new Uint8Array(0),
    info: new Uint8Array(0),
    prk: h('19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04'),
    okm: h('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8'),
  },
];

// ---------------------------------------------------------------- PBKDF2 (RFC 6070, RFC 7914 §11)

export interface Pbkdf2Vector {
  name: string;
  hash: number;
  password: Uint8Array;
  salt: Uint8Array;
  iterations: number;
  dk: Uint8Array;
  source: string;
}

export const PBKDF2_VECTORS: Pbkdf2Vector[] = [
  { name: 'sha-1-c1', hash: Alg.SHA_1, password: utf8('password'), salt: utf8('salt'), iterations: 1, dk: h('0c60c80f961f0e71f3a9b524af6012062fe037a6'), source: 'RFC 6070 §2, c = 1' },
  { name: 'sha-1-c2', hash: Alg.SHA_1, password: utf8('password'), salt: utf8('salt'), iterations: 2, dk: h('ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957'), source: 'RFC 6070 §2, c = 2' },
  { name: 'sha-1-c4096', hash: Alg.SHA_1, password: utf8('password'), salt: utf8('salt'), iterations: 4096, dk: h('4b007901b765489abead49d926f721d065a429c1'), source: 'RFC 6070 §2, c = 4096' },
  {
    name: 'sha-256-c1',
    hash: Alg.SHA_256,
    password: utf8('passwd'),
    salt: utf8('salt'),
    iterations: 1,
    dk: h('55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783'),
    source: 'RFC 7914 §11, PBKDF2-HMAC-SHA256 c = 1',
  },
];

// ---------------------------------------------------------------- ECDSA (RFC 6979 Appendix A.2)

export interface EcdsaVector {
  name: string;
  curve: 'p256' | 'p384' | 'p521';
  hash: number;
  message: Uint8Array;
  r: Uint8Array;
  s: Uint8Array;
  source: string;
}

/** Private keys of RFC 6979 A.2.5 (P-256), A.2.6 (P-384), A.2.7 (P-521). */
export const RFC6979_KEYS = {
  p256: h('c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721'),
  p384: h('6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d896d5724e4c70a825f872c9ea60d2edf5'),
  p521: h('00fad06daa62ba3b25d2fb40133da757205de67f5bb0018fee8c86e1b68c7e75caa896eb32f1f47c70855836a6d16fcc1466f6d8fbec67db89ec0c08b0e996b83538'),
};
/** Public key of RFC 6979 A.2.5 (P-256), uncompressed. */
export const RFC6979_P256_PUBLIC = h(
  '0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299',
);

export const RFC6979_VECTORS: EcdsaVector[] = [
  {
    name: 'p256-sha256-sample',
    curve: 'p256',
    hash: Alg.SHA_256,
    message: utf8('sample'),
    r: h('efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716'),
    s: h('f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
    source: 'RFC 6979 A.2.5, SHA-256, message "sample"',
  },
  {
    name: 'p256-sha384-sample',
    curve: 'p256',
    hash: Alg.SHA_384,
    message: utf8('sample'),
    r: h('0eafea039b20e9b42309fb1d89e213057cbf973dc0cfc8f129edddc800ef7719'),
    s: h('4861f0491e6998b9455193e34e7b0d284ddd7149a74b95b9261f13abde940954'),
    source: 'RFC 6979 A.2.5, SHA-384, message "sample"',
  },
  {
    name: 'p256-sha256-test',
    curve: 'p256',
    hash: Alg.SHA_256,
    message: utf8('test'),
    r: h('f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367'),
    s: h('019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083'),
    source: 'RFC 6979 A.2.5, SHA-256, message "test"',
  },
  {
    name: 'p384-sha384-sample',
    curve: 'p384',
    hash: Alg.SHA_384,
    message: utf8('sample'),
    r: h('94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64c4ea95ad133c81a648152e44acf96e36dd1e80fabe46'),
    s: h('99ef4aeb15f178cea1fe40db2603138f130e740a19624526203b6351d0a3a94fa329c145786e679e7b82c71a38628ac8'),
    source: 'RFC 6979 A.2.6, SHA-384, message "sample"',
  },
  {
    name: 'p521-sha512-sample',
    curve: 'p521',
    hash: Alg.SHA_512,
    message: utf8('sample'),
    r: h('00c328fafcbd79dd77850370c46325d987cb525569fb63c5d3bc53950e6d4c5f174e25a1ee9017b5d450606add152b534931d7d4e8455cc91f9b15bf05ec36e377fa'),
    s: h('00617cce7cf5064806c467f678d3b4080d6f1cc50af26ca209417308281b68af282623eaa63e5b5c0723d8b8c37ff0777b1a20f8ccb1dccc43997f1ee0e44da4a67a'),
    source: 'RFC 6979 A.2.7, SHA-512, message "sample"',
  },
];

// ---------------------------------------------------------------- EdDSA (RFC 8032 §7.1), X25519 (RFC 7748 §6.1)

export const ED25519_RFC8032 = [
  {
    name: 'test-1',
    secret: h('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
    public: h('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
    message: new Uint8Array(0),
    signature: h('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'),
    source: 'RFC 8032 §7.1 TEST 1',
  },
  {
    name: 'test-2',
    secret: h('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'),
    public: h('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c'),
    message: h('72'),
    signature: h('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'),
    source: 'RFC 8032 §7.1 TEST 2',
  },
];

export const X25519_RFC7748 = {
  alicePrivate: h('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'),
  alicePublic: h('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'),
  bobPrivate: h('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'),
  bobPublic: h('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'),
  shared: h('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'),
  source: 'RFC 7748 §6.1',
};
