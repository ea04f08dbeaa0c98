// The independent oracle of the differential checks: node:crypto (OpenSSL).
// What a target produces must verify, decrypt or match here; what this
// produces must be accepted by the target. Never the reference's code.
// node:crypto has no CMAC, no TLS 1.2 PRF and (on Node 20) no PKCS #1 v1.5
// private decryption: those are composed here from node:crypto's AES-ECB,
// HMAC and raw RSA (RFC 4493 / SP 800-38B, RFC 5246 §5, RFC 8017 §7.2.2).
import crypto, { type KeyObject } from 'node:crypto';
import { concat } from '../../protocol/bytes.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { RSA_2048_PRIVATE } from './testkeys.js';
import { bigToBytes, bytesToBig } from '../../protocol/psa/crypto/integers.js';

/** Re-exported for the checks, which write scalars and coordinates as O.bigToBytes / O.bytesToBig. */
export { bigToBytes, bytesToBig };

const { Alg } = C;

export const NODE_HASH: Record<number, string> = {
  [Alg.MD5]: 'md5',
  [Alg.RIPEMD160]: 'ripemd160',
  [Alg.SHA_1]: 'sha1',
  [Alg.SHA_224]: 'sha224',
  [Alg.SHA_256]: 'sha256',
  [Alg.SHA_384]: 'sha384',
  [Alg.SHA_512]: 'sha512',
  [Alg.SHA_512_224]: 'sha512-224',
  [Alg.SHA_512_256]: 'sha512-256',
  [Alg.SHA3_224]: 'sha3-224',
  [Alg.SHA3_256]: 'sha3-256',
  [Alg.SHA3_384]: 'sha3-384',
  [Alg.SHA3_512]: 'sha3-512',
};

const u8 = (b: Buffer | Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();

export function hash(alg: number, data: Uint8Array): Uint8Array {
  return u8(crypto.createHash(NODE_HASH[alg]!).update(data).digest());
}

export function hmac(hashAlg: number, key: Uint8Array, data: Uint8Array): Uint8Array {
  return u8(crypto.createHmac(NODE_HASH[hashAlg]!, key).update(data).digest());
}

function ecbBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const c = crypto.createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
  return u8(Buffer.concat([c.update(block), c.final()]));
}

/** AES-CMAC (SP 800-38B §6.2) over node:crypto AES-ECB. */
export function cmac(key: Uint8Array, msg: Uint8Array): Uint8Array {
  const dbl = (b: Uint8Array) => {
    const o = new Uint8Array(16);
    for (let i = 0; i < 16; i++) o[i] = ((b[i]! << 1) | (i < 15 ? b[i + 1]! >> 7 : 0)) & 0xff;
    if (b[0]! & 0x80) o[15]! ^= 0x87;
    return o;
  };
  const k1 = dbl(ecbBlock(key, new Uint8Array(16)));
  const k2 = dbl(k1);
  const n = Math.max(1, Math.ceil(msg.length / 16));
  const complete = msg.length > 0 && msg.length % 16 === 0;
  const last = new Uint8Array(16);
  last.set(msg.subarray((n - 1) * 16));
  if (!complete) last[msg.length - (n - 1) * 16] = 0x80;
  const sub = complete ? k1 : k2;
  let x: Uint8Array = new Uint8Array(16);
  for (let i = 0; i < n - 1; i++) x = ecbBlock(key, x.map((v, j) => v ^ msg[i * 16 + j]!));
  return ecbBlock(key, x.map((v, j) => v ^ last[j]! ^ sub[j]!));
}

const MODE: Record<number, string> = {
  [Alg.ECB_NO_PADDING]: 'ecb',
  [Alg.CBC_NO_PADDING]: 'cbc',
  [Alg.CBC_PKCS7]: 'cbc',
  [Alg.CTR]: 'ctr',
  [Alg.CFB]: 'cfb',
  [Alg.OFB]: 'ofb',
};

