// Objects of the reference TPM: template checks (Part 3, 12.1 and Part 1,
// 27: the order and codes of CreateChecks / PublicAttributesValidation /
// SchemeChecks), key creation (primary keys derived from the hierarchy seed,
// ordinary keys random), names, private blobs and the image of an object in
// a saved context.
import { bytesEqual, concat } from '../../protocol/bytes.js';
import { ALG, ECC_CURVE, RH, TPMA_OBJECT } from '../../protocol/tpm2/constants.js';
import { hash, hashSize } from '../../protocol/tpm2/crypto.js';
import { TpmReader, TpmWriter, be32 } from '../../protocol/tpm2/marshal.js';
import { RC, rcP } from '../../protocol/tpm2/rc.js';
import {
  marshalPublic,
  objectName,
  readPublic,
  readSensitive,
  writeSensitive,
  type Sensitive,
  type TpmtPublic,
} from '../../protocol/tpm2/structures.js';
import { TpmError, type KeyObject } from './defs.js';
import {
  CURVES,
  KdfStream,
  eccDerive,
  eccFromPrivate,
  eccPointValid,
  eccPublic,
  eccRandom,
  rsaDerive,
  rsaFromPrime,
  rsaPublic,
  rsaRandom,
  unwrapPrivate,
  wrapPrivate,
  type KeyMaterial,
} from './keys.js';
import type { PersistentRecord } from './store.js';

const EMPTY = new Uint8Array(0);
const A = TPMA_OBJECT;

/** Algorithms and sizes the reference implements for objects. */
export const OBJECT_LIMITS = {
  types: [ALG.RSA, ALG.ECC, ALG.KEYEDHASH, ALG.SYMCIPHER],
  rsaKeyBits: [1024, 2048],
  curves: [ECC_CURVE.NIST_P256, ECC_CURVE.NIST_P384],
  symmetric: (a: number) => a === ALG.AES,
  maxUnique: 256,
};

const SIGN_SCHEMES: Record<number, readonly number[]> = {
  [ALG.RSA]: [ALG.RSASSA, ALG.RSAPSS],
  [ALG.ECC]: [ALG.ECDSA],
};
const DECRYPT_SCHEMES: Record<number, readonly number[]> = {
  [ALG.RSA]: [ALG.RSAES, ALG.OAEP],
  [ALG.ECC]: [ALG.ECDH],
};

const has = (attrs: number, bit: number) => (attrs & bit) !== 0;

export function isParent(o: KeyObject): boolean {
  const a = o.pub.objectAttributes;
  return has(a, A.restricted) && has(a, A.decrypt) && !has(a, A.sign) && o.sens !== undefined && o.pub.type !== ALG.KEYEDHASH;
}

/** SchemeChecks: base codes (the caller adds the parameter number of the public area). */
function schemeChecks(parent: KeyObject | undefined, p: TpmtPublic): number {
  const a = p.objectAttributes;
  switch (p.type) {
    case ALG.SYMCIPHER:
      if (has(a, A.decrypt) && p.symmetric?.mode === ALG.NULL) return RC.SCHEME;
      break;
    case ALG.KEYEDHASH: {
      const scheme = p.scheme?.scheme ?? ALG.NULL;
      if (has(a, A.sign) === has(a, A.decrypt)) {
        if (scheme !== ALG.NULL) return RC.SCHEME;
      } else if (has(a, A.sign) && scheme !== ALG.HMAC) return RC.SCHEME;
      else if (has(a, A.decrypt)) {
        if (scheme !== ALG.XOR) return RC.SCHEME;
      }
      break;
    }
    default: {
      const scheme = p.scheme?.scheme ?? ALG.NULL;
      if (has(a, A.sign) === has(a, A.decrypt)) {
        if (scheme !== ALG.NULL) return RC.SCHEME;
      } else if (has(a, A.sign)) {
        if (SIGN_SCHEMES[p.type]!.includes(scheme)) {
          if (p.scheme?.hashAlg === ALG.NULL) return RC.SCHEME;
        } else if (has(a, A.restricted) || scheme !== ALG.NULL) return RC.SCHEME;
      } else if (has(a, A.decrypt)) {
        if (has(a, A.restricted)) {
          if (scheme !== ALG.NULL) return RC.SCHEME;
        } else if (scheme !== ALG.NULL && !DECRYPT_SCHEMES[p.type]!.includes(scheme)) return RC.SCHEME;
      }
      if (!has(a, A.restricted) || !has(a, A.decrypt)) {
        if ((p.symmetric?.algorithm ?? ALG.NULL) !== ALG.NULL) return RC.SYMMETRIC;
      }
      if (p.type === ALG.ECC && (p.kdf?.scheme ?? ALG.NULL) !== ALG.NULL) return RC.KDF;
    }
  }
  if (p.type !== ALG.KEYEDHASH && has(a, A.restricted) && has(a, A.decrypt)) {
    if ((p.symmetric?.algorithm ?? ALG.NULL) === ALG.NULL) return RC.SYMMETRIC;
    if (has(a, A.fixedParent) && parent) {
      if (p.nameAlg !== parent.pub.nameAlg) return RC.HASH;
      const ps = parent.pub.symmetric;
      if (!ps || ps.algorithm !== p.symmetric!.algorithm || ps.keyBits !== p.symmetric!.keyBits || ps.mode !== p.symmetric!.mode) return RC.SYMMETRIC;
    }
  }
  return 0;
}

