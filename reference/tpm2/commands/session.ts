// Part 3, 11 (Session Commands), 23 (Enhanced Authorization) and 28
// (Context Management).
import { constants as C, privateDecrypt } from 'node:crypto';
import { concat } from '../../../protocol/bytes.js';
import { ALG, CC, HT, RH, SE, ST, TPMA_OBJECT } from '../../../protocol/tpm2/constants.js';
import { hashSize, kdfe } from '../../../protocol/tpm2/crypto.js';
import { TpmReader, TpmWriter } from '../../../protocol/tpm2/marshal.js';
import { RC, rcH, rcP } from '../../../protocol/tpm2/rc.js';
import { policyAuthValue, policyCommandCode, policyLocality, policyOr, policyPcr, policySecret, sessionKey } from '../../../protocol/tpm2/session.js';
import { readContext, readDigestList, readHashAlg, readPcrSelections, readSymDef, writeContext, writeSymDef, writeTicket, type SymDef } from '../../../protocol/tpm2/structures.js';
import { define, fail, type CommandDef, type Session, type SequenceObject } from '../defs.js';
import { CURVES, openContext, sealContext } from '../keys.js';
import { hierarchyOf, materialOf, objectFromImage, objectImage } from '../objects.js';
import { PCR_SELECT_MIN, type Tpm } from '../tpm.js';

const EMPTY = new Uint8Array(0);

function policySession(t: Tpm, h: number): Session {
  return t.sessions.get(h)!;
}

function decryptSalt(t: Tpm, keyHandle: number, secret: Uint8Array): Uint8Array {
  const key = t.keyObject(keyHandle)!;
  const m = materialOf(key);
  if (key.pub.type === ALG.RSA && m?.kind === 'rsa') {
    const scheme = key.pub.scheme?.scheme ?? ALG.NULL;
    const oaepHash = scheme === ALG.NULL ? key.pub.nameAlg : key.pub.scheme?.hashAlg;
    if ((scheme !== ALG.NULL && scheme !== ALG.OAEP) || !oaepHash) fail(rcP(RC.VALUE, 2));
    const name = { [ALG.SHA1]: 'sha1', [ALG.SHA256]: 'sha256', [ALG.SHA384]: 'sha384', [ALG.SHA512]: 'sha512' }[oaepHash];
    try {
      const out = new Uint8Array(privateDecrypt({ key: m.priv!, padding: C.RSA_PKCS1_OAEP_PADDING, oaepHash: name, oaepLabel: Buffer.from('SECRET\0') }, secret));
      if (out.length > hashSize(oaepHash)) fail(rcP(RC.VALUE, 2));
      return out;
    } catch (e) {
      if (e instanceof Error && e.name === 'TpmError') throw e;
      return fail(rcP(RC.VALUE, 2), 'OAEP decryption of the salt failed');
    }
  }
  if (key.pub.type === ALG.ECC && m?.kind === 'ecc') {
    try {
      const r = new TpmReader(secret, 'encryptedSalt');
      const x = r.tpm2b();
      const y = r.tpm2b();
      const c = CURVES[m.curve]!;
      const shared = c.impl.getSharedSecret(m.d!, concat(new Uint8Array([4]), x, y), true);
      return kdfe(key.pub.nameAlg, shared.slice(1), 'SECRET', x, m.x, hashSize(key.pub.nameAlg) * 8);
    } catch {
      return fail(rcP(RC.VALUE, 2), 'the ECC salt is not a point on the curve');
    }
  }
  return fail(rcH(RC.KEY, 1));
}

export function sessionImage(s: Session): Uint8Array {
  const w = new TpmWriter(256);
  w.u32(s.handle).u8(s.type).u16(s.authHash).tpm2b(s.nonceTPM).tpm2b(s.sessionKey);
  writeSymDef(w, s.symmetric);
  w.u8((s.isBound ? 1 : 0) | (s.isDaBound ? 2 : 0) | (s.isLockoutBound ? 4 : 0) | (s.isAuthValueNeeded ? 8 : 0) | (s.isPasswordNeeded ? 16 : 0));
  w.tpm2b(s.boundName).tpm2b(s.boundAuth).tpm2b(s.policyDigest).u32(s.commandCode).tpm2b(s.cpHash).u32((s.pcrCounter + 1) >>> 0).u8(s.commandLocality);
  return w.finish();
}

