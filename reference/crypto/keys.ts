// Key material of the reference: validation of imported data against the
// standard formats of PSA Crypto 1.2.1 §9.6.4 "Key formats", export in
// those formats, generation, and the curve objects each key type uses.
// ECC on @noble/curves; RSA with node:crypto (DER RSAPrivateKey /
// RSAPublicKey, PKCS #1).
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { keyTypeName } from '../../protocol/psa/crypto/names.js';
import { fail } from './errors.js';
import { bigToBytes, bytesToBig } from '../../protocol/psa/crypto/integers.js';

const { KeyType, EccFamily } = C;

export type WeierstrassCurve = typeof p256;

export interface CurveInfo {
  family: number;
  bits: number;
  /** Bytes of the private key and of each coordinate. */
  bytes: number;
  kind: 'weierstrass' | 'montgomery' | 'edwards';
  weierstrass?: WeierstrassCurve;
  /** Group order of a Weierstrass curve. */
  n?: bigint;
}

const CURVES: CurveInfo[] = [
  { family: EccFamily.SECP_R1, bits: 256, bytes: 32, kind: 'weierstrass', weierstrass: p256 },
  { family: EccFamily.SECP_R1, bits: 384, bytes: 48, kind: 'weierstrass', weierstrass: p384 },
  { family: EccFamily.SECP_R1, bits: 521, bytes: 66, kind: 'weierstrass', weierstrass: p521 },
  { family: EccFamily.SECP_K1, bits: 256, bytes: 32, kind: 'weierstrass', weierstrass: secp256k1 as unknown as WeierstrassCurve },
  { family: EccFamily.MONTGOMERY, bits: 255, bytes: 32, kind: 'montgomery' },
  { family: EccFamily.TWISTED_EDWARDS, bits: 255, bytes: 32, kind: 'edwards' },
];
for (const c of CURVES) if (c.weierstrass) c.n = c.weierstrass.Point.Fn.ORDER;

export function curveFor(family: number, bits: number): CurveInfo | undefined {
  return CURVES.find((c) => c.family === family && c.bits === bits);
}

function curveByLength(family: number, bytes: number): CurveInfo | undefined {
  return CURVES.find((c) => c.family === family && c.bytes === bytes);
}

export interface KeyMaterial {
  type: number;
  bits: number;
  /** The key in its export format (psa_export_key). */
  data: Uint8Array;
  /** The public key in its export format (psa_export_public_key), for asymmetric keys. */
  publicData?: Uint8Array;
  curve?: CurveInfo;
  rsaPrivate?: KeyObject;
  rsaPublic?: KeyObject;
}

const SUPPORTED_RAW = new Set<number>([
  KeyType.RAW_DATA,
  KeyType.HMAC,
  KeyType.DERIVE,
  KeyType.PASSWORD,
  KeyType.PASSWORD_HASH,
  KeyType.PEPPER,
]);

export const MAX_RAW_KEY_BYTES = 4096;

/** RFC 7748 decodeScalar25519 clamping. */
export function clamp25519(k: Uint8Array): Uint8Array {
  const c = k.slice();
  c[0]! &= 248;
  c[31]! &= 127;
  c[31]! |= 64;
  return c;
}

function checkBits(declared: number, actual: number, type: number): void {
  if (declared !== 0 && declared !== actual) {
    fail(PSA.ERROR_INVALID_ARGUMENT, `attributes declare ${declared} bits, the ${keyTypeName(type)} data holds ${actual}`);
  }
}

function rsaBits(k: KeyObject): number {
  return k.asymmetricKeyDetails?.modulusLength ?? 0;
}

/** Validates imported key data and builds the material (psa_import_key). */
export function importMaterial(type: number, declaredBits: number, data: Uint8Array): KeyMaterial {
  if (data.length === 0) fail(PSA.ERROR_INVALID_ARGUMENT, 'key data of 0 bytes (a key of size 0 must be rejected)');
  if (SUPPORTED_RAW.has(type)) {
    if (data.length > MAX_RAW_KEY_BYTES) fail(PSA.ERROR_NOT_SUPPORTED, `${keyTypeName(type)} of ${data.length} bytes exceeds ${MAX_RAW_KEY_BYTES}`);
    checkBits(declaredBits, data.length * 8, type);
    return { type, bits: data.length * 8, data: data.slice() };
  }
  if (type === KeyType.AES) {
    if (data.length === 48 || data.length === 64) fail(PSA.ERROR_NOT_SUPPORTED, 'AES keys for XTS are not supported');
    if (![16, 24, 32].includes(data.length)) fail(PSA.ERROR_INVALID_ARGUMENT, `AES key of ${data.length} bytes (16, 24 or 32)`);
    checkBits(declaredBits, data.length * 8, type);
    return { type, bits: data.length * 8, data: data.slice() };
  }
  if (type === KeyType.CHACHA20) {
    if (data.length !== 32) fail(PSA.ERROR_INVALID_ARGUMENT, `ChaCha20 key of ${data.length} bytes (32)`);
    checkBits(declaredBits, 256, type);
    return { type, bits: 256, data: data.slice() };
  }
  if (type === KeyType.RSA_KEY_PAIR || type === KeyType.RSA_PUBLIC_KEY) return importRsa(type, declaredBits, data);
  if (C.isEccType(type)) return importEcc(type, declaredBits, data);
  return fail(PSA.ERROR_NOT_SUPPORTED, `${keyTypeName(type)} keys are not supported`);
}

