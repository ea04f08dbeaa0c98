// TPM 2.0 structures (Part 2) used by the commands fwsec drives: PCR
// selections, digests, public areas (RSA, ECC, KEYEDHASH, SYMCIPHER),
// sensitive areas, NV public areas, signatures, tickets, contexts, creation
// data and capability data. Each has a marshaller and an unmarshaller that
// rejects what a TPM rejects, with the TPM_RC a TPM uses.
import { ALG, ECC_CURVE, ST, TPMA_NV_RESERVED, TPMA_OBJECT_RESERVED, CAP } from './constants.js';
import { computeName, isHashAlg } from './crypto.js';
import { RC } from './rc.js';
import { TpmReader, TpmWriter } from './marshal.js';

/** Largest digest (TPMU_HA) of any algorithm a TPM may implement: SHA-512. */
export const MAX_DIGEST_BUFFER = 64;
/** Largest TPM2B_NAME: an algorithm id and a digest. */
export const MAX_NAME = 2 + MAX_DIGEST_BUFFER;
/** Largest PCR bitmap (TPMS_PCR_SELECT.sizeofSelect upper bound). */
export const PCR_SELECT_MAX = 4;
/** Largest number of entries in a TPML_PCR_SELECTION / TPML_DIGEST_VALUES (HASH_COUNT). */
export const HASH_COUNT_MAX = 16;

// ------------------------------------------------------------ algorithm sets

/** Hash algorithm field (TPMI_ALG_HASH): TPM_RC_HASH unless a hash (or NULL where allowed). */
export function readHashAlg(r: TpmReader, field: string, allowNull: boolean, implemented: (a: number) => boolean = isHashAlg): number {
  const a = r.u16(field);
  if (a === ALG.NULL && allowNull) return a;
  if (!implemented(a)) r.fail(RC.HASH, `${field} 0x${a.toString(16)} is not an implemented hash algorithm`);
  return a;
}

// ------------------------------------------------------------ PCR selections

export interface PcrSelection {
  hash: number;
  /** The bitmap; byte i bit j selects PCR 8*i+j. */
  select: Uint8Array;
}

export function pcrsOf(select: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < select.length; i++) for (let b = 0; b < 8; b++) if (select[i]! & (1 << b)) out.push(i * 8 + b);
  return out;
}

export function selectOf(pcrs: readonly number[], size = 3): Uint8Array {
  const s = new Uint8Array(Math.max(size, ...pcrs.map((p) => (p >> 3) + 1)));
  for (const p of pcrs) s[p >> 3]! |= 1 << (p & 7);
  return s;
}

export function writePcrSelections(w: TpmWriter, sels: readonly PcrSelection[]): void {
  w.u32(sels.length);
  for (const s of sels) w.u16(s.hash).u8(s.select.length).bytes(s.select);
}

/**
 * TPML_PCR_SELECTION. A TPM bounds sizeofSelect by PCR_SELECT_MIN and
 * PCR_SELECT_MAX (TPM_RC_VALUE outside); `selectMin`/`selectMax` default to
 * the loosest bounds any TPM uses.
 */
export function readPcrSelections(r: TpmReader, field = 'pcrSelection', selectMin = 0, selectMax = PCR_SELECT_MAX): PcrSelection[] {
  const count = r.u32(`${field}.count`);
  if (count > HASH_COUNT_MAX) r.fail(RC.SIZE, `${field}.count ${count} is larger than HASH_COUNT`);
  const out: PcrSelection[] = [];
  for (let i = 0; i < count; i++) {
    const hash = readHashAlg(r, `${field}[${i}].hash`, false);
    const size = r.u8(`${field}[${i}].sizeofSelect`);
    if (size > selectMax || size < selectMin) r.fail(RC.VALUE, `${field}[${i}].sizeofSelect ${size} is outside PCR_SELECT_MIN..PCR_SELECT_MAX (${selectMin}..${selectMax})`);
    out.push({ hash, select: r.bytes(size, `${field}[${i}].pcrSelect`) });
  }
  return out;
}

// ------------------------------------------------------------ digests

export interface TaggedHash {
  hashAlg: number;
  digest: Uint8Array;
}

