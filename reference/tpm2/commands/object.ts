// Part 3, 12 (Object Commands), 20 (Signing and Signature Verification),
// 24.1 (TPM2_CreatePrimary) and 28.5 (TPM2_EvictControl).
import { concat } from '../../../protocol/bytes.js';
import { ALG, CC, HT, RH, ST, TPMA_OBJECT } from '../../../protocol/tpm2/constants.js';
import { hash, hashSize, hmac } from '../../../protocol/tpm2/crypto.js';
import { TpmWriter, be16, be32 } from '../../../protocol/tpm2/marshal.js';
import { RC, rcH, rcP } from '../../../protocol/tpm2/rc.js';
import {
  marshalPublic,
  readPcrSelections,
  readPublic2b,
  readSensitiveCreate,
  readSigScheme,
  readSignature,
  readTicket,
  writeCreationData,
  writeSignature,
  writeTicket,
  type PcrSelection,
  type Scheme,
  type TpmtPublic,
} from '../../../protocol/tpm2/structures.js';
import { define, fail, type CommandDef, type KeyObject } from '../defs.js';
import { KdfStream, signDigest, verifyDigest, type KeyMaterial } from '../keys.js';
import {
  OBJECT_LIMITS,
  adjustAuth,
  attributesValidation,
  createChecks,
  createKey,
  fromPrivate,
  hierarchyOf,
  hierarchyQn,
  isParent,
  makeObject,
  marshalSensitive,
  materialOf,
  toPrivate,
  validateKeys,
  type Created,
} from '../objects.js';
import { PCR_SELECT_MIN, type Tpm } from '../tpm.js';
import { hashcheckTicket } from './pcr.js';

const EMPTY = new Uint8Array(0);

interface CreateIn {
  sensitive: { userAuth: Uint8Array; data: Uint8Array };
  pub: TpmtPublic;
  outsideInfo: Uint8Array;
  creationPCR: PcrSelection[];
}

const parseCreate = (p: import('../defs.js').Params): CreateIn => ({
  sensitive: p.next((r) => readSensitiveCreate(r, 'inSensitive', 64)),
  pub: p.next((r) => readPublic2b(r, 'inPublic', OBJECT_LIMITS).area),
  outsideInfo: p.next((r) => r.tpm2b('outsideInfo', 64)),
  creationPCR: p.next((r) => readPcrSelections(r, 'creationPCR', PCR_SELECT_MIN, 3)),
});

/** Creation data, creationHash and creationTicket (Part 3, 12.1 / 24.1). */
function creation(t: Tpm, parent: number, parentObj: KeyObject | undefined, nameAlg: number, name: Uint8Array, i: CreateIn, hierarchy: number): Uint8Array {
  const w = new TpmWriter(256);
  writeCreationData(w, {
    pcrSelect: i.creationPCR,
    pcrDigest: t.pcrDigest(nameAlg, i.creationPCR),
    locality: 1 << t.locality,
    parentNameAlg: parentObj ? parentObj.pub.nameAlg : ALG.NULL,
    parentName: parentObj ? parentObj.name : be32(parent),
    parentQualifiedName: parentObj ? parentObj.qualifiedName : be32(parent),
    outsideInfo: i.outsideInfo,
  });
  const cd = w.finish();
  const creationHash = hash(nameAlg, cd);
  const ticketDigest = hmac(ALG.SHA256, t.proof(hierarchy), be16(ST.CREATION), name, creationHash);
  const out = new TpmWriter(512).tpm2b(cd).tpm2b(creationHash);
  writeTicket(out, { tag: ST.CREATION, hierarchy, digest: ticketDigest });
  return out.finish();
}

function keyCacheKey(seed: Uint8Array, template: Uint8Array, data: Uint8Array): string {
  return Buffer.from(hash(ALG.SHA256, seed, template, data)).toString('hex');
}