/** Unauthenticated cipher: AES modes, or ChaCha20 (STREAM_CIPHER, a 12-byte nonce with counter 0, or the 16-byte counter||nonce form). */
export function cipher(alg: number, key: Uint8Array, iv: Uint8Array, data: Uint8Array, encrypt: boolean): Uint8Array {
  let c: crypto.Cipher | crypto.Decipher;
  if (alg === Alg.STREAM_CIPHER) {
    const iv16 = iv.length === 12 ? concat(new Uint8Array(4), iv) : iv;
    c = encrypt ? crypto.createCipheriv('chacha20', key, iv16) : crypto.createDecipheriv('chacha20', key, iv16);
  } else {
    const name = `aes-${key.length * 8}-${MODE[alg]}`;
    const ivArg = alg === Alg.ECB_NO_PADDING ? null : alg === Alg.CTR && iv.length < 16 ? concat(iv, new Uint8Array(16 - iv.length)) : iv;
    c = encrypt ? crypto.createCipheriv(name, key, ivArg) : crypto.createDecipheriv(name, key, ivArg);
    c.setAutoPadding(alg === Alg.CBC_PKCS7);
  }
  return u8(Buffer.concat([c.update(data), c.final()]));
}

function aeadName(base: number, key: Uint8Array): string {
  if (base === Alg.GCM) return `aes-${key.length * 8}-gcm`;
  if (base === Alg.CCM) return `aes-${key.length * 8}-ccm`;
  return 'chacha20-poly1305';
}

export function aeadEncrypt(base: number, key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, pt: Uint8Array, tagLength: number): { ciphertext: Uint8Array; tag: Uint8Array } {
  const c = crypto.createCipheriv(aeadName(base, key) as crypto.CipherGCMTypes, key, nonce, { authTagLength: tagLength });
  if (base === Alg.CCM) (c as unknown as crypto.CipherCCM).setAAD(ad, { plaintextLength: pt.length });
  else c.setAAD(ad);
  const ct = Buffer.concat([c.update(pt), c.final()]);
  return { ciphertext: u8(ct), tag: u8(c.getAuthTag()) };
}