/** PublicAttributesValidation (base codes). */
export function attributesValidation(parent: KeyObject | undefined, p: TpmtPublic): number {
  const a = p.objectAttributes;
  const pa = parent?.pub.objectAttributes ?? 0;
  if (p.nameAlg === ALG.NULL) return RC.HASH;
  if (p.authPolicy.length !== 0 && p.authPolicy.length !== hashSize(p.nameAlg)) return RC.SIZE;
  if (!parent || has(pa, A.fixedTPM)) {
    if (has(a, A.fixedParent) !== has(a, A.fixedTPM)) return RC.ATTRIBUTES;
  } else if (has(a, A.fixedTPM)) return RC.ATTRIBUTES;
  if (has(a, A.sign) === has(a, A.decrypt)) {
    if (has(a, A.restricted)) return RC.ATTRIBUTES;
    if (p.type !== ALG.KEYEDHASH && !has(a, A.sign)) return RC.ATTRIBUTES;
  }
  if (has(a, A.fixedTPM) && has(a, A.encryptedDuplication)) return RC.ATTRIBUTES;
  if (parent && !has(pa, A.fixedTPM) && has(a, A.encryptedDuplication) !== has(pa, A.encryptedDuplication)) return RC.ATTRIBUTES;
  return schemeChecks(parent, p);
}

/** CreateChecks (base codes). */
export function createChecks(parent: KeyObject | undefined, p: TpmtPublic, sensitiveDataSize: number): number {
  const a = p.objectAttributes;
  if (!has(a, A.sensitiveDataOrigin) && sensitiveDataSize === 0) return RC.ATTRIBUTES;
  if (parent && has(a, A.sensitiveDataOrigin) && sensitiveDataSize !== 0) return RC.ATTRIBUTES;
  switch (p.type) {
    case ALG.KEYEDHASH:
    case ALG.SYMCIPHER:
      if (p.type === ALG.KEYEDHASH && !has(a, A.sign) && !has(a, A.decrypt) && has(a, A.sensitiveDataOrigin)) return RC.ATTRIBUTES;
      if (has(a, A.restricted) && !has(a, A.sensitiveDataOrigin) && (has(a, A.fixedParent) || has(a, A.fixedTPM))) return RC.ATTRIBUTES;
      break;
    default:
      if (!has(a, A.sensitiveDataOrigin)) return RC.ATTRIBUTES;
  }
  return attributesValidation(parent, p);
}

/** The authValue a new object may have: at most the digest size of its nameAlg, trailing zeros removed. */
export function adjustAuth(auth: Uint8Array, nameAlg: number): Uint8Array | undefined {
  let n = auth.length;
  while (n > 0 && auth[n - 1] === 0) n--;
  return n > hashSize(nameAlg) ? undefined : auth.slice(0, n);
}

