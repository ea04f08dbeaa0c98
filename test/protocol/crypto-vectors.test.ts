// The suite's known-answer vectors are typed in from the standards; this
// recomputes every one with node:crypto (OpenSSL), an implementation
// independent of both the suite and the reference, so a transcription error
// is caught here and not reported as a target's failure.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hex, concat } from '../../protocol/bytes.js';
import { Alg } from '../../protocol/psa/crypto/constants.js';
import * as V from '../../suites/psa-crypto/vectors.js';
// the suite's oracle is node:crypto itself (its CMAC is SP 800-38B over node's AES-ECB)
import { NODE_HASH, cmac as cmacOracle } from '../../suites/psa-crypto/oracle.js';
import { RSA_2048_PRIVATE, RSA_2048_PUBLIC } from '../../suites/psa-crypto/testkeys.js';

const x = (b: Uint8Array | Buffer) => hex(new Uint8Array(b));

describe('known-answer vectors agree with node:crypto', () => {
  it('hashes (FIPS 180-4, FIPS 202, RFC 1321)', () => {
    for (const v of V.HASH_ABC) expect(`${v.name} ${x(crypto.createHash(NODE_HASH[v.alg]!).update(v.message).digest())}`).toBe(`${v.name} ${x(v.digest)}`);
    expect(x(crypto.createHash('sha256').update('').digest())).toBe(x(V.SHA256_EMPTY));
    expect(x(crypto.createHash('sha256').update(V.SHA256_TWO_BLOCK.message).digest())).toBe(x(V.SHA256_TWO_BLOCK.digest));
  });

  it('HMAC (RFC 4231)', () => {
    for (const v of V.HMAC_RFC4231) {
      const full = crypto.createHmac(NODE_HASH[v.hash]!, v.key).update(v.data).digest();
      expect(`${v.name} ${x(full.subarray(0, v.truncate ?? full.length))}`).toBe(`${v.name} ${x(v.mac)}`);
    }
  });

  it('AES (FIPS 197) and the SP 800-38A modes', () => {
    for (const v of V.AES_FIPS197) {
      const c = crypto.createCipheriv(`aes-${v.bits}-ecb`, v.key, null).setAutoPadding(false);
      expect(x(Buffer.concat([c.update(V.AES_FIPS197_PLAINTEXT), c.final()]))).toBe(x(v.ciphertext));
    }
    const modes: Record<number, string> = { [Alg.ECB_NO_PADDING]: 'ecb', [Alg.CBC_NO_PADDING]: 'cbc', [Alg.CFB]: 'cfb', [Alg.OFB]: 'ofb', [Alg.CTR]: 'ctr' };
    for (const v of V.SP800_38A) {
      const c = crypto.createCipheriv(`aes-${v.key.length * 8}-${modes[v.alg]}`, v.key, v.alg === Alg.ECB_NO_PADDING ? null : v.iv).setAutoPadding(false);
      expect(`${v.name} ${x(Buffer.concat([c.update(V.SP800_38A_PLAINTEXT), c.final()]))}`).toBe(`${v.name} ${x(v.ciphertext)}`);
    }
  });

  it('CMAC (SP 800-38B) with an AES-ECB based oracle', () => {
    for (const v of V.CMAC_SP800_38B) expect(`${v.name} ${x(cmacOracle(v.key, V.SP800_38A_PLAINTEXT.subarray(0, v.length)))}`).toBe(`${v.name} ${x(v.mac)}`);
  });

  it('GCM, CCM and ChaCha20-Poly1305', () => {
    for (const v of V.GCM_VECTORS) {
      const c = crypto.createCipheriv(`aes-${v.key.length * 8}-gcm` as crypto.CipherGCMTypes, v.key, v.nonce);
      c.setAAD(v.ad);
      const ct = Buffer.concat([c.update(v.plaintext), c.final()]);
      expect(`${v.name} ${x(ct)} ${x(c.getAuthTag())}`).toBe(`${v.name} ${x(v.ciphertext)} ${x(v.tag)}`);
    }
    for (const v of V.CCM_VECTORS) {
      const c = crypto.createCipheriv('aes-128-ccm', v.key, v.nonce, { authTagLength: v.tagLength });
      c.setAAD(v.ad, { plaintextLength: v.plaintext.length });
      const ct = Buffer.concat([c.update(v.plaintext), c.final()]);
      expect(`${v.name} ${x(ct)} ${x(c.getAuthTag())}`).toBe(`${v.name} ${x(v.ciphertext)} ${x(v.tag)}`);
    }
    const v = V.CHACHA20_POLY1305_RFC8439;
    const c = crypto.createCipheriv('chacha20-poly1305', v.key, v.nonce, { authTagLength: 16 });
    c.setAAD(v.ad, { plaintextLength: v.plaintext.length });
    expect(x(Buffer.concat([c.update(v.plaintext), c.final(), c.getAuthTag()]))).toBe(x(concat(v.ciphertext, v.tag)));
    const s = crypto.createCipheriv('chacha20', V.CHACHA20_RFC8439.key, V.CHACHA20_RFC8439.iv16);
    expect(x(Buffer.concat([s.update(V.RFC8439_PLAINTEXT), s.final()]))).toBe(x(V.CHACHA20_RFC8439.ciphertext));
  });

  it('HKDF (RFC 5869) and PBKDF2 (RFC 6070, RFC 7914)', () => {
    for (const v of V.HKDF_RFC5869) {
      expect(x(crypto.createHmac('sha256', v.salt.length ? v.salt : new Uint8Array(32)).update(v.ikm).digest())).toBe(x(v.prk));
      expect(x(new Uint8Array(crypto.hkdfSync('sha256', v.ikm, v.salt, v.info, v.okm.length)))).toBe(x(v.okm));
    }
    for (const v of V.PBKDF2_VECTORS) {
      expect(x(crypto.pbkdf2Sync(v.password, v.salt, v.iterations, v.dk.length, NODE_HASH[v.hash]!))).toBe(x(v.dk));
    }
  });

  it('RFC 6979 signatures verify under the RFC keys', () => {
    const curves = { p256: 'P-256', p384: 'P-384', p521: 'P-521' } as const;
    for (const v of V.RFC6979_VECTORS) {
      const ecdh = crypto.createECDH({ p256: 'prime256v1', p384: 'secp384r1', p521: 'secp521r1' }[v.curve]);
      ecdh.setPrivateKey(V.RFC6979_KEYS[v.curve]);
      const pub = ecdh.getPublicKey();
      const n = (pub.length - 1) / 2;
      const key = crypto.createPublicKey({
        key: { kty: 'EC', crv: curves[v.curve], x: pub.subarray(1, 1 + n).toString('base64url'), y: pub.subarray(1 + n).toString('base64url') },
        format: 'jwk',
      });
      const ok = crypto.verify(NODE_HASH[v.hash]!, v.message, { key, dsaEncoding: 'ieee-p1363' }, concat(v.r, v.s));
      expect(`${v.name} ${ok}`).toBe(`${v.name} true`);
      if (v.curve === 'p256') expect(x(pub)).toBe(x(V.RFC6979_P256_PUBLIC));
    }
  });

  it('Ed25519 (RFC 8032) and X25519 (RFC 7748)', () => {
    for (const v of V.ED25519_RFC8032) {
      const priv = crypto.createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(v.secret).toString('base64url'), x: Buffer.from(v.public).toString('base64url') }, format: 'jwk' });
      expect(x(crypto.sign(null, v.message, priv))).toBe(x(v.signature));
    }
    const X = V.X25519_RFC7748;
    const key = (d: Uint8Array, pub: Uint8Array) =>
      crypto.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(d).toString('base64url'), x: Buffer.from(pub).toString('base64url') }, format: 'jwk' });
    const pubKey = (pub: Uint8Array) => crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(pub).toString('base64url') }, format: 'jwk' });
    expect(x(crypto.diffieHellman({ privateKey: key(X.alicePrivate, X.alicePublic), publicKey: pubKey(X.bobPublic) }))).toBe(x(X.shared));
  });

  it('the fixed RSA test key pair and its public key belong together', () => {
    const priv = crypto.createPrivateKey({ key: Buffer.from(RSA_2048_PRIVATE), format: 'der', type: 'pkcs1' });
    const pub = crypto.createPublicKey(priv).export({ format: 'der', type: 'pkcs1' });
    expect(x(pub)).toBe(x(RSA_2048_PUBLIC));
    expect(crypto.createPublicKey(priv).asymmetricKeyDetails?.modulusLength).toBe(2048);
  });
});
