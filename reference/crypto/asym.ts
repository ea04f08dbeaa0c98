// Asymmetric operations of the reference: ECDSA (randomized and RFC 6979
// deterministic) and ECDH on @noble/curves, Ed25519 (PureEdDSA) and X25519
// on @noble/curves, RSA on node:crypto. node:crypto signs only messages it
// hashes itself, so for psa_sign_hash the reference applies the PKCS #1
// encodings (EMSA-PKCS1-v1_5 DigestInfo, EMSA-PSS) to the given hash and
// uses node:crypto for the RSA operation (RFC 8017 §8, §9); PKCS #1 v1.5
// decryption is unpadded here because Node 20 refuses it in privateDecrypt
// (CVE-2023-46809).
import { constants, privateDecrypt, privateEncrypt, publicDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { ecdsa as makeEcdsa } from '@noble/curves/abstract/weierstrass.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { algName } from '../../protocol/psa/crypto/names.js';
import { concat } from '../../protocol/bytes.js';
import { fail } from './errors.js';
import { bigToBytes, bytesToBig } from '../../protocol/psa/crypto/integers.js';
import { validatePoint, type CurveInfo, type KeyMaterial } from './keys.js';
import { ctEqual, hashFn, hashOnce } from './primitives.js';

const { Alg } = C;

// ---------------------------------------------------------------- ECDSA

const ecdsaCache = new Map<string, ReturnType<typeof makeEcdsa>>();
function ecdsaFor(curve: CurveInfo, hashAlg: number) {
  const key = `${curve.family}/${curve.bits}/${hashAlg}`;
  let e = ecdsaCache.get(key);
  if (!e) {
    e = makeEcdsa(curve.weierstrass!.Point, hashFn(hashAlg));
    ecdsaCache.set(key, e);
  }
  return e;
}

/** The curve's default hash for ECDSA_ANY's nonce generation. */
const defaultHashFor = (curve: CurveInfo) => (curve.bits <= 256 ? Alg.SHA_256 : curve.bits <= 384 ? Alg.SHA_384 : Alg.SHA_512);

export function ecdsaSign(m: KeyMaterial, alg: number, hash: Uint8Array): Uint8Array {
  const curve = m.curve!;
  const h = C.hashOf(alg) || defaultHashFor(curve);
  const deterministic = C.isDeterministicEcdsa(alg);
  const e = ecdsaFor(curve, h);
  return e.sign(hash, m.data, { prehash: false, lowS: false, extraEntropy: deterministic ? false : true });
}

export function ecdsaVerify(m: KeyMaterial, alg: number, hash: Uint8Array, sig: Uint8Array): boolean {
  const curve = m.curve!;
  if (sig.length !== 2 * curve.bytes) return false;
  const r = bytesToBig(sig.subarray(0, curve.bytes));
  const s = bytesToBig(sig.subarray(curve.bytes));
  if (r <= 0n || r >= curve.n! || s <= 0n || s >= curve.n!) return false;
  try {
    const e = ecdsaFor(curve, C.hashOf(alg) || defaultHashFor(curve));
    return e.verify(sig, hash, m.publicData!, { prehash: false, lowS: false });
  } catch {
    return false;
  }
}

export function eddsaSign(m: KeyMaterial, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, m.data);
}

export function eddsaVerify(m: KeyMaterial, message: Uint8Array, sig: Uint8Array): boolean {
  if (sig.length !== 64) return false;
  try {
    return ed25519.verify(sig, message, m.publicData!, { zip215: false });
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- key agreement

/** Raw ECDH shared secret (x-coordinate; X25519 output), or INVALID_ARGUMENT for a bad peer key. */
export function ecdh(m: KeyMaterial, peer: Uint8Array): Uint8Array {
  const curve = m.curve!;
  if (curve.kind === 'weierstrass') {
    validatePoint(curve, peer);
    const shared = curve.weierstrass!.getSharedSecret(m.data, peer, true);
    return shared.slice(1);
  }
  if (curve.kind === 'montgomery') {
    if (peer.length !== 32) fail(PSA.ERROR_INVALID_ARGUMENT, `X25519 peer key of ${peer.length} bytes (32)`);
    try {
      return x25519.getSharedSecret(m.data, peer);
    } catch (e) {
      return fail(PSA.ERROR_INVALID_ARGUMENT, `X25519 with this peer key fails: ${(e as Error).message}`);
    }
  }
  return fail(PSA.ERROR_INVALID_ARGUMENT, 'key agreement needs a Weierstrass or Montgomery key pair');
}

// ---------------------------------------------------------------- RSA

const DIGEST_INFO: Record<number, string> = {
  [Alg.MD5]: '3020300c06082a864886f70d020505000410',
  [Alg.RIPEMD160]: '3021300906052b2403020105000414',
  [Alg.SHA_1]: '3021300906052b0e03021a05000414',
  [Alg.SHA_224]: '302d300d06096086480165030402040500041c',
  [Alg.SHA_256]: '3031300d060960864801650304020105000420',
  [Alg.SHA_384]: '3041300d060960864801650304020205000430',
  [Alg.SHA_512]: '3051300d060960864801650304020305000440',
  [Alg.SHA_512_224]: '302d300d06096086480165030402050500041c',
  [Alg.SHA_512_256]: '3031300d060960864801650304020605000420',
  [Alg.SHA3_224]: '302d300d06096086480165030402070500041c',
  [Alg.SHA3_256]: '3031300d060960864801650304020805000420',
  [Alg.SHA3_384]: '3041300d060960864801650304020905000430',
  [Alg.SHA3_512]: '3051300d060960864801650304020a05000440',
};

const hexBytes = (h: string) => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));