function importRsa(type: number, declaredBits: number, data: Uint8Array): KeyMaterial {
  const der = Buffer.from(data);
  let priv: KeyObject | undefined;
  let pub: KeyObject;
  try {
    if (type === KeyType.RSA_KEY_PAIR) {
      priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
      pub = createPublicKey(priv);
    } else {
      pub = createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
    }
  } catch (e) {
    return fail(PSA.ERROR_INVALID_ARGUMENT, `not a DER ${type === KeyType.RSA_KEY_PAIR ? 'RSAPrivateKey' : 'RSAPublicKey'}: ${(e as Error).message}`);
  }
  const bits = rsaBits(pub);
  if (bits < 1024 || bits > 4096) fail(PSA.ERROR_NOT_SUPPORTED, `RSA keys of ${bits} bits are not supported (1024..4096)`);
  checkBits(declaredBits, bits, type);
  const publicData = new Uint8Array(pub.export({ format: 'der', type: 'pkcs1' }));
  const exported = priv ? new Uint8Array(priv.export({ format: 'der', type: 'pkcs1' })) : publicData;
  return { type, bits, data: exported, publicData, rsaPrivate: priv, rsaPublic: pub };
}

function importEcc(type: number, declaredBits: number, data: Uint8Array): KeyMaterial {
  const family = C.eccFamilyOf(type);
  const pair = C.isKeyPairType(type);
  let curve: CurveInfo | undefined;
  if (pair) curve = declaredBits ? curveFor(family, declaredBits) : curveByLength(family, data.length);
  else if (family === EccFamily.MONTGOMERY || family === EccFamily.TWISTED_EDWARDS) curve = declaredBits ? curveFor(family, declaredBits) : curveByLength(family, data.length);
  else curve = declaredBits ? curveFor(family, declaredBits) : curveByLength(family, (data.length - 1) / 2);
  if (!curve) {
    const known = CURVES.some((c) => c.family === family);
    fail(known ? PSA.ERROR_INVALID_ARGUMENT : PSA.ERROR_NOT_SUPPORTED, `no supported ${keyTypeName(type)} curve for ${declaredBits || 'the'} bits / ${data.length} bytes of data`);
  }
  if (curve.kind === 'weierstrass') {
    const w = curve.weierstrass!;
    if (pair) {
      if (data.length !== curve.bytes) fail(PSA.ERROR_INVALID_ARGUMENT, `private key of ${data.length} bytes (${curve.bytes} expected)`);
      const d = bytesToBig(data);
      if (d === 0n || d >= curve.n!) fail(PSA.ERROR_INVALID_ARGUMENT, 'private scalar is 0 or not below the group order');
      return { type, bits: curve.bits, data: data.slice(), publicData: w.getPublicKey(data, false), curve };
    }
    if (data.length !== 1 + 2 * curve.bytes || data[0] !== 0x04) {
      fail(PSA.ERROR_INVALID_ARGUMENT, `public key is not an uncompressed point of ${1 + 2 * curve.bytes} bytes`);
    }
    validatePoint(curve, data);
    return { type, bits: curve.bits, data: data.slice(), publicData: data.slice(), curve };
  }
  if (data.length !== curve.bytes) fail(PSA.ERROR_INVALID_ARGUMENT, `${keyTypeName(type)} data of ${data.length} bytes (${curve.bytes} expected)`);
  if (curve.kind === 'montgomery') {
    if (pair) {
      const k = clamp25519(data);
      return { type, bits: 255, data: k, publicData: x25519.getPublicKey(k), curve };
    }
    return { type, bits: 255, data: data.slice(), publicData: data.slice(), curve };
  }
  if (pair) return { type, bits: 255, data: data.slice(), publicData: ed25519.getPublicKey(data), curve };
  try {
    ed25519.Point.fromBytes(data, false).assertValidity();
  } catch {
    fail(PSA.ERROR_INVALID_ARGUMENT, 'Ed25519 public key is not a valid point encoding');
  }
  return { type, bits: 255, data: data.slice(), publicData: data.slice(), curve };
}