export function sessionFromImage(b: Uint8Array): Session {
  const r = new TpmReader(b, 'session context');
  const handle = r.u32();
  const type = r.u8();
  const authHash = r.u16();
  const nonceTPM = r.tpm2b();
  const key = r.tpm2b();
  const symmetric = readSymDef(r, 'symmetric', false, () => true);
  const f = r.u8();
  return {
    handle,
    type,
    authHash,
    nonceTPM,
    sessionKey: key,
    symmetric,
    isBound: (f & 1) !== 0,
    isDaBound: (f & 2) !== 0,
    isLockoutBound: (f & 4) !== 0,
    isAuthValueNeeded: (f & 8) !== 0,
    isPasswordNeeded: (f & 16) !== 0,
    boundName: r.tpm2b(),
    boundAuth: r.tpm2b(),
    policyDigest: r.tpm2b(),
    commandCode: r.u32(),
    cpHash: r.tpm2b(),
    pcrCounter: r.u32() - 1,
    commandLocality: r.u8(),
  };
}

function sequenceImage(s: SequenceObject): Uint8Array {
  const w = new TpmWriter(64 + s.dataLength);
  w.u16(s.hashAlg).tpm2b(s.auth).u8((s.ticketOk ? 1 : 0) | (s.started ? 2 : 0)).u32(s.dataLength);
  for (const d of s.data) w.bytes(d);
  return w.finish();
}

function sequenceFromImage(b: Uint8Array): SequenceObject {
  const r = new TpmReader(b, 'sequence context');
  const hashAlg = r.u16();
  const auth = r.tpm2b();
  const f = r.u8();
  const n = r.u32();
  const data = r.bytes(n);
  return { kind: 'sequence', hashAlg, auth, ticketOk: (f & 1) !== 0, started: (f & 2) !== 0, data: [data], dataLength: n };
}

const POLICY = { type: 'policySession' as const };

