// PSA Crypto identifiers and the packed-c crypto codec: hand-written facts
// from PSA Crypto API 1.2 Appendix B (algorithm and key type encodings) and
// from trusted-services protocols/service/crypto/packed-c/*.h (opcodes,
// packed little-endian structs, TLV tags), checked in both directions.
import { describe, expect, it } from 'vitest';
import { DecodeError, fromHex, hex } from '../../protocol/bytes.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { Alg, CryptoOpcode as Op, KeyType, Usage } from '../../protocol/psa/crypto/constants.js';
import * as K from '../../protocol/psa/crypto/codec.js';
import { algName, cryptoOpcodeName, keyTypeName, lifetimeName, stepName, usageName } from '../../protocol/psa/crypto/names.js';

describe('algorithm encodings (PSA Crypto 1.2 Appendix B.1)', () => {
  it('hash-parameterised algorithms put HASH-TYPE in the low byte (hh)', () => {
    const sha256 = Alg.SHA_256;
    expect(sha256).toBe(0x02000009);
    const table: [number, number][] = [
      [C.hmac(sha256), 0x03800009],
      [C.ecdsa(sha256), 0x06000609],
      [C.deterministicEcdsa(Alg.SHA_384), 0x0600070a],
      [C.rsaPss(sha256), 0x06000309],
      [C.rsaPssAnySalt(sha256), 0x06001309],
      [C.rsaOaep(sha256), 0x07000309],
      [C.hkdf(sha256), 0x08000109],
      [C.tls12Prf(sha256), 0x08000209],
      [C.tls12PskToMs(sha256), 0x08000309],
      [C.hkdfExtract(sha256), 0x08000409],
      [C.hkdfExpand(sha256), 0x08000509],
      [C.pbkdf2Hmac(sha256), 0x08800109],
    ];
    for (const [got, want] of table) expect(`${algName(got)} 0x${got.toString(16).padStart(8, '0')}`).toBe(`${algName(got)} 0x${want.toString(16).padStart(8, '0')}`);
  });

  it('fixed identifiers match the spec tables', () => {
    expect([Alg.CMAC, Alg.CBC_NO_PADDING, Alg.CBC_PKCS7, Alg.ECB_NO_PADDING, Alg.CCM, Alg.GCM, Alg.CHACHA20_POLY1305, Alg.PURE_EDDSA, Alg.ECDSA_ANY, Alg.ECDH].map((a) => a.toString(16))).toEqual(
      [0x03c00200, 0x04404000, 0x04404100, 0x04404400, 0x05500100, 0x05500200, 0x05100500, 0x06000800, 0x06000600, 0x09020000].map((a) => a.toString(16)),
    );
  });

  it('truncated MACs, shortened tags and wildcard policies use the LEN field and the W flag', () => {
    expect(C.truncatedMac(C.hmac(Alg.SHA_256), 16)).toBe(0x03900009);
    expect(C.atLeastThisLengthMac(Alg.CMAC, 8)).toBe(0x03c88200);
    expect(C.aeadWithShortenedTag(Alg.GCM, 8)).toBe(0x05480200);
    expect(C.aeadWithAtLeastThisLengthTag(Alg.CCM, 4)).toBe(0x05448100);
    expect(C.aeadWithDefaultLengthTag(C.aeadWithShortenedTag(Alg.CCM, 8))).toBe(Alg.CCM);
    expect(C.fullLengthMac(C.truncatedMac(Alg.CMAC, 4))).toBe(Alg.CMAC);
    expect(C.macTruncationOf(C.truncatedMac(Alg.CMAC, 12))).toBe(12);
    expect(C.aeadTagLengthOf(Alg.GCM)).toBe(16);
    expect(C.isWildcardPolicy(C.ecdsa(Alg.ANY_HASH))).toBe(true);
    expect(C.isWildcardPolicy(C.ecdsa(Alg.SHA_256))).toBe(false);
  });

  it('combined key agreement = KA | KDF, and its parts come back apart', () => {
    const alg = C.keyAgreement(Alg.ECDH, C.hkdf(Alg.SHA_256));
    expect(alg).toBe(0x09020109);
    expect(C.kaBaseOf(alg)).toBe(Alg.ECDH);
    expect(C.kdfOf(alg)).toBe(C.hkdf(Alg.SHA_256));
    expect(C.isStandaloneKeyAgreement(Alg.ECDH)).toBe(true);
    expect(C.isStandaloneKeyAgreement(alg)).toBe(false);
  });

  it('category predicates and sizes', () => {
    expect(C.isSignHash(Alg.PURE_EDDSA)).toBe(false);
    expect(C.isSignMessage(Alg.PURE_EDDSA)).toBe(true);
    expect(C.isSignMessage(Alg.ECDSA_ANY)).toBe(false);
    expect(C.hashLength(C.ecdsa(Alg.SHA_384))).toBe(48);
    expect(C.cipherIvLength(KeyType.AES, Alg.CBC_PKCS7)).toBe(16);
    expect(C.cipherIvLength(KeyType.AES, Alg.ECB_NO_PADDING)).toBe(0);
    expect(C.cipherIvLength(KeyType.CHACHA20, Alg.STREAM_CIPHER)).toBe(12);
    expect(C.aeadNonceLength(Alg.CCM)).toBe(13);
    expect(C.aeadNonceLength(C.aeadWithShortenedTag(Alg.GCM, 12))).toBe(12);
  });
});

