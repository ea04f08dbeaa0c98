// Key material of the reference TPM: deterministic primary keys derived from
// a hierarchy seed (Part 1, 26.3 / Part 3, 24.1: the same template under the
// same seed gives the same key), random ordinary keys, signing and
// verification (RSASSA, RSAPSS, ECDSA), and the protected blobs a TPM hands
// out (private areas, saved contexts). RSA uses node:crypto; ECC
// @noble/curves; symmetric AES-CFB @noble/ciphers.
import {
  constants as C,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateEncrypt,
  publicDecrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { cfb } from '@noble/ciphers/aes.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { bytesEqual, concat } from '../../protocol/bytes.js';
import { ALG, ECC_CURVE } from '../../protocol/tpm2/constants.js';
import { hash, hashSize, hmac, kdfa } from '../../protocol/tpm2/crypto.js';
import { TpmWriter, be32 } from '../../protocol/tpm2/marshal.js';

// ---------------------------------------------------------------- bigint helpers

export function toBig(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

export function fromBig(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let r = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return r;
}

function modInv(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new Error('not invertible');
  return ((oldS % m) + m) % m;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}

const SMALL_PRIMES: number[] = (() => {
  const out: number[] = [];
  const lim = 3000;
  const sieve = new Uint8Array(lim);
  for (let i = 2; i < lim; i++) {
    if (sieve[i]) continue;
    out.push(i);
    for (let j = i * i; j < lim; j += i) sieve[j] = 1;
  }
  return out.slice(1); // odd primes only
})();

const MR_BASES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n];

function millerRabin(n: bigint, rounds: number): boolean {
  const n1 = n - 1n;
  let d = n1;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  outer: for (let i = 0; i < rounds; i++) {
    let x = modPow(MR_BASES[i]!, d, n);
    if (x === 1n || x === n1) continue;
    for (let j = 1; j < s; j++) {
      x = (x * x) % n;
      if (x === n1) continue outer;
    }
    return false;
  }
  return true;
}

/** Deterministic byte stream: KDFa(alg, seed, label, context, counter) blocks. */
export class KdfStream {
  private block = 0;
  constructor(
    private readonly alg: number,
    private readonly key: Uint8Array,
    private readonly lbl: string,
    private readonly context: Uint8Array,
  ) {}
  next(n: number): Uint8Array {
    this.block += 1;
    return kdfa(this.alg, this.key, this.lbl, this.context, be32(this.block), n * 8);
  }
}

/** A prime of `bits` bits (top two bits set, so p*q has 2*bits bits) with gcd(p-1, e) = 1. */
function findPrime(stream: KdfStream, bits: number, e: bigint): bigint {
  for (;;) {
    const raw = stream.next(bits / 8);
    raw[0]! |= 0xc0;
    raw[raw.length - 1]! |= 1;
    const start = toBig(raw);
    const residues = SMALL_PRIMES.map((p) => Number(start % BigInt(p)));
    // incremental search from the start, stepping by 2, sieving by small primes
    for (let step = 0; step < 20000; step += 2) {
      let composite = false;
      for (let i = 0; i < SMALL_PRIMES.length; i++) {
        if ((residues[i]! + step) % SMALL_PRIMES[i]! === 0) {
          composite = true;
          break;
        }
      }
      if (composite) continue;
      const cand = start + BigInt(step);
      if (!millerRabin(cand, 1)) continue;
      if (!millerRabin(cand, 8)) continue;
      if (gcd(cand - 1n, e) !== 1n) continue;
      return cand;
    }
  }
}

// ---------------------------------------------------------------- key material

export interface RsaMaterial {
  kind: 'rsa';
  n: Uint8Array;
  e: number;
  /** The private key (absent for public-only keys). */
  priv?: KeyObject;
  pub: KeyObject;
  p?: Uint8Array;
}

export interface EccMaterial {
  kind: 'ecc';
  curve: number;
  x: Uint8Array;
  y: Uint8Array;
  d?: Uint8Array;
}

export type KeyMaterial = RsaMaterial | EccMaterial;

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

function rsaFromPrimes(p: bigint, q: bigint, e: bigint, bytes: number): RsaMaterial {
  if (p < q) [p, q] = [q, p];
  const n = p * q;
  const phi = (p - 1n) * (q - 1n);
  const d = modInv(e, phi);
  const enc = (v: bigint) => b64u(fromBig(v, Math.max(1, Math.ceil(v.toString(16).length / 2))));
  const jwk = {
    kty: 'RSA',
    n: b64u(fromBig(n, bytes)),
    e: enc(e),
    d: enc(d),
    p: enc(p),
    q: enc(q),
    dp: enc(d % (p - 1n)),
    dq: enc(d % (q - 1n)),
    qi: enc(modInv(q, p)),
  };
  const priv = createPrivateKey({ key: jwk, format: 'jwk' });
  return { kind: 'rsa', n: fromBig(n, bytes), e: Number(e), priv, pub: createPublicKey(priv), p: fromBig(p, bytes / 2) };
}

export function rsaPublic(n: Uint8Array, exponent: number): RsaMaterial {
  const e = exponent || 65537;
  const pub = createPublicKey({ key: { kty: 'RSA', n: b64u(n), e: b64u(fromBig(BigInt(e), e > 0xffffff ? 4 : 3)) }, format: 'jwk' });
  return { kind: 'rsa', n, e, pub };
}

/** Rebuilds an RSA key from its modulus and one prime (what a TPM's sensitive area stores). */
export function rsaFromPrime(n: Uint8Array, exponent: number, prime: Uint8Array): RsaMaterial {
  const N = toBig(n);
  const p = toBig(prime);
  if (p <= 1n || N % p !== 0n) throw new Error('prime does not divide the modulus');
  return rsaFromPrimes(p, N / p, BigInt(exponent || 65537), n.length);
}

/** Deterministic RSA key from a seed stream (primary objects). */
export function rsaDerive(stream: KdfStream, keyBits: number, exponent: number): RsaMaterial {
  const e = BigInt(exponent || 65537);
  const p = findPrime(stream, keyBits / 2, e);
  let q = findPrime(stream, keyBits / 2, e);
  while (q === p) q = findPrime(stream, keyBits / 2, e);
  return rsaFromPrimes(p, q, e, keyBits / 8);
}

export function rsaRandom(keyBits: number, exponent: number): RsaMaterial {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: keyBits, publicExponent: exponent || 65537 });
  const jwk = privateKey.export({ format: 'jwk' });
  const n = new Uint8Array(Buffer.from(jwk.n!, 'base64url'));
  const p = new Uint8Array(Buffer.from(jwk.p!, 'base64url'));
  return { kind: 'rsa', n, e: exponent || 65537, priv: privateKey, pub: createPublicKey(privateKey), p };
}