export function readDigestList(r: TpmReader, field = 'digests', max = 8): Uint8Array[] {
  const count = r.u32(`${field}.count`);
  if (count > max) r.fail(RC.SIZE, `${field}.count ${count} is larger than ${max}`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(r.tpm2b(`${field}[${i}]`, MAX_DIGEST_BUFFER));
  return out;
}

export function writeDigestList(w: TpmWriter, list: readonly Uint8Array[]): void {
  w.u32(list.length);
  for (const d of list) w.tpm2b(d);
}

/** TPML_DIGEST_VALUES: each digest's size is its algorithm's. */
export function readDigestValues(r: TpmReader, digestSize: (alg: number) => number, field = 'digests'): TaggedHash[] {
  const count = r.u32(`${field}.count`);
  if (count > HASH_COUNT_MAX) r.fail(RC.SIZE, `${field}.count ${count} is larger than HASH_COUNT`);
  const out: TaggedHash[] = [];
  for (let i = 0; i < count; i++) {
    const hashAlg = readHashAlg(r, `${field}[${i}].hashAlg`, false);
    out.push({ hashAlg, digest: r.bytes(digestSize(hashAlg), `${field}[${i}].digest`) });
  }
  return out;
}

export function writeDigestValues(w: TpmWriter, list: readonly TaggedHash[]): void {
  w.u32(list.length);
  for (const d of list) w.u16(d.hashAlg).bytes(d.digest);
}

// ------------------------------------------------------------ schemes

export interface SymDef {
  algorithm: number;
  keyBits?: number;
  mode?: number;
}

export interface Scheme {
  scheme: number;
  hashAlg?: number;
  /** ECDAA only. */
  count?: number;
  /** XOR only. */
  kdf?: number;
}

const SYM_KEY_BITS: Record<number, readonly number[]> = {
  [ALG.AES]: [128, 192, 256],
  [ALG.SM4]: [128],
  [ALG.CAMELLIA]: [128, 192, 256],
};
const SYM_MODES: readonly number[] = [ALG.CTR, ALG.OFB, ALG.CBC, ALG.CFB, ALG.ECB, ALG.NULL];

/**
 * TPMT_SYM_DEF / TPMT_SYM_DEF_OBJECT. `objectOnly` rejects XOR (not allowed for
 * objects). Unknown algorithms answer TPM_RC_SYMMETRIC, bad key sizes VALUE,
 * bad modes MODE.
 */
export function readSymDef(r: TpmReader, field: string, objectOnly: boolean, implemented: (alg: number) => boolean): SymDef {
  const algorithm = r.u16(`${field}.algorithm`);
  if (algorithm === ALG.NULL) return { algorithm };
  if (algorithm === ALG.XOR && !objectOnly) {
    return { algorithm, keyBits: readHashAlg(r, `${field}.keyBits.xor`, false) };
  }
  if (!SYM_KEY_BITS[algorithm] || !implemented(algorithm)) r.fail(RC.SYMMETRIC, `${field}.algorithm 0x${algorithm.toString(16)} is not an implemented symmetric algorithm`);
  const keyBits = r.u16(`${field}.keyBits`);
  if (!SYM_KEY_BITS[algorithm]!.includes(keyBits)) r.fail(RC.VALUE, `${field}.keyBits ${keyBits} is not a key size of the algorithm`);
  const mode = r.u16(`${field}.mode`);
  if (!SYM_MODES.includes(mode)) r.fail(RC.MODE, `${field}.mode 0x${mode.toString(16)} is not a block cipher mode`);
  return { algorithm, keyBits, mode };
}

export function writeSymDef(w: TpmWriter, s: SymDef): void {
  w.u16(s.algorithm);
  if (s.algorithm === ALG.NULL) return;
  w.u16(s.keyBits ?? 0);
  if (s.algorithm !== ALG.XOR) w.u16(s.mode ?? ALG.NULL);
}

const SIG_SCHEMES: readonly number[] = [ALG.RSASSA, ALG.RSAPSS, ALG.ECDSA, ALG.ECDAA, ALG.SM2, ALG.ECSCHNORR, ALG.HMAC];

/** A scheme whose details are a hash algorithm (all signing and most asymmetric schemes). */
export function writeScheme(w: TpmWriter, s: Scheme): void {
  w.u16(s.scheme);
  if (s.scheme === ALG.NULL || s.scheme === ALG.RSAES) return;
  w.u16(s.hashAlg ?? ALG.NULL);
  if (s.scheme === ALG.ECDAA) w.u16(s.count ?? 0);
  if (s.scheme === ALG.XOR) w.u16(s.kdf ?? ALG.NULL);
}

/**
 * A scheme field: `allowed` lists the schemes this structure admits (others
 * answer `badRc`). Hash details answer TPM_RC_HASH when not a hash.
 */
export function readScheme(r: TpmReader, field: string, allowed: readonly number[], badRc: number): Scheme {
  const scheme = r.u16(`${field}.scheme`);
  if (scheme === ALG.NULL) return { scheme };
  if (!allowed.includes(scheme)) r.fail(badRc, `${field}.scheme 0x${scheme.toString(16)} is not allowed here`);
  if (scheme === ALG.RSAES) return { scheme };
  const hashAlg = readHashAlg(r, `${field}.details.hashAlg`, false);
  const out: Scheme = { scheme, hashAlg };
  if (scheme === ALG.ECDAA) out.count = r.u16(`${field}.details.count`);
  if (scheme === ALG.XOR) {
    const kdf = r.u16(`${field}.details.kdf`);
    if (kdf !== ALG.NULL && kdf !== ALG.KDF1_SP800_108 && kdf !== ALG.KDF1_SP800_56A && kdf !== ALG.KDF2) r.fail(RC.KDF, `${field}.details.kdf 0x${kdf.toString(16)} is not a KDF`);
    out.kdf = kdf;
  }
  return out;
}

/** TPMT_SIG_SCHEME. */
export function readSigScheme(r: TpmReader, field = 'inScheme'): Scheme {
  return readScheme(r, field, SIG_SCHEMES, RC.SCHEME);
}

// ------------------------------------------------------------ public area

export interface EccPoint {
  x: Uint8Array;
  y: Uint8Array;
}

export interface TpmtPublic {
  type: number;
  nameAlg: number;
  objectAttributes: number;
  authPolicy: Uint8Array;
  /** RSA, ECC and SYMCIPHER: the symmetric definition of a storage parent (or NULL). */
  symmetric?: SymDef;
  /** RSA, ECC and KEYEDHASH. */
  scheme?: Scheme;
  /** RSA. */
  keyBits?: number;
  exponent?: number;
  /** ECC. */
  curveId?: number;
  kdf?: Scheme;
  /** RSA modulus; KEYEDHASH / SYMCIPHER unique digest. Empty for ECC. */
  unique: Uint8Array;
  /** ECC public point (empty x and y in a template). */
  point?: EccPoint;
}

const RSA_SCHEMES: readonly number[] = [ALG.RSASSA, ALG.RSAPSS, ALG.RSAES, ALG.OAEP];
const ECC_SCHEMES: readonly number[] = [ALG.ECDSA, ALG.ECDH, ALG.ECDAA, ALG.SM2, ALG.ECSCHNORR, ALG.ECMQV];
const KEYEDHASH_SCHEMES: readonly number[] = [ALG.HMAC, ALG.XOR];
const KDFS: readonly number[] = [ALG.KDF1_SP800_56A, ALG.KDF2, ALG.KDF1_SP800_108, ALG.MGF1];
const PUBLIC_TYPES: readonly number[] = [ALG.RSA, ALG.ECC, ALG.KEYEDHASH, ALG.SYMCIPHER];

export interface PublicLimits {
  /** Asymmetric / object types implemented (TPM_RC_TYPE otherwise). */
  types?: readonly number[];
  rsaKeyBits?: readonly number[];
  curves?: readonly number[];
  symmetric?: (alg: number) => boolean;
  /** Largest unique / RSA modulus buffer. */
  maxUnique?: number;
}

const DEFAULT_LIMITS: Required<PublicLimits> = {
  types: PUBLIC_TYPES,
  rsaKeyBits: [1024, 2048, 3072, 4096],
  curves: [ECC_CURVE.NIST_P192, ECC_CURVE.NIST_P224, ECC_CURVE.NIST_P256, ECC_CURVE.NIST_P384, ECC_CURVE.NIST_P521, ECC_CURVE.BN_P256, ECC_CURVE.SM2_P256],
  symmetric: (a) => a === ALG.AES || a === ALG.SM4 || a === ALG.CAMELLIA,
  maxUnique: 512,
};

export function readPublic(r: TpmReader, field = 'publicArea', limits: PublicLimits = {}): TpmtPublic {
  const L = { ...DEFAULT_LIMITS, ...limits };
  const type = readPublicType(r, `${field}.type`, L);
  const nameAlg = readHashAlg(r, `${field}.nameAlg`, true);
  const objectAttributes = r.u32(`${field}.objectAttributes`);
  if (objectAttributes & TPMA_OBJECT_RESERVED) r.fail(RC.RESERVED_BITS, `${field}.objectAttributes 0x${objectAttributes.toString(16)} sets reserved bits`);
  const authPolicy = r.tpm2b(`${field}.authPolicy`, MAX_DIGEST_BUFFER);
  const p: TpmtPublic = { type, nameAlg, objectAttributes, authPolicy, unique: new Uint8Array(0) };
  readPublicParms(r, p, `${field}.parameters`, L);
  switch (type) {
    case ALG.RSA:
      p.unique = r.tpm2b(`${field}.unique.rsa`, L.maxUnique);
      break;
    case ALG.ECC:
      p.point = { x: r.tpm2b(`${field}.unique.ecc.x`, 128), y: r.tpm2b(`${field}.unique.ecc.y`, 128) };
      break;
    default:
      p.unique = r.tpm2b(`${field}.unique`, MAX_DIGEST_BUFFER);
  }
  return p;
}

function readPublicType(r: TpmReader, field: string, L: Required<PublicLimits>): number {
  const type = r.u16(field);
  if (!PUBLIC_TYPES.includes(type) || !L.types.includes(type)) r.fail(RC.TYPE, `${field} 0x${type.toString(16)} is not an implemented object type`);
  return type;
}

/** TPMU_PUBLIC_PARMS for `p.type`, filled into `p`. */
function readPublicParms(r: TpmReader, p: TpmtPublic, field: string, L: Required<PublicLimits>): void {
  switch (p.type) {
    case ALG.RSA: {
      p.symmetric = readSymDef(r, `${field}.rsaDetail.symmetric`, true, L.symmetric);
      p.scheme = readScheme(r, `${field}.rsaDetail.scheme`, RSA_SCHEMES, RC.VALUE);
      p.keyBits = r.u16(`${field}.rsaDetail.keyBits`);
      if (!L.rsaKeyBits.includes(p.keyBits)) r.fail(RC.VALUE, `${field}.rsaDetail.keyBits ${p.keyBits} is not an implemented RSA key size`);
      p.exponent = r.u32(`${field}.rsaDetail.exponent`);
      break;
    }
    case ALG.ECC: {
      p.symmetric = readSymDef(r, `${field}.eccDetail.symmetric`, true, L.symmetric);
      p.scheme = readScheme(r, `${field}.eccDetail.scheme`, ECC_SCHEMES, RC.SCHEME);
      p.curveId = r.u16(`${field}.eccDetail.curveID`);
      if (!L.curves.includes(p.curveId)) r.fail(RC.CURVE, `${field}.eccDetail.curveID 0x${p.curveId.toString(16)} is not an implemented curve`);
      p.kdf = readScheme(r, `${field}.eccDetail.kdf`, KDFS, RC.KDF);
      break;
    }
    case ALG.KEYEDHASH:
      p.scheme = readScheme(r, `${field}.keyedHashDetail.scheme`, KEYEDHASH_SCHEMES, RC.VALUE);
      break;
    case ALG.SYMCIPHER:
      p.symmetric = readSymDef(r, `${field}.symDetail.sym`, true, L.symmetric);
      break;
  }
}

/** TPMT_PUBLIC_PARMS (TPM2_TestParms): a type and its parameters, no unique field. */
export function readPublicParmsOnly(r: TpmReader, field = 'parameters', limits: PublicLimits = {}): TpmtPublic {
  const L = { ...DEFAULT_LIMITS, ...limits };
  const type = readPublicType(r, `${field}.type`, L);
  const p: TpmtPublic = { type, nameAlg: ALG.NULL, objectAttributes: 0, authPolicy: new Uint8Array(0), unique: new Uint8Array(0) };
  readPublicParms(r, p, `${field}.parameters`, L);
  return p;
}

export function writePublicParmsOnly(w: TpmWriter, p: TpmtPublic): void {
  const full = new TpmWriter();
  writePublic(full, { ...p, authPolicy: new Uint8Array(0), unique: new Uint8Array(0), point: { x: new Uint8Array(0), y: new Uint8Array(0) } });
  const b = full.finish();
  // type(2) | nameAlg(2) | attributes(4) | authPolicy size(2) | parameters | unique
  const uniqueLen = p.type === ALG.ECC ? 4 : 2;
  w.u16(p.type).bytes(b.subarray(10, b.length - uniqueLen));
}

export function writePublic(w: TpmWriter, p: TpmtPublic): void {
  w.u16(p.type).u16(p.nameAlg).u32(p.objectAttributes).tpm2b(p.authPolicy);
  switch (p.type) {
    case ALG.RSA:
      writeSymDef(w, p.symmetric ?? { algorithm: ALG.NULL });
      writeScheme(w, p.scheme ?? { scheme: ALG.NULL });
      w.u16(p.keyBits ?? 2048).u32(p.exponent ?? 0).tpm2b(p.unique);
      break;
    case ALG.ECC:
      writeSymDef(w, p.symmetric ?? { algorithm: ALG.NULL });
      writeScheme(w, p.scheme ?? { scheme: ALG.NULL });
      w.u16(p.curveId ?? ECC_CURVE.NIST_P256);
      writeScheme(w, p.kdf ?? { scheme: ALG.NULL });
      w.tpm2b(p.point?.x ?? new Uint8Array(0)).tpm2b(p.point?.y ?? new Uint8Array(0));
      break;
    case ALG.KEYEDHASH:
      writeScheme(w, p.scheme ?? { scheme: ALG.NULL });
      w.tpm2b(p.unique);
      break;
    case ALG.SYMCIPHER:
      writeSymDef(w, p.symmetric ?? { algorithm: ALG.NULL });
      w.tpm2b(p.unique);
      break;
    default:
      throw new Error(`cannot marshal a public area of type 0x${p.type.toString(16)}`);
  }
}

export function marshalPublic(p: TpmtPublic): Uint8Array {
  const w = new TpmWriter(256);
  writePublic(w, p);
  return w.finish();
}

/** TPM2B_PUBLIC: the size must match the area exactly (TPM_RC_SIZE); an empty one is TPM_RC_SIZE too. */
export function readPublic2b(r: TpmReader, field = 'inPublic', limits: PublicLimits = {}): { area: TpmtPublic; bytes: Uint8Array } {
  const start = r.offset + 2;
  const area = r.sized(field, (inner) => readPublic(inner, field, limits))!;
  return { area, bytes: r.buf.slice(start, r.offset) };
}

export function objectName(p: TpmtPublic): Uint8Array {
  return computeName(p.nameAlg, marshalPublic(p));
}

// ------------------------------------------------------------ sensitive

export interface SensitiveCreate {
  userAuth: Uint8Array;
  data: Uint8Array;
}

export function readSensitiveCreate(r: TpmReader, field = 'inSensitive', maxAuth = MAX_DIGEST_BUFFER): SensitiveCreate {
  return r.sized(field, (inner) => ({
    userAuth: inner.tpm2b(`${field}.userAuth`, maxAuth),
    data: inner.tpm2b(`${field}.data`, 256),
  }))!;
}

export function writeSensitiveCreate(w: TpmWriter, s: SensitiveCreate): void {
  w.sized((x) => x.tpm2b(s.userAuth).tpm2b(s.data));
}

/** TPMT_SENSITIVE (inside a private blob). */
export interface Sensitive {
  sensitiveType: number;
  authValue: Uint8Array;
  seedValue: Uint8Array;
  /** RSA: prime p; ECC: private d; KEYEDHASH: data; SYMCIPHER: key. */
  sensitive: Uint8Array;
}

export function writeSensitive(w: TpmWriter, s: Sensitive): void {
  w.u16(s.sensitiveType).tpm2b(s.authValue).tpm2b(s.seedValue).tpm2b(s.sensitive);
}

export function readSensitive(r: TpmReader, field = 'sensitive'): Sensitive {
  return {
    sensitiveType: r.u16(`${field}.sensitiveType`),
    authValue: r.tpm2b(`${field}.authValue`, MAX_DIGEST_BUFFER),
    seedValue: r.tpm2b(`${field}.seedValue`, MAX_DIGEST_BUFFER),
    sensitive: r.tpm2b(`${field}.sensitive`, 640),
  };
}

// ------------------------------------------------------------ NV public area

export interface NvPublic {
  nvIndex: number;
  nameAlg: number;
  attributes: number;
  authPolicy: Uint8Array;
  dataSize: number;
}

export function writeNvPublic(w: TpmWriter, p: NvPublic): void {
  w.u32(p.nvIndex).u16(p.nameAlg).u32(p.attributes).tpm2b(p.authPolicy).u16(p.dataSize);
}

export function marshalNvPublic(p: NvPublic): Uint8Array {
  const w = new TpmWriter(64);
  writeNvPublic(w, p);
  return w.finish();
}

/** TPMS_NV_PUBLIC; a TPM bounds dataSize by MAX_NV_INDEX_SIZE (TPM_RC_SIZE). */
export function readNvPublic(r: TpmReader, field = 'publicInfo', maxDataSize = 0xffff): NvPublic {
  const nvIndex = r.u32(`${field}.nvIndex`);
  if (nvIndex >>> 24 !== 0x01) r.fail(RC.VALUE, `${field}.nvIndex 0x${nvIndex.toString(16)} is not an NV index handle`);
  const nameAlg = readHashAlg(r, `${field}.nameAlg`, false);
  const attributes = r.u32(`${field}.attributes`);
  if (attributes & TPMA_NV_RESERVED) r.fail(RC.RESERVED_BITS, `${field}.attributes 0x${attributes.toString(16)} sets reserved bits`);
  const authPolicy = r.tpm2b(`${field}.authPolicy`, MAX_DIGEST_BUFFER);
  const dataSize = r.u16(`${field}.dataSize`);
  if (dataSize > maxDataSize) r.fail(RC.SIZE, `${field}.dataSize ${dataSize} is larger than MAX_NV_INDEX_SIZE ${maxDataSize}`);
  return { nvIndex, nameAlg, attributes, authPolicy, dataSize };
}

export function readNvPublic2b(r: TpmReader, field = 'publicInfo', maxDataSize = 0xffff): NvPublic {
  return r.sized(field, (inner) => readNvPublic(inner, field, maxDataSize))!;
}

export function nvName(p: NvPublic): Uint8Array {
  return computeName(p.nameAlg, marshalNvPublic(p));
}

// ------------------------------------------------------------ signatures

export interface Signature {
  sigAlg: number;
  hashAlg: number;
  /** RSASSA / RSAPSS signature; HMAC digest. */
  sig?: Uint8Array;
  /** ECDSA r and s. */
  r?: Uint8Array;
  s?: Uint8Array;
}

export function writeSignature(w: TpmWriter, s: Signature): void {
  w.u16(s.sigAlg);
  switch (s.sigAlg) {
    case ALG.NULL:
      return;
    case ALG.RSASSA:
    case ALG.RSAPSS:
      w.u16(s.hashAlg).tpm2b(s.sig ?? new Uint8Array(0));
      return;
    case ALG.HMAC:
      w.u16(s.hashAlg).bytes(s.sig ?? new Uint8Array(0));
      return;
    default:
      w.u16(s.hashAlg).tpm2b(s.r ?? new Uint8Array(0)).tpm2b(s.s ?? new Uint8Array(0));
  }
}

export function readSignature(r: TpmReader, digestSize: (alg: number) => number, field = 'signature'): Signature {
  const sigAlg = r.u16(`${field}.sigAlg`);
  if (sigAlg === ALG.NULL) return { sigAlg, hashAlg: ALG.NULL };
  if (!SIG_SCHEMES.includes(sigAlg)) r.fail(RC.SCHEME, `${field}.sigAlg 0x${sigAlg.toString(16)} is not a signature scheme`);
  const hashAlg = readHashAlg(r, `${field}.hash`, false);
  if (sigAlg === ALG.RSASSA || sigAlg === ALG.RSAPSS) return { sigAlg, hashAlg, sig: r.tpm2b(`${field}.sig`, 512) };
  if (sigAlg === ALG.HMAC) return { sigAlg, hashAlg, sig: r.bytes(digestSize(hashAlg), `${field}.digest`) };
  return { sigAlg, hashAlg, r: r.tpm2b(`${field}.signatureR`, 128), s: r.tpm2b(`${field}.signatureS`, 128) };
}

// ------------------------------------------------------------ tickets

export interface Ticket {
  tag: number;
  hierarchy: number;
  digest: Uint8Array;
}

export function writeTicket(w: TpmWriter, t: Ticket): void {
  w.u16(t.tag).u32(t.hierarchy).tpm2b(t.digest);
}

export function readTicket(r: TpmReader, expectTag: number, field = 'ticket'): Ticket {
  const tag = r.u16(`${field}.tag`);
  if (tag !== expectTag) r.fail(RC.TAG, `${field}.tag 0x${tag.toString(16)} is not 0x${expectTag.toString(16)}`);
  return { tag, hierarchy: r.u32(`${field}.hierarchy`), digest: r.tpm2b(`${field}.digest`, MAX_DIGEST_BUFFER) };
}

export const NULL_TICKET = (tag: number, hierarchy = 0x40000007): Ticket => ({ tag, hierarchy, digest: new Uint8Array(0) });
export const HASHCHECK = ST.HASHCHECK;

// ------------------------------------------------------------ contexts

export interface Context {
  sequence: bigint;
  savedHandle: number;
  hierarchy: number;
  blob: Uint8Array;
}

export function writeContext(w: TpmWriter, c: Context): void {
  w.u64(c.sequence).u32(c.savedHandle).u32(c.hierarchy).tpm2b(c.blob);
}

export function readContext(r: TpmReader, field = 'context', maxBlob = 4096): Context {
  return {
    sequence: r.u64(`${field}.sequence`),
    savedHandle: r.u32(`${field}.savedHandle`),
    hierarchy: r.u32(`${field}.hierarchy`),
    blob: r.tpm2b(`${field}.contextBlob`, maxBlob),
  };
}

// ------------------------------------------------------------ creation data

export interface CreationData {
  pcrSelect: PcrSelection[];
  pcrDigest: Uint8Array;
  locality: number;
  parentNameAlg: number;
  parentName: Uint8Array;
  parentQualifiedName: Uint8Array;
  outsideInfo: Uint8Array;
}

export function writeCreationData(w: TpmWriter, c: CreationData): void {
  writePcrSelections(w, c.pcrSelect);
  w.tpm2b(c.pcrDigest).u8(c.locality).u16(c.parentNameAlg).tpm2b(c.parentName).tpm2b(c.parentQualifiedName).tpm2b(c.outsideInfo);
}

export function readCreationData(r: TpmReader, field = 'creationData'): CreationData {
  return {
    pcrSelect: readPcrSelections(r, `${field}.pcrSelect`),
    pcrDigest: r.tpm2b(`${field}.pcrDigest`),
    locality: r.u8(`${field}.locality`),
    parentNameAlg: r.u16(`${field}.parentNameAlg`),
    parentName: r.tpm2b(`${field}.parentName`),
    parentQualifiedName: r.tpm2b(`${field}.parentQualifiedName`),
    outsideInfo: r.tpm2b(`${field}.outsideInfo`),
  };
}

// ------------------------------------------------------------ capability data

export interface AlgProperty {
  alg: number;
  attributes: number;
}
export interface TaggedProperty {
  property: number;
  value: number;
}
export interface TaggedPcrSelect {
  tag: number;
  select: Uint8Array;
}

export type CapabilityData =
  | { capability: typeof CAP.ALGS; algs: AlgProperty[] }
  | { capability: typeof CAP.HANDLES; handles: number[] }
  | { capability: typeof CAP.COMMANDS; commands: number[] }
  | { capability: typeof CAP.PP_COMMANDS | typeof CAP.AUDIT_COMMANDS; codes: number[] }
  | { capability: typeof CAP.PCRS; pcrs: PcrSelection[] }
  | { capability: typeof CAP.TPM_PROPERTIES; properties: TaggedProperty[] }
  | { capability: typeof CAP.PCR_PROPERTIES; pcrProperties: TaggedPcrSelect[] }
  | { capability: typeof CAP.ECC_CURVES; curves: number[] };

export function writeCapabilityData(w: TpmWriter, d: CapabilityData): void {
  w.u32(d.capability);
  switch (d.capability) {
    case CAP.ALGS:
      w.u32(d.algs.length);
      for (const a of d.algs) w.u16(a.alg).u32(a.attributes);
      return;
    case CAP.HANDLES:
      w.u32(d.handles.length);
      for (const h of d.handles) w.u32(h);
      return;
    case CAP.COMMANDS:
      w.u32(d.commands.length);
      for (const c of d.commands) w.u32(c);
      return;
    case CAP.PP_COMMANDS:
    case CAP.AUDIT_COMMANDS:
      w.u32(d.codes.length);
      for (const c of d.codes) w.u32(c);
      return;
    case CAP.PCRS:
      writePcrSelections(w, d.pcrs);
      return;
    case CAP.TPM_PROPERTIES:
      w.u32(d.properties.length);
      for (const p of d.properties) w.u32(p.property).u32(p.value);
      return;
    case CAP.PCR_PROPERTIES:
      w.u32(d.pcrProperties.length);
      for (const p of d.pcrProperties) w.u32(p.tag).u8(p.select.length).bytes(p.select);
      return;
    case CAP.ECC_CURVES:
      w.u32(d.curves.length);
      for (const c of d.curves) w.u16(c);
      return;
  }
}

export function readCapabilityData(r: TpmReader, field = 'capabilityData'): CapabilityData {
  const capability = r.u32(`${field}.capability`);
  const count = r.u32(`${field}.data.count`);
  const n = Math.min(count, 4096);
  if (count > 4096) r.fail(RC.SIZE, `${field}.data.count ${count} is implausibly large`);
  switch (capability) {
    case CAP.ALGS:
      return { capability, algs: Array.from({ length: n }, () => ({ alg: r.u16('alg'), attributes: r.u32('algProperties') })) };
    case CAP.HANDLES:
      return { capability, handles: Array.from({ length: n }, () => r.u32('handle')) };
    case CAP.COMMANDS:
      return { capability, commands: Array.from({ length: n }, () => r.u32('commandAttributes')) };
    case CAP.PP_COMMANDS:
    case CAP.AUDIT_COMMANDS:
      return { capability, codes: Array.from({ length: n }, () => r.u32('commandCode')) };
    case CAP.PCRS: {
      const pcrs: PcrSelection[] = [];
      for (let i = 0; i < n; i++) {
        const hash = r.u16('hash');
        const size = r.u8('sizeofSelect');
        pcrs.push({ hash, select: r.bytes(size, 'pcrSelect') });
      }
      return { capability, pcrs };
    }
    case CAP.TPM_PROPERTIES:
      return { capability, properties: Array.from({ length: n }, () => ({ property: r.u32('property'), value: r.u32('value') })) };
    case CAP.PCR_PROPERTIES:
      return {
        capability,
        pcrProperties: Array.from({ length: n }, () => {
          const tag = r.u32('tag');
          const size = r.u8('sizeofSelect');
          return { tag, select: r.bytes(size, 'pcrSelect') };
        }),
      };
    case CAP.ECC_CURVES:
      return { capability, curves: Array.from({ length: n }, () => r.u16('curve')) };
    default:
      return r.fail(RC.VALUE, `${field}.capability 0x${capability.toString(16)} is not one fwsec decodes`);
  }
}