describe('key types, usage, lifetimes (Appendix B.2, B.3)', () => {
  it('ECC types carry the family in the low byte; key pair = public | 0x3000', () => {
    expect(C.eccKeyPair(C.EccFamily.SECP_R1)).toBe(0x7112);
    expect(C.publicTypeOf(0x7112)).toBe(0x4112);
    expect(C.keyPairTypeOf(0x4141)).toBe(0x7141);
    expect(keyTypeName(0x7112)).toBe('PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1)');
    expect(keyTypeName(0x4141)).toBe('PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_MONTGOMERY)');
    expect(keyTypeName(KeyType.AES)).toBe('PSA_KEY_TYPE_AES');
    expect(C.blockSizeOfType(KeyType.AES)).toBe(16);
    expect(C.blockSizeOfType(KeyType.CHACHA20)).toBe(1);
  });

  it('usage flags and lifetimes have the spec values and readable names', () => {
    expect([Usage.EXPORT, Usage.COPY, Usage.CACHE, Usage.ENCRYPT, Usage.DECRYPT, Usage.SIGN_MESSAGE, Usage.VERIFY_MESSAGE, Usage.SIGN_HASH, Usage.VERIFY_HASH, Usage.DERIVE, Usage.VERIFY_DERIVATION]).toEqual([
      0x1, 0x2, 0x4, 0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x4000, 0x8000,
    ]);
    expect(usageName(0x3301)).toBe('EXPORT|ENCRYPT|DECRYPT|SIGN_HASH|VERIFY_HASH');
    expect(lifetimeName(0)).toBe('PSA_KEY_LIFETIME_VOLATILE');
    expect(C.lifetimeFrom(C.Persistence.DEFAULT, C.Location.PRIMARY_SECURE_ELEMENT)).toBe(0x101);
    expect(lifetimeName(0x101)).toMatch(/persistence DEFAULT, location 0x000001/);
    expect(C.isVolatileLifetime(0x100)).toBe(true);
  });

  it('names every algorithm it can and says so when it cannot', () => {
    expect(algName(C.keyAgreement(Alg.ECDH, C.hkdf(Alg.SHA_256)))).toBe('PSA_ALG_KEY_AGREEMENT(PSA_ALG_ECDH, PSA_ALG_HKDF(PSA_ALG_SHA_256))');
    expect(algName(C.aeadWithShortenedTag(Alg.GCM, 8))).toBe('PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_GCM, 8)');
    expect(algName(C.atLeastThisLengthMac(Alg.CMAC, 8))).toBe('PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(PSA_ALG_CMAC, 8)');
    expect(algName(0x7fffffff)).toBe('algorithm 0x7fffffff');
    expect(stepName(C.KdfStep.LABEL)).toBe('PSA_KEY_DERIVATION_INPUT_LABEL');
  });
});

describe('packed-c crypto opcodes (opcodes.h)', () => {
  it('are TS_CRYPTO_OPCODE_*_BASE + n', () => {
    expect([Op.GENERATE_KEY, Op.IMPORT_KEY, Op.GET_KEY_ATTRIBUTES, Op.VERIFY_MESSAGE, Op.HASH_CLONE, Op.CIPHER_ABORT, Op.KEY_DERIVATION_RAW_KEY_AGREEMENT, Op.MAC_ABORT, Op.AEAD_ABORT]).toEqual([
      0x0101, 0x0107, 0x010f, 0x0111, 0x0206, 0x0307, 0x040a, 0x0506, 0x060a,
    ]);
    expect(cryptoOpcodeName(Op.AEAD_FINISH)).toBe('psa_aead_finish');
    // the fwsec extension sits apart from every TS key-derivation opcode
    expect(Op.KEY_DERIVATION_INPUT_INTEGER).toBe(0x04f0);
    expect(cryptoOpcodeName(0x04f0)).toMatch(/fwsec extension/);
  });
});