const modBytes = (m: KeyMaterial) => Math.ceil(m.bits / 8);

function digestInfo(hashAlg: number, hash: Uint8Array): Uint8Array {
  const prefix = DIGEST_INFO[hashAlg];
  if (!prefix) fail(PSA.ERROR_NOT_SUPPORTED, `no PKCS #1 DigestInfo for ${algName(hashAlg)}`);
  return concat(hexBytes(prefix), hash);
}

function mgf1(hashAlg: number, seed: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(len);
  const hLen = C.hashLength(hashAlg);
  for (let i = 0, off = 0; off < len; i++, off += hLen) {
    const c = new Uint8Array([i >>> 24, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff]);
    out.set(hashOnce(hashAlg, concat(seed, c)).subarray(0, Math.min(hLen, len - off)), off);
  }
  return out;
}

function rsaRawPrivate(m: KeyMaterial, em: Uint8Array): Uint8Array {
  return new Uint8Array(privateEncrypt({ key: m.rsaPrivate!, padding: constants.RSA_NO_PADDING }, em));
}

function rsaRawPublic(m: KeyMaterial, s: Uint8Array): Uint8Array | undefined {
  if (s.length !== modBytes(m)) return undefined;
  try {
    return new Uint8Array(publicDecrypt({ key: m.rsaPublic!, padding: constants.RSA_NO_PADDING }, s));
  } catch {
    return undefined; // s >= n
  }
}