export const SESSION: CommandDef[] = [
  define({
    cc: CC.StartAuthSession,
    handles: [{ type: 'object+' }, { type: 'entity+' }],
    rHandle: true,
    decrypt: true,
    encrypt: true,
    parse: (p) => ({
      nonceCaller: p.next((r) => r.tpm2b('nonceCaller', 64)),
      encryptedSalt: p.next((r) => r.tpm2b('encryptedSalt', 512)),
      sessionType: p.next((r) => {
        const v = r.u8('sessionType');
        if (v !== SE.HMAC && v !== SE.POLICY && v !== SE.TRIAL) r.fail(RC.VALUE, `sessionType ${v} is not a TPM_SE`);
        return v;
      }),
      symmetric: p.next((r) => readSymDef(r, 'symmetric', false, (a) => a === ALG.AES)),
      authHash: p.next((r) => readHashAlg(r, 'authHash', false)),
    }),
    run: (t, [tpmKey, bind], i) => {
      if (i.nonceCaller.length < 16 || i.nonceCaller.length > hashSize(i.authHash)) fail(rcP(RC.SIZE, 1), 'nonceCaller must be 16 bytes up to the digest size of authHash');
      let salt: Uint8Array = EMPTY;
      if (tpmKey !== RH.NULL) {
        const key = t.keyObject(tpmKey!)!;
        if (key.pub.type !== ALG.RSA && key.pub.type !== ALG.ECC) fail(rcH(RC.KEY, 1));
        if (i.encryptedSalt.length === 0) fail(rcP(RC.VALUE, 2));
        if (!key.sens) fail(rcH(RC.HANDLE, 1));
        if (!(key.pub.objectAttributes & TPMA_OBJECT.decrypt)) fail(rcH(RC.ATTRIBUTES, 1));
        salt = decryptSalt(t, tpmKey!, i.encryptedSalt);
      } else if (i.encryptedSalt.length !== 0) fail(rcP(RC.VALUE, 2));
      if (bind! >>> 24 === HT.TRANSIENT && !t.keyObject(bind!)?.sens && t.objects.get(bind!)?.kind !== 'sequence') fail(rcH(RC.HANDLE, 2));
      const sym: SymDef = i.symmetric;
      if (sym.algorithm !== ALG.NULL && sym.algorithm !== ALG.XOR && sym.mode !== ALG.CFB) fail(rcP(RC.MODE, 4));
      const idx = t.allocSessionIndex();
      const handle = ((i.sessionType === SE.HMAC ? 0x02000000 : 0x03000000) | idx) >>> 0;
      const nonceTPM = t.random(i.nonceCaller.length);
      const bindAuth = bind === RH.NULL ? EMPTY : t.entityAuth(bind!);
      const key = sessionKey(i.authHash, bind !== RH.NULL || salt.length !== 0, concat(bindAuth, salt), nonceTPM, i.nonceCaller);
      const isDaBound = bind !== RH.NULL && !(bind === RH.OWNER || bind === RH.ENDORSEMENT || bind === RH.PLATFORM || bind! < 0x01000000) && !isExempt(t, bind!);
      const s: Session = {
        handle,
        type: i.sessionType,
        authHash: i.authHash,
        nonceTPM,
        sessionKey: key,
        symmetric: sym,
        isBound: bind !== RH.NULL && i.sessionType === SE.HMAC,
        boundName: bind === RH.NULL ? EMPTY : t.entityName(bind!),
        boundAuth: bindAuth,
        isDaBound,
        isLockoutBound: isDaBound && bind === RH.LOCKOUT,
        policyDigest: new Uint8Array(hashSize(i.authHash)),
        commandCode: 0,
        cpHash: EMPTY,
        isAuthValueNeeded: false,
        isPasswordNeeded: false,
        pcrCounter: -1,
        commandLocality: 0,
      };
      t.sessions.set(handle, s);
      return { handle, params: new TpmWriter(80).tpm2b(nonceTPM).finish() };
    },
  }),
  define({
    cc: CC.PolicyRestart,
    handles: [POLICY],
    parse: () => undefined,
    run: (t, [h]) => {
      t.resetPolicy(policySession(t, h!));
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.PolicyPCR,
    handles: [POLICY],
    decrypt: true,
    parse: (p) => ({ pcrDigest: p.next((r) => r.tpm2b('pcrDigest', 64)), pcrs: p.next((r) => readPcrSelections(r, 'pcrs', PCR_SELECT_MIN, 3)) }),
    run: (t, [h], i) => {
      const s = policySession(t, h!);
      let digest = t.pcrDigest(s.authHash, i.pcrs);
      if (s.type !== SE.TRIAL) {
        if (s.pcrCounter !== -1 && s.pcrCounter !== t.reset.pcrCounter) fail(RC.PCR_CHANGED);
        if (i.pcrDigest.length !== 0 && !eq(i.pcrDigest, digest)) fail(rcP(RC.VALUE, 1), 'pcrDigest does not match the current PCR values');
      } else if (i.pcrDigest.length !== 0) digest = i.pcrDigest;
      s.policyDigest = policyPcr(s.authHash, s.policyDigest, i.pcrs, digest);
      if (s.type !== SE.TRIAL) s.pcrCounter = t.reset.pcrCounter;
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.PolicyCommandCode,
    handles: [POLICY],
    parse: (p) => p.next((r) => r.u32('code')),
    run: async (t, [h], code) => {
      const s = policySession(t, h!);
      if (s.commandCode !== 0 && s.commandCode !== code) fail(rcP(RC.VALUE, 1));
      const { COMMANDS } = await import('./index.js');
      if (!COMMANDS.has(code)) fail(rcP(RC.POLICY_CC, 1));
      s.policyDigest = policyCommandCode(s.authHash, s.policyDigest, code);
      s.commandCode = code;
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.PolicyAuthValue,
    handles: [POLICY],
    parse: () => undefined,
    run: (t, [h]) => {
      const s = policySession(t, h!);
      s.policyDigest = policyAuthValue(s.authHash, s.policyDigest);
      s.isAuthValueNeeded = true;
      s.isPasswordNeeded = false;
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.PolicyPassword,
    handles: [POLICY],
    parse: () => undefined,
    run: (t, [h]) => {
      const s = policySession(t, h!);
      s.policyDigest = policyAuthValue(s.authHash, s.policyDigest);
      s.isPasswordNeeded = true;
      s.isAuthValueNeeded = false;
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.PolicyGetDigest,
    handles: [POLICY],
    encrypt: true,
    parse: () => undefined,
    run: (t, [h]) => ({ params: new TpmWriter(80).tpm2b(policySession(t, h!).policyDigest).finish() }),
  }),
  define({
    cc: CC.PolicyLocality,
    handles: [POLICY],
    parse: (p) => p.next((r) => r.u8('locality')),
    run: (t, [h], loc) => {
      const s = policySession(t, h!);
      if (loc === 0 || loc > 0x1f) fail(rcP(RC.RANGE, 1), 'only localities 0-4 (TPMA_LOCALITY bits) are implemented');
      if (s.commandLocality !== 0 && (s.commandLocality & loc) === 0) fail(rcP(RC.RANGE, 1));
      s.policyDigest = policyLocality(s.authHash, s.policyDigest, loc);
      s.commandLocality = s.commandLocality ? s.commandLocality & loc : loc;
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.PolicyOR,
    handles: [POLICY],
    parse: (p) => p.next((r) => readDigestList(r, 'pHashList')),
    run: (t, [h], list) => {
      const s = policySession(t, h!);
      if (list.length < 2) fail(rcP(RC.SIZE, 1), 'pHashList needs at least two digests');
      if (s.type !== SE.TRIAL && !list.some((d) => eq(d, s.policyDigest))) fail(rcP(RC.VALUE, 1), 'the policy digest is in none of the branches');
      s.policyDigest = policyOr(s.authHash, list);
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.PolicySecret,
    handles: [{ type: 'entity', auth: 'user' }, POLICY],
    decrypt: true,
    encrypt: true,
    parse: (p) => ({
      nonceTPM: p.next((r) => r.tpm2b('nonceTPM', 64)),
      cpHashA: p.next((r) => r.tpm2b('cpHashA', 64)),
      policyRef: p.next((r) => r.tpm2b('policyRef', 64)),
      expiration: p.next((r) => r.u32('expiration') | 0),
    }),
    run: (t, [auth, h], i) => {
      const s = policySession(t, h!);
      if (i.nonceTPM.length !== 0 && !eq(i.nonceTPM, s.nonceTPM)) fail(rcP(RC.NONCE, 1));
      if (i.cpHashA.length !== 0) {
        if (i.cpHashA.length !== hashSize(s.authHash)) fail(rcP(RC.SIZE, 2));
        if (s.cpHash.length !== 0 && !eq(s.cpHash, i.cpHashA)) fail(rcP(RC.CPHASH, 2));
        s.cpHash = i.cpHashA;
      }
      s.policyDigest = policySecret(s.authHash, s.policyDigest, t.entityName(auth!), i.policyRef);
      const w = new TpmWriter(32).tpm2b(EMPTY);
      writeTicket(w, { tag: ST.AUTH_SECRET, hierarchy: RH.NULL, digest: EMPTY });
      return { params: w.finish() };
    },
  }),
  define({
    cc: CC.ContextSave,
    handles: [{ type: 'context' }],
    noSessions: true,
    parse: () => undefined,
    run: async (t, [h]) => {
      await t.clearOrderly();
      const w = new TpmWriter(1024);
      if (h! >>> 24 === HT.TRANSIENT) {
        const o = t.objects.get(h!)!;
        const seq = t.nextContextSequence();
        if (o.kind === 'sequence') {
          const saved = 0x80000001;
          writeContext(w, { sequence: seq, savedHandle: saved, hierarchy: RH.NULL, blob: sealContext(t.proof(RH.NULL), t.perm.totalResetCount, undefined, seq, saved, sequenceImage(o)) });
        } else {
          const stClear = (o.pub.objectAttributes & TPMA_OBJECT.stClear) !== 0;
          const saved = stClear ? 0x80000002 : 0x80000000;
          const hier = hierarchyOf(o);
          const blob = sealContext(t.proof(hier), t.perm.totalResetCount, stClear ? t.reset.clearCount : undefined, seq, saved, objectImage(o));
          writeContext(w, { sequence: seq, savedHandle: saved, hierarchy: hier, blob });
        }
        return { params: w.finish() };
      }
      const s = t.sessions.get(h!)!;
      const seq = t.nextContextSequence();
      const blob = sealContext(t.proof(RH.NULL), t.perm.totalResetCount, undefined, seq, h!, sessionImage(s));
      t.sessions.delete(h!);
      t.reset.savedSessions.set(h!, seq);
      writeContext(w, { sequence: seq, savedHandle: h!, hierarchy: RH.NULL, blob });
      return { params: w.finish() };
    },
  }),
  define({
    cc: CC.ContextLoad,
    handles: [],
    noSessions: true,
    rHandle: true,
    parse: (p) =>
      p.next((r) => {
        const c = readContext(r, 'context', 4096);
        const sh = c.savedHandle;
        const ht = sh >>> 24;
        if (!(sh === 0x80000000 || sh === 0x80000001 || sh === 0x80000002 || ht === HT.HMAC_SESSION || ht === HT.POLICY_SESSION)) r.fail(RC.VALUE, 'savedHandle is not a TPMI_DH_SAVED');
        if (![RH.OWNER, RH.ENDORSEMENT, RH.PLATFORM, RH.NULL].includes(c.hierarchy as never)) r.fail(RC.VALUE, 'hierarchy is not a TPMI_RH_HIERARCHY');
        return c;
      }),
    run: async (t, _h, c) => {
      if (c.blob.length < 2 || ((c.blob[0]! << 8) | c.blob[1]!) !== 32) fail(rcP(RC.SIZE, 1), 'integrity is not the size of the context integrity digest');
      if (c.blob.length < 34 + 1) fail(rcP(RC.SIZE, 1));
      const sh = c.savedHandle;
      const isObject = sh >>> 24 === HT.TRANSIENT;
      const plain = openContext(t.proof(c.hierarchy), t.perm.totalResetCount, sh === 0x80000002 ? t.reset.clearCount : undefined, c.sequence, sh, c.blob);
      if (!plain) fail(rcP(RC.INTEGRITY, 1), 'the context integrity HMAC does not verify');
      if (isObject) {
        if (!t.hierarchyEnabled(c.hierarchy)) fail(rcP(RC.HIERARCHY, 1));
        const handle = t.allocObjectHandle();
        t.objects.set(handle, sh === 0x80000001 ? sequenceFromImage(plain) : objectFromImage(plain));
        return { handle, params: EMPTY };
      }
      await t.clearOrderly();
      if (t.reset.savedSessions.get(sh) !== c.sequence) fail(rcP(RC.HANDLE, 1), 'not the latest saved context of this session');
      if (t.sessions.size >= t.config.maxLoadedSessions) fail(RC.SESSION_MEMORY);
      const s = sessionFromImage(plain);
      t.reset.savedSessions.delete(sh);
      t.sessions.set(sh, s);
      return { handle: sh, params: EMPTY };
    },
  }),
  define({
    cc: CC.FlushContext,
    handles: [],
    noSessions: true,
    flushed: true,
    parse: (p) =>
      p.next((r) => {
        const h = r.u32('flushHandle');
        const ht = h >>> 24;
        if (ht !== HT.TRANSIENT && ht !== HT.HMAC_SESSION && ht !== HT.POLICY_SESSION) r.fail(RC.VALUE, 'flushHandle is not a TPMI_DH_CONTEXT');
        return h;
      }),
    run: (t, _h, h) => {
      if (h >>> 24 === HT.TRANSIENT) {
        if (!t.objects.delete(h)) fail(rcP(RC.HANDLE, 1), 'no object is loaded at that handle');
      } else if (!t.sessions.delete(h)) {
        // a saved session is flushed by its index, whichever of its two handle forms is given
        const saved = [...t.reset.savedSessions.keys()].find((k) => (k & 0xffffff) === (h & 0xffffff));
        if (saved === undefined) fail(rcP(RC.HANDLE, 1), 'no such session');
        t.reset.savedSessions.delete(saved);
      }
      return { params: EMPTY };
    },
  }),
];

function eq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function isExempt(t: Tpm, h: number): boolean {
  if (h === RH.LOCKOUT) return false;
  if (h >>> 24 === HT.NV_INDEX) return ((t.nv.get(h)?.pub.attributes ?? 0) & 0x2000000) !== 0;
  const o = t.keyObject(h);
  return ((o?.pub.objectAttributes ?? 0) & TPMA_OBJECT.noDA) !== 0;
}