/** Throws INVALID_ARGUMENT unless `point` is an uncompressed point on the curve (not the identity). */
export function validatePoint(curve: CurveInfo, point: Uint8Array): void {
  if (point.length !== 1 + 2 * curve.bytes || point[0] !== 0x04) {
    fail(PSA.ERROR_INVALID_ARGUMENT, `peer key is not an uncompressed point of ${1 + 2 * curve.bytes} bytes`);
  }
  try {
    curve.weierstrass!.Point.fromBytes(point).assertValidity();
  } catch (e) {
    fail(PSA.ERROR_INVALID_ARGUMENT, `point is not on the curve: ${(e as Error).message}`);
  }
}

const VALID_GENERATE_BITS: Record<number, (bits: number) => boolean> = {
  [KeyType.AES]: (b) => b === 128 || b === 192 || b === 256,
  [KeyType.CHACHA20]: (b) => b === 256,
};

/** psa_generate_key material. */
export function generateMaterial(type: number, bits: number): KeyMaterial {
  if (bits === 0) fail(PSA.ERROR_INVALID_ARGUMENT, 'a key of size 0 must be rejected');
  if (C.isPublicKeyType(type)) fail(PSA.ERROR_INVALID_ARGUMENT, `cannot generate a public key (${keyTypeName(type)})`);
  if (SUPPORTED_RAW.has(type) || VALID_GENERATE_BITS[type]) {
    if (bits % 8 !== 0) fail(PSA.ERROR_INVALID_ARGUMENT, `${bits} bits is not a whole number of bytes`);
    const ok = VALID_GENERATE_BITS[type];
    if (ok && !ok(bits)) fail(PSA.ERROR_INVALID_ARGUMENT, `${bits} bits is not a valid size for ${keyTypeName(type)}`);
    if (bits / 8 > MAX_RAW_KEY_BYTES) fail(PSA.ERROR_NOT_SUPPORTED, `${bits} bits exceeds the supported size`);
    return { type, bits, data: new Uint8Array(randomBytes(bits / 8)) };
  }
  if (type === KeyType.RSA_KEY_PAIR) {
    if (bits < 1024 || bits > 4096 || bits % 8 !== 0) fail(PSA.ERROR_NOT_SUPPORTED, `RSA key generation of ${bits} bits is not supported`);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 65537 });
    return importRsa(type, bits, new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs1' })));
  }
  if (C.isEccType(type)) {
    const curve = curveFor(C.eccFamilyOf(type), bits);
    if (!curve) {
      const known = CURVES.some((c) => c.family === C.eccFamilyOf(type));
      fail(known ? PSA.ERROR_INVALID_ARGUMENT : PSA.ERROR_NOT_SUPPORTED, `no supported curve of ${bits} bits in ${keyTypeName(type)}`);
    }
    if (curve.kind === 'weierstrass') return importEcc(type, bits, curve.weierstrass!.utils.randomSecretKey());
    return importEcc(type, bits, new Uint8Array(randomBytes(32)));
  }
  return fail(PSA.ERROR_NOT_SUPPORTED, `${keyTypeName(type)} keys are not supported`);
}

/**
 * Builds key material from a derivation stream (psa_key_derivation_output_key,
 * Table 8 "Standard key derivation process"). `take(n)` consumes n bytes.
 */
export function deriveMaterial(type: number, bits: number, take: (n: number) => Uint8Array): KeyMaterial {
  if (bits === 0) fail(PSA.ERROR_INVALID_ARGUMENT, 'a key of size 0 must be rejected');
  if (C.isPublicKeyType(type)) fail(PSA.ERROR_INVALID_ARGUMENT, `cannot derive a public key (${keyTypeName(type)})`);
  if (SUPPORTED_RAW.has(type) || VALID_GENERATE_BITS[type]) {
    if (bits % 8 !== 0) fail(PSA.ERROR_INVALID_ARGUMENT, `${bits} bits is not a whole number of bytes`);
    const ok = VALID_GENERATE_BITS[type];
    if (ok && !ok(bits)) fail(PSA.ERROR_INVALID_ARGUMENT, `${bits} bits is not a valid size for ${keyTypeName(type)}`);
    return importMaterial(type, bits, take(bits / 8));
  }
  if (C.isEccType(type)) {
    const curve = curveFor(C.eccFamilyOf(type), bits);
    if (!curve) fail(PSA.ERROR_NOT_SUPPORTED, `no supported curve of ${bits} bits in ${keyTypeName(type)}`);
    if (curve.kind === 'montgomery') return importEcc(type, bits, take(32));
    if (curve.kind === 'weierstrass') {
      const n = curve.n!;
      const m = n.toString(2).length;
      for (;;) {
        const b = take(Math.ceil(m / 8));
        const excess = 8 * Math.ceil(m / 8) - m;
        if (excess) b[0]! &= 0xff >> excess;
        const k = bytesToBig(b);
        if (k > n - 2n) continue;
        return importEcc(type, bits, bigToBytes(k + 1n, curve.bytes));
      }
    }
  }
  return fail(PSA.ERROR_NOT_SUPPORTED, `deriving ${keyTypeName(type)} keys is not supported`);
}