export const CURVES: Record<number, { impl: typeof p256; size: number; n: bigint }> = {
  [ECC_CURVE.NIST_P256]: { impl: p256, size: 32, n: p256.Point.CURVE().n },
  [ECC_CURVE.NIST_P384]: { impl: p384 as unknown as typeof p256, size: 48, n: p384.Point.CURVE().n },
};

function eccFromD(curve: number, d: Uint8Array): EccMaterial {
  const c = CURVES[curve]!;
  const pub = c.impl.getPublicKey(d, false);
  return { kind: 'ecc', curve, d, x: pub.slice(1, 1 + c.size), y: pub.slice(1 + c.size) };
}

export function eccDerive(stream: KdfStream, curve: number): EccMaterial {
  const c = CURVES[curve]!;
  // d = (c mod (n - 1)) + 1 with 64 extra bits (FIPS 186-4, B.4.1)
  const v = toBig(stream.next(c.size + 8));
  return eccFromD(curve, fromBig((v % (c.n - 1n)) + 1n, c.size));
}

export function eccRandom(curve: number): EccMaterial {
  const c = CURVES[curve]!;
  return eccFromD(curve, c.impl.utils.randomSecretKey());
}

export function eccFromPrivate(curve: number, d: Uint8Array): EccMaterial {
  return eccFromD(curve, d);
}

export function eccPublic(curve: number, x: Uint8Array, y: Uint8Array): EccMaterial {
  return { kind: 'ecc', curve, x, y };
}