export function qualifiedName(parentQn: Uint8Array, nameAlg: number, name: Uint8Array): Uint8Array {
  return concat(new TpmWriter(2).u16(nameAlg).finish(), hash(nameAlg, parentQn, name));
}

export function hierarchyQn(h: number): Uint8Array {
  return be32(h);
}

export function makeObject(pub: TpmtPublic, sens: Sensitive | undefined, hierarchy: number, parentQn: Uint8Array, material?: KeyMaterial): KeyObject {
  const pubBytes = marshalPublic(pub);
  const name = objectName(pub);
  return { kind: 'key', pub, pubBytes, name, qualifiedName: qualifiedName(parentQn, pub.nameAlg, name), hierarchy, sens, material };
}

export function objectFromRecord(rec: PersistentRecord, handle: number): KeyObject {
  const sens = readSensitive(new TpmReader(rec.sensitive, 'persistent sensitive'));
  const o = makeObject(rec.pub, sens, rec.hierarchy, EMPTY);
  // the qualified name of a persistent object is kept in its record's public form; recompute from hierarchy
  o.qualifiedName = qualifiedName(hierarchyQn(rec.hierarchy), rec.pub.nameAlg, o.name);
  o.persistentHandle = handle;
  return o;
}

export function marshalSensitive(s: Sensitive): Uint8Array {
  const w = new TpmWriter(256);
  writeSensitive(w, s);
  return w.finish();
}

/** Key material of an object (built on first use). */
export function materialOf(o: KeyObject): KeyMaterial | undefined {
  if (o.material) return o.material;
  const p = o.pub;
  if (p.type === ALG.RSA) {
    o.material = o.sens ? rsaFromPrime(p.unique, p.exponent ?? 0, o.sens.sensitive) : rsaPublic(p.unique, p.exponent ?? 0);
  } else if (p.type === ALG.ECC) {
    o.material = o.sens ? eccFromPrivate(p.curveId!, o.sens.sensitive) : eccPublic(p.curveId!, p.point!.x, p.point!.y);
  }
  return o.material;
}

export interface Created {
  pub: TpmtPublic;
  sens: Sensitive;
  material?: KeyMaterial;
}

/**
 * CryptCreateObject: fills in the unique field and the sensitive area.
 * `stream` is the DRBG of a primary object (deterministic); ordinary objects use fresh randomness.
 */
export function createKey(template: TpmtPublic, userAuth: Uint8Array, data: Uint8Array, stream: KdfStream | undefined, random: (n: number) => Uint8Array): Created {
  const pub: TpmtPublic = { ...template };
  const digestLen = hashSize(pub.nameAlg);
  const seedValue = () => (stream ? stream.next(digestLen) : random(digestLen));
  const isStorage = has(pub.objectAttributes, A.restricted) && has(pub.objectAttributes, A.decrypt);
  switch (pub.type) {
    case ALG.RSA: {
      const m = stream ? rsaDerive(stream, pub.keyBits!, pub.exponent ?? 0) : rsaRandom(pub.keyBits!, pub.exponent ?? 0);
      pub.unique = m.n;
      const seed = isStorage ? seedValue() : EMPTY;
      return { pub, sens: { sensitiveType: ALG.RSA, authValue: userAuth, seedValue: seed, sensitive: m.p! }, material: m };
    }
    case ALG.ECC: {
      if (!CURVES[pub.curveId!]) throw new TpmError(rcP(RC.CURVE, 2));
      const m = stream ? eccDerive(stream, pub.curveId!) : eccRandom(pub.curveId!);
      pub.point = { x: m.x, y: m.y };
      const seed = isStorage ? seedValue() : EMPTY;
      return { pub, sens: { sensitiveType: ALG.ECC, authValue: userAuth, seedValue: seed, sensitive: m.d! }, material: m };
    }
    case ALG.KEYEDHASH: {
      const key = has(pub.objectAttributes, A.sensitiveDataOrigin) ? (stream ? stream.next(digestLen) : random(digestLen)) : data;
      const seed = stream ? stream.next(digestLen) : random(digestLen);
      pub.unique = hash(pub.nameAlg, seed, key);
      return { pub, sens: { sensitiveType: ALG.KEYEDHASH, authValue: userAuth, seedValue: seed, sensitive: key } };
    }
    default: {
      const bytes = (pub.symmetric?.keyBits ?? 128) / 8;
      const key = has(pub.objectAttributes, A.sensitiveDataOrigin) ? (stream ? stream.next(bytes) : random(bytes)) : data;
      const seed = stream ? stream.next(digestLen) : random(digestLen);
      pub.unique = hash(pub.nameAlg, seed, key);
      return { pub, sens: { sensitiveType: ALG.SYMCIPHER, authValue: userAuth, seedValue: seed, sensitive: key } };
    }
  }
}