/** The object a handle refers to, which the dispatcher has checked is loaded. */
function obj(t: Tpm, h: number): KeyObject {
  const o = t.keyObject(h);
  if (!o) fail(rcH(RC.HANDLE, 1), 'not a key object');
  return o;
}

function objectOrSequence(t: Tpm, h: number, n: number): KeyObject {
  if (t.sequence(h)) fail(rcH(RC.TYPE, n), 'a sequence object is not a parent');
  return obj(t, h);
}

/** CryptSelectSignScheme: the scheme to sign with, or undefined when incompatible. */
function selectScheme(o: KeyObject, requested: Scheme): Scheme | undefined {
  if (o.pub.type === ALG.SYMCIPHER) return undefined;
  const own = o.pub.scheme ?? { scheme: ALG.NULL };
  if (own.scheme === ALG.NULL) return requested.scheme !== ALG.NULL ? requested : undefined;
  if (requested.scheme === ALG.NULL) return own;
  return own.scheme === requested.scheme && own.hashAlg === requested.hashAlg ? requested : undefined;
}

function primaryMaterial(t: Tpm, seed: Uint8Array, pub: TpmtPublic, sens: { userAuth: Uint8Array; data: Uint8Array }): Created {
  const template = marshalPublic(pub);
  const key = keyCacheKey(seed, template, sens.data);
  const cached = t.primaryCache.get(key) as Created | undefined;
  if (cached) return { pub: cached.pub, sens: { ...cached.sens, authValue: sens.userAuth }, material: cached.material };
  // DRBG seeded from the primary seed and the template's name (Part 1, 26.3)
  const stream = new KdfStream(pub.nameAlg, seed, 'Primary Object Creation', concat(hash(pub.nameAlg, template), sens.data));
  const made = createKey(pub, sens.userAuth, sens.data, stream, (n) => t.random(n));
  if (t.primaryCache.size > 32) t.primaryCache.delete(t.primaryCache.keys().next().value!);
  t.primaryCache.set(key, made);
  return made;
}