/** True when (x, y) is a point on the curve. */
export function eccPointValid(curve: number, x: Uint8Array, y: Uint8Array): boolean {
  const c = CURVES[curve];
  if (!c || x.length !== c.size || y.length !== c.size) return false;
  try {
    c.impl.Point.fromBytes(concat(new Uint8Array([4]), x, y)).assertValidity();
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- signatures

/** DER DigestInfo prefixes (RFC 8017, 9.2 note 1). */
const DIGEST_INFO: Record<number, string> = {
  [ALG.SHA1]: '3021300906052b0e03021a05000414',
  [ALG.SHA256]: '3031300d060960864801650304020105000420',
  [ALG.SHA384]: '3041300d060960864801650304020205000430',
  [ALG.SHA512]: '3051300d060960864801650304020305000440',
};

function digestInfo(hashAlg: number, digest: Uint8Array): Uint8Array {
  return concat(new Uint8Array(Buffer.from(DIGEST_INFO[hashAlg]!, 'hex')), digest);
}

function mgf1(alg: number, seed: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(len);
  const h = hashSize(alg);
  for (let i = 0, off = 0; off < len; i++, off += h) {
    out.set(hash(alg, seed, be32(i)).subarray(0, Math.min(h, len - off)), off);
  }
  return out;
}

function emsaPssEncode(alg: number, mHash: Uint8Array, emBits: number, saltLen: number): Uint8Array {
  const hLen = hashSize(alg);
  const emLen = Math.ceil(emBits / 8);
  const salt = new Uint8Array(randomBytes(saltLen));
  const H = hash(alg, new Uint8Array(8), mHash, salt);
  const db = new Uint8Array(emLen - hLen - 1);
  db[emLen - saltLen - hLen - 2] = 1;
  db.set(salt, emLen - saltLen - hLen - 1);
  const mask = mgf1(alg, H, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  return concat(db, H, new Uint8Array([0xbc]));
}

function emsaPssVerify(alg: number, mHash: Uint8Array, em: Uint8Array, emBits: number): boolean {
  const hLen = hashSize(alg);
  const emLen = Math.ceil(emBits / 8);
  if (em.length !== emLen || emLen < hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const db = em.slice(0, emLen - hLen - 1);
  const H = em.subarray(emLen - hLen - 1, emLen - 1);
  if (db[0]! & ~(0xff >> (8 * emLen - emBits))) return false;
  const mask = mgf1(alg, H, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  let i = 0;
  while (i < db.length && db[i] === 0) i++;
  if (i >= db.length || db[i] !== 1) return false;
  const salt = db.subarray(i + 1);
  return bytesEqual(hash(alg, new Uint8Array(8), mHash, salt), H);
}

export interface RawSignature {
  /** RSA signature bytes, or ECDSA r. */
  a: Uint8Array;
  /** ECDSA s. */
  b?: Uint8Array;
}

export function signDigest(key: KeyMaterial, scheme: number, hashAlg: number, digest: Uint8Array): RawSignature {
  if (key.kind === 'rsa') {
    if (!key.priv) throw new Error('no private key');
    if (scheme === ALG.RSASSA) {
      return { a: new Uint8Array(privateEncrypt({ key: key.priv, padding: C.RSA_PKCS1_PADDING }, digestInfo(hashAlg, digest))) };
    }
    const emBits = key.n.length * 8 - 1;
    const hLen = hashSize(hashAlg);
    const saltLen = Math.min(hLen, Math.ceil(emBits / 8) - hLen - 2);
    const em = emsaPssEncode(hashAlg, digest, emBits, saltLen);
    const padded = concat(new Uint8Array(key.n.length - em.length), em);
    return { a: new Uint8Array(privateEncrypt({ key: key.priv, padding: C.RSA_NO_PADDING }, padded)) };
  }
  const c = CURVES[key.curve]!;
  const sig = c.impl.sign(digest, key.d!, { prehash: false, lowS: false });
  return { a: sig.slice(0, c.size), b: sig.slice(c.size) };
}

export function verifyDigest(key: KeyMaterial, scheme: number, hashAlg: number, digest: Uint8Array, sig: RawSignature): boolean {
  try {
    if (key.kind === 'rsa') {
      if (sig.a.length !== key.n.length) return false;
      if (scheme === ALG.RSASSA) {
        const out = publicDecrypt({ key: key.pub, padding: C.RSA_PKCS1_PADDING }, sig.a);
        return bytesEqual(new Uint8Array(out), digestInfo(hashAlg, digest));
      }
      const em = new Uint8Array(publicDecrypt({ key: key.pub, padding: C.RSA_NO_PADDING }, sig.a));
      const emBits = key.n.length * 8 - 1;
      const emLen = Math.ceil(emBits / 8);
      if (em.length > emLen && em[0] !== 0) return false;
      return emsaPssVerify(hashAlg, digest, em.subarray(em.length - emLen), emBits);
    }
    const c = CURVES[key.curve]!;
    if (!sig.b || sig.a.length > c.size || sig.b.length > c.size) return false;
    const r = toBig(sig.a);
    const s = toBig(sig.b);
    if (r <= 0n || s <= 0n || r >= c.n || s >= c.n) return false;
    const compact = concat(fromBig(r, c.size), fromBig(s, c.size));
    return c.impl.verify(compact, digest, concat(new Uint8Array([4]), key.x, key.y), { prehash: false, lowS: false });
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- protected blobs

function aesCfb(key: Uint8Array, iv: Uint8Array, data: Uint8Array, encrypt: boolean): Uint8Array {
  const c = cfb(key, iv);
  return encrypt ? c.encrypt(data) : c.decrypt(data);
}

/**
 * Private area (Part 1, 23.3 and 27.6): encSensitive = AES-CFB(KDFa(parentNameAlg,
 * seedValue, "STORAGE", name)), outerHMAC = HMAC(KDFa(.., "INTEGRITY"), encSensitive || name);
 * blob = TPM2B(outerHMAC) || encSensitive.
 */
export function wrapPrivate(parentAlg: number, parentSeed: Uint8Array, symBits: number, name: Uint8Array, sensitive: Uint8Array): Uint8Array {
  const symKey = kdfa(parentAlg, parentSeed, 'STORAGE', name, new Uint8Array(0), symBits);
  const hmacKey = kdfa(parentAlg, parentSeed, 'INTEGRITY', new Uint8Array(0), new Uint8Array(0), hashSize(parentAlg) * 8);
  const enc = aesCfb(symKey, new Uint8Array(16), new TpmWriter().tpm2b(sensitive).finish(), true);
  const integrity = hmac(parentAlg, hmacKey, enc, name);
  return new TpmWriter().tpm2b(integrity).bytes(enc).finish();
}

/** The marshalled TPMT_SENSITIVE inside a private blob, or undefined when its integrity fails. */
export function unwrapPrivate(parentAlg: number, parentSeed: Uint8Array, symBits: number, name: Uint8Array, blob: Uint8Array): Uint8Array | undefined {
  if (blob.length < 2) return undefined;
  const isz = (blob[0]! << 8) | blob[1]!;
  if (isz !== hashSize(parentAlg) || blob.length < 2 + isz + 2) return undefined;
  const integrity = blob.subarray(2, 2 + isz);
  const enc = blob.subarray(2 + isz);
  const hmacKey = kdfa(parentAlg, parentSeed, 'INTEGRITY', new Uint8Array(0), new Uint8Array(0), hashSize(parentAlg) * 8);
  if (!bytesEqual(hmac(parentAlg, hmacKey, enc, name), integrity)) return undefined;
  const symKey = kdfa(parentAlg, parentSeed, 'STORAGE', name, new Uint8Array(0), symBits);
  const plain = aesCfb(symKey, new Uint8Array(16), enc, false);
  const size = (plain[0]! << 8) | plain[1]!;
  if (size !== plain.length - 2) return undefined;
  return plain.subarray(2);
}

/** Saved context protection (Part 1, 30.3): AES-CFB under KDFa(proof, "CONTEXT", sequence, handle), HMAC-SHA256 integrity. */
export function sealContext(proof: Uint8Array, resetValue: number, clearCount: number | undefined, sequence: bigint, handle: number, data: Uint8Array): Uint8Array {
  const seq = new TpmWriter(8).u64(sequence).finish();
  const kiv = kdfa(ALG.SHA256, proof, 'CONTEXT', seq, be32(handle), 256);
  const enc = aesCfb(kiv.subarray(0, 16), kiv.subarray(16, 32), data, true);
  const mac = hmac(ALG.SHA256, proof, be32(resetValue), clearCount === undefined ? new Uint8Array(0) : be32(clearCount), seq, be32(handle), enc);
  return new TpmWriter().tpm2b(mac).bytes(enc).finish();
}

export function openContext(proof: Uint8Array, resetValue: number, clearCount: number | undefined, sequence: bigint, handle: number, blob: Uint8Array): Uint8Array | undefined {
  if (blob.length < 34 || blob[0] !== 0 || blob[1] !== 32) return undefined;
  const mac = blob.subarray(2, 34);
  const enc = blob.subarray(34);
  const seq = new TpmWriter(8).u64(sequence).finish();
  const want = hmac(ALG.SHA256, proof, be32(resetValue), clearCount === undefined ? new Uint8Array(0) : be32(clearCount), seq, be32(handle), enc);
  if (!bytesEqual(want, mac)) return undefined;
  const kiv = kdfa(ALG.SHA256, proof, 'CONTEXT', seq, be32(handle), 256);
  return aesCfb(kiv.subarray(0, 16), kiv.subarray(16, 32), enc, false);
}