/** The plaintext, or undefined when the tag does not authenticate. */
export function aeadDecrypt(base: number, key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ct: Uint8Array, tag: Uint8Array): Uint8Array | undefined {
  const d = crypto.createDecipheriv(aeadName(base, key) as crypto.CipherGCMTypes, key, nonce, { authTagLength: tag.length });
  d.setAuthTag(tag);
  if (base === Alg.CCM) (d as unknown as crypto.DecipherCCM).setAAD(ad, { plaintextLength: ct.length });
  else d.setAAD(ad);
  try {
    return u8(Buffer.concat([d.update(ct), d.final()]));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- elliptic curves

export interface Curve {
  name: string;
  family: number;
  bits: number;
  bytes: number;
  jwk: string;
  ecdh: string;
  /** Group order. */
  n: bigint;
  /** Field prime. */
  p: bigint;
  /** The hash whose ECDSA the suite uses with this curve. */
  hash: number;
}

export const CURVES: Record<'p256' | 'p384' | 'p521' | 'k256', Curve> = {
  p256: {
    name: 'P-256',
    family: C.EccFamily.SECP_R1,
    bits: 256,
    bytes: 32,
    jwk: 'P-256',
    ecdh: 'prime256v1',
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    hash: Alg.SHA_256,
  },
  p384: {
    name: 'P-384',
    family: C.EccFamily.SECP_R1,
    bits: 384,
    bytes: 48,
    jwk: 'P-384',
    ecdh: 'secp384r1',
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    hash: Alg.SHA_384,
  },
  p521: {
    name: 'P-521',
    family: C.EccFamily.SECP_R1,
    bits: 521,
    bytes: 66,
    jwk: 'P-521',
    ecdh: 'secp521r1',
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    p: (1n << 521n) - 1n,
    hash: Alg.SHA_512,
  },
  k256: {
    name: 'secp256k1',
    family: C.EccFamily.SECP_K1,
    bits: 256,
    bytes: 32,
    jwk: 'secp256k1',
    ecdh: 'secp256k1',
    n: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn,
    hash: Alg.SHA_256,
  },
};

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/** The uncompressed public point of private scalar `d`. */
export function ecPublicOf(curve: Curve, d: Uint8Array): Uint8Array {
  const e = crypto.createECDH(curve.ecdh);
  e.setPrivateKey(d);
  return u8(e.getPublicKey());
}

export function ecPublicKey(curve: Curve, point: Uint8Array): KeyObject {
  return crypto.createPublicKey({
    key: { kty: 'EC', crv: curve.jwk, x: b64(point.subarray(1, 1 + curve.bytes)), y: b64(point.subarray(1 + curve.bytes)) },
    format: 'jwk',
  });
}

export function ecPrivateKey(curve: Curve, d: Uint8Array): KeyObject {
  const point = ecPublicOf(curve, d);
  return crypto.createPrivateKey({
    key: { kty: 'EC', crv: curve.jwk, d: b64(d), x: b64(point.subarray(1, 1 + curve.bytes)), y: b64(point.subarray(1 + curve.bytes)) },
    format: 'jwk',
  });
}

/** ECDSA r||s over `message` hashed with `hashAlg`, verified by OpenSSL. */
export function ecdsaVerify(curve: Curve, point: Uint8Array, hashAlg: number, message: Uint8Array, sig: Uint8Array): boolean {
  try {
    return crypto.verify(NODE_HASH[hashAlg]!, message, { key: ecPublicKey(curve, point), dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

export function ecdsaSign(curve: Curve, d: Uint8Array, hashAlg: number, message: Uint8Array): Uint8Array {
  return u8(crypto.sign(NODE_HASH[hashAlg]!, message, { key: ecPrivateKey(curve, d), dsaEncoding: 'ieee-p1363' }));
}

/** ECDH: the x-coordinate of d·Q, big-endian. */
export function ecdh(curve: Curve, d: Uint8Array, peer: Uint8Array): Uint8Array {
  const e = crypto.createECDH(curve.ecdh);
  e.setPrivateKey(d);
  return u8(e.computeSecret(peer));
}

export function ed25519Verify(pub: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean {
  const key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64(pub) }, format: 'jwk' });
  try {
    return crypto.verify(null, message, key, sig);
  } catch {
    return false;
  }
}

export function ed25519PublicOf(secret: Uint8Array): Uint8Array {
  // Node derives the public key from the seed when given PKCS#8; build it from the 32-byte seed
  const der = concat(Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]), secret);
  const priv = crypto.createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  const jwk = crypto.createPublicKey(priv).export({ format: 'jwk' }) as { x: string };
  return u8(Buffer.from(jwk.x, 'base64url'));
}

function x25519Private(d: Uint8Array): KeyObject {
  const der = concat(Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]), d);
  return crypto.createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}

export function x25519(d: Uint8Array, peer: Uint8Array): Uint8Array {
  const publicKey = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(peer) }, format: 'jwk' });
  return u8(crypto.diffieHellman({ privateKey: x25519Private(d), publicKey }));
}

export function x25519PublicOf(d: Uint8Array): Uint8Array {
  const jwk = crypto.createPublicKey(x25519Private(d)).export({ format: 'jwk' }) as { x: string };
  return u8(Buffer.from(jwk.x, 'base64url'));
}

// ---------------------------------------------------------------- RSA

let rsa: { priv: KeyObject; pub: KeyObject } | undefined;
export function rsaTestKey(): { priv: KeyObject; pub: KeyObject } {
  if (!rsa) {
    const priv = crypto.createPrivateKey({ key: Buffer.from(RSA_2048_PRIVATE), format: 'der', type: 'pkcs1' });
    rsa = { priv, pub: crypto.createPublicKey(priv) };
  }
  return rsa;
}

export function rsaPublicKey(der: Uint8Array): KeyObject {
  return crypto.createPublicKey({ key: Buffer.from(der), format: 'der', type: 'pkcs1' });
}

/** Verifies a PKCS #1 v1.5 or PSS (salt length = hash length) signature over `message`. */
export function rsaVerify(pub: KeyObject, alg: number, message: Uint8Array, sig: Uint8Array): boolean {
  const pss = C.isRsaPss(alg);
  try {
    return crypto.verify(
      NODE_HASH[C.hashOf(alg)]!,
      message,
      { key: pub, padding: pss ? crypto.constants.RSA_PKCS1_PSS_PADDING : crypto.constants.RSA_PKCS1_PADDING, saltLength: pss ? crypto.constants.RSA_PSS_SALTLEN_DIGEST : undefined },
      sig,
    );
  } catch {
    return false;
  }
}