function pssSaltLength(m: KeyMaterial, hashAlg: number): number {
  const hLen = C.hashLength(hashAlg);
  const emLen = Math.ceil((m.bits - 1) / 8);
  return Math.min(hLen, emLen - hLen - 2);
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) and the RSA private operation. */
function pssSign(m: KeyMaterial, hashAlg: number, mHash: Uint8Array): Uint8Array {
  const hLen = C.hashLength(hashAlg);
  const emBits = m.bits - 1;
  const emLen = Math.ceil(emBits / 8);
  const sLen = pssSaltLength(m, hashAlg);
  if (sLen < 0) fail(PSA.ERROR_INVALID_ARGUMENT, 'the key is too small for RSA-PSS with this hash');
  const salt = new Uint8Array(randomBytes(sLen));
  const h = hashOnce(hashAlg, concat(new Uint8Array(8), mHash, salt));
  const db = new Uint8Array(emLen - hLen - 1);
  db[emLen - sLen - hLen - 2] = 0x01;
  db.set(salt, emLen - sLen - hLen - 1);
  const mask = mgf1(hashAlg, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  const em = concat(db, h, new Uint8Array([0xbc]));
  const k = modBytes(m);
  return rsaRawPrivate(m, concat(new Uint8Array(k - emLen), em));
}

/** RSA public operation and EMSA-PSS-VERIFY (RFC 8017 §9.1.2); `sLen` undefined accepts any salt length. */
function pssVerify(m: KeyMaterial, hashAlg: number, mHash: Uint8Array, sig: Uint8Array, sLen: number | undefined): boolean {
  const raw = rsaRawPublic(m, sig);
  if (!raw) return false;
  const hLen = C.hashLength(hashAlg);
  const emBits = m.bits - 1;
  const emLen = Math.ceil(emBits / 8);
  const k = modBytes(m);
  for (let i = 0; i < k - emLen; i++) if (raw[i] !== 0) return false;
  const em = raw.subarray(k - emLen);
  if (emLen < hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  if (maskedDb[0]! & ~(0xff >> (8 * emLen - emBits)) & 0xff) return false;
  const db = mgf1(hashAlg, h, maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= maskedDb[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  let one = 0;
  while (one < db.length && db[one] === 0) one++;
  if (one >= db.length || db[one] !== 0x01) return false;
  const salt = db.subarray(one + 1);
  if (sLen !== undefined && salt.length !== sLen) return false;
  return ctEqual(hashOnce(hashAlg, concat(new Uint8Array(8), mHash, salt)), h);
}

function pkcs1v15Sign(m: KeyMaterial, t: Uint8Array): Uint8Array {
  if (t.length > modBytes(m) - 11) fail(PSA.ERROR_INVALID_ARGUMENT, 'input too long for RSA PKCS #1 v1.5 with this key');
  return new Uint8Array(privateEncrypt({ key: m.rsaPrivate!, padding: constants.RSA_PKCS1_PADDING }, t));
}

function pkcs1v15Verify(m: KeyMaterial, t: Uint8Array, sig: Uint8Array): boolean {
  const raw = rsaRawPublic(m, sig);
  if (!raw) return false;
  const k = modBytes(m);
  if (t.length > k - 11) return false;
  const expected = concat(new Uint8Array([0x00, 0x01]), new Uint8Array(k - t.length - 3).fill(0xff), new Uint8Array([0x00]), t);
  return ctEqual(raw, expected);
}

export function rsaSign(m: KeyMaterial, alg: number, hash: Uint8Array): Uint8Array {
  if (alg === Alg.RSA_PKCS1V15_SIGN_RAW) return pkcs1v15Sign(m, hash);
  const h = C.hashOf(alg);
  if (C.isRsaPkcs1v15Sign(alg)) return pkcs1v15Sign(m, digestInfo(h, hash));
  if (C.isRsaPss(alg)) return pssSign(m, h, hash);
  return fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not an RSA signature algorithm`);
}

export function rsaVerify(m: KeyMaterial, alg: number, hash: Uint8Array, sig: Uint8Array): boolean {
  if (alg === Alg.RSA_PKCS1V15_SIGN_RAW) return pkcs1v15Verify(m, hash, sig);
  const h = C.hashOf(alg);
  if (C.isRsaPkcs1v15Sign(alg)) return pkcs1v15Verify(m, digestInfo(h, hash), sig);
  if (C.isRsaPssAnySalt(alg)) return pssVerify(m, h, hash, sig, undefined);
  if (C.isRsaPss(alg)) return pssVerify(m, h, hash, sig, pssSaltLength(m, h));
  return false;
}

const NODE_HASH: Record<number, string> = {
  [Alg.SHA_1]: 'sha1',
  [Alg.SHA_224]: 'sha224',
  [Alg.SHA_256]: 'sha256',
  [Alg.SHA_384]: 'sha384',
  [Alg.SHA_512]: 'sha512',
};

export function rsaEncrypt(m: KeyMaterial, alg: number, input: Uint8Array, salt: Uint8Array): Uint8Array {
  const k = modBytes(m);
  if (alg === Alg.RSA_PKCS1V15_CRYPT) {
    if (salt.length) fail(PSA.ERROR_INVALID_ARGUMENT, 'PKCS #1 v1.5 encryption takes no salt');
    if (input.length > k - 11) fail(PSA.ERROR_INVALID_ARGUMENT, `message of ${input.length} bytes exceeds ${k - 11}`);
    return new Uint8Array(publicEncrypt({ key: m.rsaPublic!, padding: constants.RSA_PKCS1_PADDING }, input));
  }
  const h = C.hashOf(alg);
  const name = NODE_HASH[h];
  if (!name) fail(PSA.ERROR_NOT_SUPPORTED, `OAEP with ${algName(h)} is not supported`);
  if (input.length > k - 2 * C.hashLength(h) - 2) fail(PSA.ERROR_INVALID_ARGUMENT, `message of ${input.length} bytes exceeds ${k - 2 * C.hashLength(h) - 2}`);
  return new Uint8Array(
    publicEncrypt({ key: m.rsaPublic!, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: name, oaepLabel: salt.length ? salt : undefined }, input),
  );
}

export function rsaDecrypt(m: KeyMaterial, alg: number, input: Uint8Array, salt: Uint8Array): Uint8Array {
  const k = modBytes(m);
  if (input.length !== k) fail(PSA.ERROR_INVALID_ARGUMENT, `ciphertext of ${input.length} bytes (the modulus has ${k})`);
  if (alg === Alg.RSA_PKCS1V15_CRYPT) {
    if (salt.length) fail(PSA.ERROR_INVALID_ARGUMENT, 'PKCS #1 v1.5 decryption takes no salt');
    let em: Uint8Array;
    try {
      em = new Uint8Array(privateDecrypt({ key: m.rsaPrivate!, padding: constants.RSA_NO_PADDING }, input));
    } catch {
      return fail(PSA.ERROR_INVALID_ARGUMENT, 'ciphertext is not below the modulus');
    }
    // EME-PKCS1-v1_5 decoding: 00 02 PS (>= 8 non-zero bytes) 00 M
    let sep = -1;
    for (let i = 2; i < em.length; i++) {
      if (em[i] === 0) {
        sep = i;
        break;
      }
    }
    if (em[0] !== 0 || em[1] !== 2 || sep < 10) fail(PSA.ERROR_INVALID_PADDING, 'invalid PKCS #1 v1.5 encryption padding');
    return em.slice(sep + 1);
  }
  const h = C.hashOf(alg);
  const name = NODE_HASH[h];
  if (!name) fail(PSA.ERROR_NOT_SUPPORTED, `OAEP with ${algName(h)} is not supported`);
  try {
    return new Uint8Array(
      privateDecrypt({ key: m.rsaPrivate!, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: name, oaepLabel: salt.length ? salt : undefined }, input),
    );
  } catch {
    return fail(PSA.ERROR_INVALID_PADDING, 'OAEP decoding failed');
  }
}

export { bigToBytes };