function symBits(parent: KeyObject): number {
  return parent.pub.symmetric?.keyBits ?? 128;
}

export function toPrivate(parent: KeyObject, name: Uint8Array, sens: Sensitive): Uint8Array {
  return wrapPrivate(parent.pub.nameAlg, parent.sens!.seedValue, symBits(parent), name, marshalSensitive(sens));
}

/** PrivateToSensitive: the sensitive area, or a base code (INTEGRITY, SENSITIVE). */
export function fromPrivate(parent: KeyObject, name: Uint8Array, blob: Uint8Array): Sensitive | number {
  const plain = unwrapPrivate(parent.pub.nameAlg, parent.sens!.seedValue, symBits(parent), name, blob);
  if (!plain) return RC.INTEGRITY;
  try {
    const r = new TpmReader(plain, 'sensitive');
    const s = readSensitive(r);
    if (r.remaining) return RC.SENSITIVE;
    return s;
  } catch {
    return RC.SENSITIVE;
  }
}

/** CryptValidateKeys for a loaded key: the private part must match the public one (base code + where). */
export function validateKeys(pub: TpmtPublic, sens: Sensitive): { rc: number; sensitive: boolean } | undefined {
  if (sens.sensitiveType !== pub.type) return { rc: RC.TYPE, sensitive: true };
  if (sens.seedValue.length > hashSize(pub.nameAlg)) return { rc: RC.KEY_SIZE, sensitive: true };
  try {
    if (pub.type === ALG.RSA) {
      if (pub.unique.length * 8 !== pub.keyBits) return { rc: RC.KEY, sensitive: false };
      rsaFromPrime(pub.unique, pub.exponent ?? 0, sens.sensitive);
    } else if (pub.type === ALG.ECC) {
      if (!eccPointValid(pub.curveId!, pub.point!.x, pub.point!.y)) return { rc: RC.ECC_POINT, sensitive: false };
      const m = eccFromPrivate(pub.curveId!, sens.sensitive);
      if (!bytesEqual(m.x, pub.point!.x) || !bytesEqual(m.y, pub.point!.y)) return { rc: RC.BINDING, sensitive: false };
    } else {
      if (!bytesEqual(hash(pub.nameAlg, sens.seedValue, sens.sensitive), pub.unique)) return { rc: RC.BINDING, sensitive: false };
    }
  } catch {
    return { rc: RC.BINDING, sensitive: false };
  }
  return undefined;
}

/** The image of an object inside a saved context (before protection). */
export function objectImage(o: KeyObject): Uint8Array {
  const w = new TpmWriter(512);
  w.u32(o.hierarchy).tpm2b(o.pubBytes).tpm2b(o.qualifiedName).u8(o.sens ? 1 : 0);
  if (o.sens) writeSensitive(w, o.sens);
  return w.finish();
}

export function objectFromImage(b: Uint8Array): KeyObject {
  const r = new TpmReader(b, 'object context');
  const hierarchy = r.u32();
  const pub = r.sized('public', (x) => readPublic(x))!;
  const qn = r.tpm2b();
  const hasSens = r.u8() === 1;
  const sens = hasSens ? readSensitive(r) : undefined;
  const o = makeObject(pub, sens, hierarchy, EMPTY);
  o.qualifiedName = qn;
  return o;
}

/** The hierarchy whose proof protects tickets and contexts of an object (NULL for the null hierarchy). */
export function hierarchyOf(o: KeyObject): number {
  return o.hierarchy === RH.OWNER || o.hierarchy === RH.ENDORSEMENT || o.hierarchy === RH.PLATFORM ? o.hierarchy : RH.NULL;
}