export const OBJECT: CommandDef[] = [
  define({
    cc: CC.CreatePrimary,
    handles: [{ type: 'hierarchy+', auth: 'user' }],
    rHandle: true,
    decrypt: true,
    encrypt: true,
    parse: parseCreate,
    run: (t, [hier], i) => {
      const handle = t.allocObjectHandle();
      const rc = createChecks(undefined, i.pub, i.sensitive.data.length);
      if (rc) fail(rcP(rc, 2));
      const auth = adjustAuth(i.sensitive.userAuth, i.pub.nameAlg);
      if (!auth) fail(rcP(RC.SIZE, 1), 'userAuth is larger than the nameAlg digest');
      const made = primaryMaterial(t, t.seed(hier!), i.pub, { userAuth: auth, data: i.sensitive.data });
      const o = makeObject(made.pub, made.sens, hier!, hierarchyQn(hier!), made.material);
      t.objects.set(handle, o);
      const params = concat(new TpmWriter().tpm2b(o.pubBytes).finish(), creation(t, hier!, undefined, o.pub.nameAlg, o.name, i, hier!), new TpmWriter().tpm2b(o.name).finish());
      return { handle, params };
    },
  }),
  define({
    cc: CC.Create,
    handles: [{ type: 'object', auth: 'user' }],
    decrypt: true,
    encrypt: true,
    parse: parseCreate,
    run: (t, [ph], i) => {
      const parent = objectOrSequence(t, ph!, 1);
      if (!isParent(parent)) fail(rcH(RC.TYPE, 1), 'the parent is not a storage key');
      if (t.objects.size >= t.config.maxLoadedObjects) fail(RC.OBJECT_MEMORY);
      const rc = createChecks(parent, i.pub, i.sensitive.data.length);
      if (rc) fail(rcP(rc, 2));
      const auth = adjustAuth(i.sensitive.userAuth, i.pub.nameAlg);
      if (!auth) fail(rcP(RC.SIZE, 1));
      const made = createKey(i.pub, auth, i.sensitive.data, undefined, (n) => t.random(n));
      const o = makeObject(made.pub, made.sens, parent.hierarchy, parent.qualifiedName, made.material);
      const priv = toPrivate(parent, o.name, made.sens);
      const params = concat(new TpmWriter().tpm2b(priv).tpm2b(o.pubBytes).finish(), creation(t, ph!, parent, o.pub.nameAlg, o.name, i, hierarchyOf(parent)));
      return { params };
    },
  }),
  define({
    cc: CC.Load,
    handles: [{ type: 'object', auth: 'user' }],
    rHandle: true,
    decrypt: true,
    encrypt: true,
    parse: (p) => ({ priv: p.next((r) => r.tpm2b('inPrivate', 1024)), pub: p.next((r) => readPublic2b(r, 'inPublic', OBJECT_LIMITS).area) }),
    run: (t, [ph], i) => {
      const handle = t.allocObjectHandle();
      if (i.priv.length === 0) fail(rcP(RC.SIZE, 1));
      const parent = objectOrSequence(t, ph!, 1);
      if (!isParent(parent)) fail(rcH(RC.TYPE, 1));
      if (i.pub.nameAlg === ALG.NULL) fail(rcP(RC.HASH, 2));
      const probe = makeObject(i.pub, undefined, parent.hierarchy, parent.qualifiedName);
      const sens = fromPrivate(parent, probe.name, i.priv);
      if (typeof sens === 'number') fail(rcP(sens, 1), 'the private area does not verify under this parent');
      if (sens.seedValue.length > hashSize(i.pub.nameAlg)) fail(rcP(RC.KEY_SIZE, 1));
      const rc = attributesValidation(parent, i.pub);
      if (rc) fail(rcP(rc, 2));
      if (!(parent.pub.objectAttributes & TPMA_OBJECT.fixedTPM)) {
        const bad = validateKeys(i.pub, sens);
        if (bad) fail(rcP(bad.rc, bad.sensitive ? 1 : 2));
      }
      const o = makeObject(i.pub, sens, parent.hierarchy, parent.qualifiedName);
      t.objects.set(handle, o);
      return { handle, params: new TpmWriter(80).tpm2b(o.name).finish() };
    },
  }),
  define({
    cc: CC.ReadPublic,
    handles: [{ type: 'object' }],
    encrypt: true,
    parse: () => undefined,
    run: (t, [h]) => {
      if (t.sequence(h!)) fail(RC.SEQUENCE);
      const o = obj(t, h!);
      return { params: new TpmWriter(512).tpm2b(o.pubBytes).tpm2b(o.name).tpm2b(o.qualifiedName).finish() };
    },
  }),
  define({
    cc: CC.Sign,
    handles: [{ type: 'object', auth: 'user' }],
    decrypt: true,
    parse: (p) => ({
      digest: p.next((r) => r.tpm2b('digest', 64)),
      scheme: p.next((r) => readSigScheme(r)),
      validation: p.next((r) => readTicket(r, ST.HASHCHECK, 'validation')),
    }),
    run: (t, [h], i) => {
      if (t.sequence(h!)) fail(rcH(RC.KEY, 1));
      const o = obj(t, h!);
      const a = o.pub.objectAttributes;
      if (!(a & TPMA_OBJECT.sign) || !o.sens) fail(rcH(RC.KEY, 1), 'not a signing key');
      if (a & TPMA_OBJECT.x509sign) fail(rcH(RC.ATTRIBUTES, 1));
      const scheme = selectScheme(o, i.scheme);
      if (!scheme) fail(rcP(RC.SCHEME, 2), 'the scheme does not match the key');
      if (i.validation.digest.length !== 0 || a & TPMA_OBJECT.restricted) {
        const want = i.validation.hierarchy === RH.NULL ? EMPTY : hashcheckTicket(t, i.validation.hierarchy, scheme.hashAlg!, i.digest);
        if (want.length === 0 || !eq(want, i.validation.digest)) fail(rcP(RC.TICKET, 3), 'the validation ticket does not verify');
      } else if (i.digest.length !== hashSize(scheme.hashAlg!)) fail(rcP(RC.SIZE, 1), 'digest is not the size of the scheme hash');
      const sig = signWith(o, scheme, i.digest);
      const w = new TpmWriter(600);
      writeSignature(w, sig);
      return { params: w.finish() };
    },
  }),
  define({
    cc: CC.VerifySignature,
    handles: [{ type: 'object' }],
    decrypt: true,
    parse: (p) => ({ digest: p.next((r) => r.tpm2b('digest', 64)), signature: p.next((r) => readSignature(r, hashSize)) }),
    run: (t, [h], i) => {
      if (t.sequence(h!)) fail(rcH(RC.ATTRIBUTES, 1));
      const o = obj(t, h!);
      if (!(o.pub.objectAttributes & TPMA_OBJECT.sign)) fail(rcH(RC.ATTRIBUTES, 1));
      const sig = i.signature;
      if (sig.sigAlg === ALG.NULL) fail(rcP(RC.SIGNATURE, 2));
      let ok: boolean;
      if (o.pub.type === ALG.RSA) {
        if (sig.sigAlg !== ALG.RSASSA && sig.sigAlg !== ALG.RSAPSS) fail(rcP(RC.SCHEME, 2));
        if (sig.sig!.length !== o.pub.unique.length) fail(rcP(RC.SIGNATURE, 2));
        ok = verifyDigest(materialOf(o)!, sig.sigAlg, sig.hashAlg, i.digest, { a: sig.sig! });
      } else if (o.pub.type === ALG.ECC) {
        if (sig.sigAlg !== ALG.ECDSA) fail(rcP(RC.SCHEME, 2));
        ok = verifyDigest(materialOf(o)!, sig.sigAlg, sig.hashAlg, i.digest, { a: sig.r!, b: sig.s! });
      } else if (o.pub.type === ALG.KEYEDHASH) {
        if (!o.sens) fail(rcH(RC.HANDLE, 1));
        if (sig.sigAlg !== ALG.HMAC) fail(rcP(RC.SCHEME, 2));
        ok = eq(hmac(sig.hashAlg, o.sens.sensitive, i.digest), sig.sig!);
      } else return fail(rcP(RC.SCHEME, 2));
      if (!ok) fail(rcP(RC.SIGNATURE, 2), 'the signature does not verify');
      const hier = hierarchyOf(o);
      const w = new TpmWriter(64);
      if (hier === RH.NULL) writeTicket(w, { tag: ST.VERIFIED, hierarchy: RH.NULL, digest: EMPTY });
      else writeTicket(w, { tag: ST.VERIFIED, hierarchy: hier, digest: hmac(ALG.SHA256, t.proof(hier), be16(ST.VERIFIED), i.digest, o.name) });
      return { params: w.finish() };
    },
  }),
  define({
    cc: CC.Unseal,
    handles: [{ type: 'object', auth: 'user' }],
    encrypt: true,
    parse: () => undefined,
    run: (t, [h]) => {
      if (t.sequence(h!)) fail(rcH(RC.TYPE, 1));
      const o = obj(t, h!);
      if (o.pub.type !== ALG.KEYEDHASH) fail(rcH(RC.TYPE, 1));
      const a = o.pub.objectAttributes;
      if (a & (TPMA_OBJECT.decrypt | TPMA_OBJECT.sign | TPMA_OBJECT.restricted)) fail(rcH(RC.ATTRIBUTES, 1));
      return { params: new TpmWriter(160).tpm2b(o.sens?.sensitive ?? EMPTY).finish() };
    },
  }),
  define({
    cc: CC.ObjectChangeAuth,
    handles: [{ type: 'object', auth: 'admin' }, { type: 'object' }],
    decrypt: true,
    encrypt: true,
    parse: (p) => p.next((r) => r.tpm2b('newAuth', 64)),
    run: (t, [h, ph], newAuth) => {
      if (t.sequence(h!)) fail(rcH(RC.TYPE, 1));
      const o = obj(t, h!);
      const auth = adjustAuth(newAuth, o.pub.nameAlg);
      if (!auth) fail(rcP(RC.SIZE, 1));
      const parent = t.keyObject(ph!);
      if (!parent || !parent.sens || !eq(parent.qualifiedName.length ? hashQn(parent, o) : EMPTY, o.qualifiedName)) fail(rcH(RC.TYPE, 2), 'not the parent of the object');
      const priv = toPrivate(parent, o.name, { ...o.sens!, authValue: auth });
      return { params: new TpmWriter(512).tpm2b(priv).finish() };
    },
  }),
  define({
    cc: CC.EvictControl,
    handles: [{ type: 'provision', auth: 'user' }, { type: 'object' }],
    nv: true,
    parse: (p) =>
      p.next((r) => {
        const h = r.u32('persistentHandle');
        if (h >>> 24 !== HT.PERSISTENT) r.fail(RC.VALUE, 'persistentHandle is not a TPMI_DH_PERSISTENT');
        return h;
      }),
    run: async (t, [auth, h], ph) => {
      if (t.sequence(h!)) fail(rcH(RC.ATTRIBUTES, 2));
      const o = obj(t, h!);
      const evict = o.persistentHandle !== undefined;
      if (!evict && (o.hierarchy === RH.NULL || (o.pub.objectAttributes & TPMA_OBJECT.stClear) !== 0 || !o.sens)) fail(rcH(RC.ATTRIBUTES, 2), 'temporary, stClear or public-only objects cannot be persistent');
      if (evict && o.persistentHandle !== ph) fail(rcH(RC.HANDLE, 2));
      if (auth === RH.PLATFORM) {
        if (!evict) {
          if (o.hierarchy !== RH.PLATFORM) fail(rcH(RC.HIERARCHY, 2));
          if (ph < 0x81800000) fail(rcP(RC.RANGE, 1));
        }
      } else {
        if (o.hierarchy === RH.PLATFORM) fail(rcH(RC.HIERARCHY, 2));
        if (!evict && ph >= 0x81800000) fail(rcP(RC.RANGE, 1));
      }
      if (!evict) {
        if (t.persistent.has(ph)) fail(RC.NV_DEFINED);
        if (t.persistent.size >= t.config.maxPersistent) fail(RC.NV_SPACE);
        const rec = { hierarchy: o.hierarchy, pub: o.pub, sensitive: marshalSensitive(o.sens!) };
        await t.store.savePersistent(ph, rec);
        t.persistent.set(ph, rec);
      } else {
        await t.store.deletePersistent(ph);
        t.persistent.delete(ph);
        t.forgetPersistent(ph);
      }
      return { params: EMPTY };
    },
  }),
];

function hashQn(parent: KeyObject, o: KeyObject): Uint8Array {
  return concat(be16(o.pub.nameAlg), hash(o.pub.nameAlg, parent.qualifiedName, o.name));
}

function signWith(o: KeyObject, scheme: Scheme, digest: Uint8Array) {
  if (o.pub.type === ALG.KEYEDHASH) return { sigAlg: ALG.HMAC, hashAlg: scheme.hashAlg!, sig: hmac(scheme.hashAlg!, o.sens!.sensitive, digest) };
  const m = materialOf(o) as KeyMaterial;
  const raw = signDigest(m, scheme.scheme, scheme.hashAlg!, digest);
  if (scheme.scheme === ALG.ECDSA) return { sigAlg: ALG.ECDSA, hashAlg: scheme.hashAlg!, r: raw.a, s: raw.b! };
  return { sigAlg: scheme.scheme, hashAlg: scheme.hashAlg!, sig: raw.a };
}

function eq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