describe('packed-c crypto codec', () => {
  const aesAttrs: K.KeyAttributes = { type: KeyType.AES, bits: 128, lifetime: 0, id: 0, usage: Usage.ENCRYPT | Usage.DECRYPT, alg: Alg.GCM };
  const aesAttrsHex = '00240000' + '80000000' + '00000000' + '00000000' + '00030000' + '00025005';

  it('import_key: 24-byte ts_crypto_key_attributes, then the key data as TLV record 1 (tag and length big-endian)', () => {
    const body = K.encodeRequest(Op.IMPORT_KEY, { attributes: aesAttrs, data: fromHex('00112233') });
    expect(hex(body)).toBe(aesAttrsHex + '0001' + '0004' + '00112233');
    expect(K.decodeRequest(Op.IMPORT_KEY, body)).toEqual({ attributes: aesAttrs, data: fromHex('00112233') });
    expect(K.requestFixedSize(Op.IMPORT_KEY)).toBe(24);
  });

  it('sign_hash: u32 id, u32 alg, hash in record 1; the signature comes back in record 1', () => {
    const body = K.encodeRequest(Op.SIGN_HASH, { id: 0x10, alg: C.ecdsa(Alg.SHA_256), hash: fromHex('aabb') });
    expect(hex(body)).toBe('10000000' + '09060006' + '00010002aabb');
    expect(hex(K.encodeResponse(Op.SIGN_HASH, { signature: fromHex('0102') }))).toBe('000100020102');
  });

  it('verify_hash: hash in record 1, signature in record 2, in any order', () => {
    const body = fromHex('01000000' + '09060006' + '000200010c' + '00010001ab');
    expect(K.decodeRequest(Op.VERIFY_HASH, body)).toEqual({ id: 1, alg: 0x06000609, hash: fromHex('ab'), signature: fromHex('0c') });
  });

  it('aead_finish response: ciphertext in record 1, tag in record 2', () => {
    const body = K.encodeResponse(Op.AEAD_FINISH, { ciphertext: fromHex('c0'), tag: fromHex('7a7b') });
    expect(hex(body)).toBe('00010001c0' + '000200027a7b');
    expect(K.decodeResponse(Op.AEAD_FINISH, body)).toEqual({ ciphertext: fromHex('c0'), tag: fromHex('7a7b') });
  });

  it('aead_set_lengths and key_derivation_output_key: fixed structs only', () => {
    expect(hex(K.encodeRequest(Op.AEAD_SET_LENGTHS, { op: 7, adLength: 3, plaintextLength: 0x100 }))).toBe('07000000' + '03000000' + '00010000');
    expect(hex(K.encodeRequest(Op.KEY_DERIVATION_OUTPUT_KEY, { op: 2, attributes: aesAttrs }))).toBe('02000000' + aesAttrsHex);
    expect(K.requestFixedSize(Op.KEY_DERIVATION_OUTPUT_KEY)).toBe(28);
  });

  it('the input_integer extension is u32 op, u32 step, u64 value', () => {
    const body = K.encodeRequest(Op.KEY_DERIVATION_INPUT_INTEGER, { op: 1, step: C.KdfStep.COST, value: 4096n });
    expect(hex(body)).toBe('01000000' + '05020000' + '0010000000000000');
    expect(K.decodeRequest(Op.KEY_DERIVATION_INPUT_INTEGER, body).value).toBe(4096n);
  });

  it('get_key_attributes response is the attributes struct', () => {
    expect(K.decodeResponse(Op.GET_KEY_ATTRIBUTES, fromHex(aesAttrsHex)).attributes).toEqual(aesAttrs);
  });

  it('skips records it does not expect; an absent request record is empty', () => {
    const body = fromHex('01000000' + '09000002' + '00090002ffff' + '00010001ab');
    expect(K.decodeRequest(Op.SIGN_HASH, body)).toEqual({ id: 1, alg: 0x02000009, hash: fromHex('ab') });
    expect(K.decodeRequest(Op.SIGN_HASH, fromHex('01000000' + '09000002')).hash).toEqual(new Uint8Array(0));
  });

  it('refuses a short fixed part, a record running past the end, and a response missing its record', () => {
    expect(() => K.decodeRequest(Op.SIGN_HASH, fromHex('010000000900'))).toThrow(DecodeError);
    expect(() => K.decodeRequest(Op.SIGN_HASH, fromHex('01000000' + '09000002' + '00010005ab'))).toThrow(/announces 5 bytes/);
    expect(() => K.decodeRequest(Op.SIGN_HASH, fromHex('01000000' + '09000002' + '0001'))).toThrow(/not a TLV header/);
    expect(() => K.decodeResponse(Op.SIGN_HASH, new Uint8Array(0))).toThrow(/record 1 \(signature\) is missing/);
  });

  it('a record longer than the 16-bit length field cannot be encoded', () => {
    expect(() => K.encodeTlv([{ tag: 1, value: new Uint8Array(0x10000) }])).toThrow(RangeError);
    expect(K.encodeTlv([{ tag: 1, value: new Uint8Array(0xffff) }]).length).toBe(4 + 0xffff);
  });

  it('has a request and a response layout for every opcode it names', () => {
    for (const op of Object.values(Op)) {
      expect(K.isRequestOpcode(op), cryptoOpcodeName(op)).toBe(true);
      expect(K.RESPONSE[op as K.RequestOpcode], cryptoOpcodeName(op)).toBeDefined();
    }
  });
});