export function rsaSign(priv: KeyObject, alg: number, message: Uint8Array, saltLength?: number): Uint8Array {
  const pss = C.isRsaPss(alg);
  return u8(
    crypto.sign(NODE_HASH[C.hashOf(alg)]!, message, {
      key: priv,
      padding: pss ? crypto.constants.RSA_PKCS1_PSS_PADDING : crypto.constants.RSA_PKCS1_PADDING,
      saltLength: pss ? (saltLength ?? crypto.constants.RSA_PSS_SALTLEN_DIGEST) : undefined,
    }),
  );
}

export function rsaEncrypt(pub: KeyObject, alg: number, message: Uint8Array, label?: Uint8Array): Uint8Array {
  if (alg === Alg.RSA_PKCS1V15_CRYPT) return u8(crypto.publicEncrypt({ key: pub, padding: crypto.constants.RSA_PKCS1_PADDING }, message));
  return u8(
    crypto.publicEncrypt({ key: pub, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: NODE_HASH[C.hashOf(alg)]!, oaepLabel: label?.length ? label : undefined }, message),
  );
}

/** The message, or undefined when the padding does not check out. */
export function rsaDecrypt(priv: KeyObject, alg: number, ct: Uint8Array, label?: Uint8Array): Uint8Array | undefined {
  try {
    if (alg === Alg.RSA_PKCS1V15_CRYPT) {
      const em = u8(crypto.privateDecrypt({ key: priv, padding: crypto.constants.RSA_NO_PADDING }, ct));
      const sep = em.indexOf(0, 2);
      if (em[0] !== 0 || em[1] !== 2 || sep < 10) return undefined;
      return em.slice(sep + 1);
    }
    return u8(
      crypto.privateDecrypt({ key: priv, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: NODE_HASH[C.hashOf(alg)]!, oaepLabel: label?.length ? label : undefined }, ct),
    );
  } catch {
    return undefined;
  }
}

/** The RSA public operation without padding: m^e mod n, for building ciphertexts of chosen encryption blocks. */
export function rsaPublicRaw(pub: KeyObject, block: Uint8Array): Uint8Array {
  return u8(crypto.publicEncrypt({ key: pub, padding: crypto.constants.RSA_NO_PADDING }, block));
}

/** The RSA private operation without padding (for building signatures with chosen salt lengths etc.). */
export function rsaRaw(priv: KeyObject, block: Uint8Array): Uint8Array {
  return u8(crypto.privateEncrypt({ key: priv, padding: crypto.constants.RSA_NO_PADDING }, block));
}

// ---------------------------------------------------------------- key derivation

export function hkdf(hashAlg: number, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, len: number): Uint8Array {
  return u8(Buffer.from(crypto.hkdfSync(NODE_HASH[hashAlg]!, ikm, salt, info, len)));
}

export function pbkdf2(hashAlg: number, password: Uint8Array, salt: Uint8Array, iterations: number, len: number): Uint8Array {
  return u8(crypto.pbkdf2Sync(password, salt, iterations, len, NODE_HASH[hashAlg]!));
}

/** The TLS 1.2 PRF (RFC 5246 §5): P_hash(secret, label + seed). */
export function tls12Prf(hashAlg: number, secret: Uint8Array, label: Uint8Array, seed: Uint8Array, len: number): Uint8Array {
  const s = concat(label, seed);
  const out: Uint8Array[] = [];
  let total = 0;
  let a = s;
  while (total < len) {
    a = hmac(hashAlg, secret, a);
    const b = hmac(hashAlg, secret, concat(a, s));
    out.push(b);
    total += b.length;
  }
  return concat(...out).slice(0, len);
}

/** The TLS 1.2 PSK premaster secret (RFC 4279 §2): other_secret defaults to zeros of the PSK length. */
export function pskPremaster(psk: Uint8Array, other?: Uint8Array): Uint8Array {
  const o = other ?? new Uint8Array(psk.length);
  const u16 = (n: number) => Uint8Array.from([n >> 8, n & 0xff]);
  return concat(u16(o.length), o, u16(psk.length), psk);
}

export function randomBytes(n: number): Uint8Array {
  return u8(crypto.randomBytes(n));
}
