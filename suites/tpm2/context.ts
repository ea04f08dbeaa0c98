// Part 3, 28 Context Management: ContextSave / ContextLoad of objects,
// sequences and sessions, FlushContext, and EvictControl (persistent
// objects). tpm2-tools keeps every object and session between tool runs as
// a saved context, so these are on every tool's path.
import { ALG, HT, RH, SE } from '../../protocol/tpm2/constants.js';
import { RC, rcH, rcP } from '../../protocol/tpm2/rc.js';
import { eccSigning, eccStorage } from '../../protocol/tpm2/templates.js';
import { withSession } from '../../clients/tpm2.js';
import { NV_RW, P3, tpmCheck, utf8, type Tx } from './common.js';
import { oracle } from './hash.js';

const SAVE = '28.2 TPM2_ContextSave';
const LOAD = '28.3 TPM2_ContextLoad';
const FLUSH = '28.4 TPM2_FlushContext';
const EVICT = '28.5 TPM2_EvictControl';

async function saveObject(x: Tx) {
  const p = await x.primary('ecc');
  const s = await x.c.contextSave(p.handle);
  x.rc(s.rc, RC.SUCCESS, 'TPM2_ContextSave of a primary');
  return { p, ctx: s.context! };
}

async function loadFlushLater(x: Tx, ctx: Parameters<Tx['c']['contextLoad']>[0]) {
  const l = await x.c.contextLoad(ctx);
  if (l.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(l.handle!));
  return l;
}

/** Persists an object at a fresh persistent handle; evicted after the check. */
async function persist(x: Tx, h: number): Promise<number> {
  const ph = x.persistentHandle();
  const r = await x.c.evictControl(RH.OWNER, h, ph, x.ownerAuth());
  x.rc(r.rc, RC.SUCCESS, `TPM2_EvictControl(0x${h.toString(16)} -> 0x${ph.toString(16)})`);
  x.defer(async () => {
    if ((await x.c.handles(HT.PERSISTENT)).includes(ph)) await x.c.evictControl(RH.OWNER, ph, ph, x.ownerAuth());
  });
  return ph;
}

export default [
  tpmCheck({
    id: 'tpm2.context.object-roundtrip',
    title: 'an object context saved and loaded again is the same object',
    spec: P3,
    clause: LOAD,
    level: 'MUST',
    requirement: 'TPM2_ContextSave of a transient object returns a TPMS_CONTEXT (savedHandle 0x80000000 for an ordinary object, the object\'s hierarchy); after TPM2_FlushContext, TPM2_ContextLoad returns a transient handle whose TPM2_ReadPublic name is the original\'s.',
    run: async (x) => {
      const { p, ctx } = await saveObject(x);
      x.t.expectEqual(ctx.savedHandle, 0x80000000, 'savedHandle', (v) => `0x${v.toString(16)}`);
      x.t.expectEqual(ctx.hierarchy, RH.OWNER, 'hierarchy', (v) => `0x${v.toString(16)}`);
      const l = await loadFlushLater(x, ctx);
      x.rc(l.rc, RC.SUCCESS, 'TPM2_ContextLoad');
      x.t.expectEqual(l.handle! >>> 24, 0x80, 'loaded handle type', (v) => `0x${v.toString(16)}`);
      x.bytes((await x.c.readPublic(l.handle!)).name, p.name, 'name of the reloaded object');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.object-reload-twice',
    title: 'an object context can be loaded more than once',
    spec: P3,
    clause: LOAD,
    level: 'MUST',
    requirement: 'Unlike a session context, an object context stays valid after TPM2_ContextLoad: loading it twice gives two different handles for the same object.',
    run: async (x) => {
      const { p, ctx } = await saveObject(x);
      x.ok(await x.c.flushContext(p.handle), 'TPM2_FlushContext of the original');
      const a = await loadFlushLater(x, ctx);
      const b = await loadFlushLater(x, ctx);
      x.rc(a.rc, RC.SUCCESS, 'first TPM2_ContextLoad');
      x.rc(b.rc, RC.SUCCESS, 'second TPM2_ContextLoad');
      x.t.assert(a.handle !== b.handle, 'both loads returned the same handle');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.tampered',
    title: 'a context blob with a changed byte answers TPM_RC_INTEGRITY for parameter 1',
    spec: P3,
    clause: LOAD,
    level: 'MUST',
    requirement: 'The context blob is integrity protected with the hierarchy proof: one byte changed in the encrypted part fails with TPM_RC_INTEGRITY + TPM_RC_P + TPM_RC_1 (0x1DF).',
    run: async (x) => {
      const { ctx } = await saveObject(x);
      const blob = ctx.blob.slice();
      blob[blob.length - 1]! ^= 0x80;
      x.rc((await loadFlushLater(x, { ...ctx, blob })).rc, rcP(RC.INTEGRITY, 1), 'TPM2_ContextLoad of an altered blob');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.wrong-sequence',
    title: 'a context with another sequence number answers TPM_RC_INTEGRITY for parameter 1',
    spec: P3,
    clause: LOAD,
    level: 'MUST',
    requirement: 'The sequence number is covered by the context integrity: TPMS_CONTEXT.sequence + 1 fails with TPM_RC_INTEGRITY + TPM_RC_P + TPM_RC_1 (0x1DF).',
    run: async (x) => {
      const { ctx } = await saveObject(x);
      x.rc((await loadFlushLater(x, { ...ctx, sequence: ctx.sequence + 1n })).rc, rcP(RC.INTEGRITY, 1), 'TPM2_ContextLoad with sequence + 1');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.wrong-hierarchy',
    title: 'a context presented for another hierarchy answers TPM_RC_INTEGRITY for parameter 1',
    spec: P3,
    clause: LOAD,
    level: 'MUST',
    requirement: 'The hierarchy field selects the proof used for the integrity check: an owner object context presented as TPM_RH_ENDORSEMENT fails with TPM_RC_INTEGRITY + TPM_RC_P + TPM_RC_1 (0x1DF).',
    run: async (x) => {
      const { ctx } = await saveObject(x);
      x.rc((await loadFlushLater(x, { ...ctx, hierarchy: RH.ENDORSEMENT })).rc, rcP(RC.INTEGRITY, 1), 'TPM2_ContextLoad with hierarchy TPM_RH_ENDORSEMENT');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.session-roundtrip',
    title: 'a saved session is listed as saved, reloads at the same handle and keeps working',
    spec: P3,
    clause: SAVE,
    level: 'MUST',
    requirement: 'TPM2_ContextSave of a session moves it from the loaded to the saved list (TPM_CAP_HANDLES 0x02 / 0x03); TPM2_ContextLoad restores it at its original handle with its nonces, so it goes on authorizing.',
    run: async (x) => {
      const ix = await x.nv(NV_RW, 8, { authValue: utf8('cx') });
      const s = await x.session(SE.HMAC);
      x.ok(await x.c.nvWrite(ix.nvIndex, ix.nvIndex, utf8('a'), 0, withSession(s, utf8('cx'))), 'TPM2_NV_Write with the session');
      const sv = await x.c.contextSave(s.handle);
      x.rc(sv.rc, RC.SUCCESS, 'TPM2_ContextSave of the session');
      x.t.assert(!(await x.c.handles(0x02)).includes(s.handle), 'the saved session is still listed as loaded');
      x.t.assert((await x.c.handles(0x03)).some((h) => (h & 0xffffff) === (s.handle & 0xffffff)), 'the saved session is not listed under TPM_HT_SAVED_SESSION');
      const l = await x.c.contextLoad(sv.context!);
      x.rc(l.rc, RC.SUCCESS, 'TPM2_ContextLoad of the session');
      x.t.expectEqual(l.handle, s.handle, 'handle of the reloaded session', (v) => `0x${(v ?? 0).toString(16)}`);
      const w = await x.c.nvWrite(ix.nvIndex, ix.nvIndex, utf8('b'), 0, withSession(s, utf8('cx')));
      x.rc(w.rc, RC.SUCCESS, 'TPM2_NV_Write with the reloaded session');
      x.t.expectEqual(w.responseAuthOk[0], true, 'response HMAC of the reloaded session verifies');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.session-replay',
    title: 'a session context loads only once',
    spec: P3,
    clause: LOAD,
    level: 'MUST',
    requirement: 'A session context is single-use (replay protection): after a saved session was loaded and saved again, loading the first context again fails with TPM_RC_HANDLE + TPM_RC_P + TPM_RC_1 (0x1CB) (or TPM_RC_INTEGRITY for parameter 1).',
    run: async (x) => {
      const s = await x.session(SE.HMAC);
      const first = await x.c.contextSave(s.handle);
      x.ok(first, 'TPM2_ContextSave');
      x.ok(await x.c.contextLoad(first.context!), 'TPM2_ContextLoad');
      const second = await x.c.contextSave(s.handle);
      x.ok(second, 'TPM2_ContextSave again');
      const l = await x.c.contextLoad(first.context!);
      if (l.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(l.handle!));
      else x.ok(await x.c.contextLoad(second.context!), 'TPM2_ContextLoad of the latest context');
      x.rc(l.rc, [rcP(RC.HANDLE, 1), rcP(RC.INTEGRITY, 1)], 'TPM2_ContextLoad of the stale session context');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.flush-saved-session',
    title: 'TPM2_FlushContext of a saved session ends it',
    spec: P3,
    clause: FLUSH,
    level: 'MUST',
    requirement: 'A saved session can be flushed by its handle: afterwards TPM_CAP_HANDLES does not list it and its context no longer loads (TPM_RC_HANDLE + TPM_RC_P + TPM_RC_1, 0x1CB, or TPM_RC_INTEGRITY).',
    run: async (x) => {
      const r = await x.c.startAuthSession({ type: SE.HMAC });
      x.ok(r, 'TPM2_StartAuthSession');
      const sv = await x.c.contextSave(r.session!.handle);
      x.ok(sv, 'TPM2_ContextSave');
      x.rc((await x.c.flushContext(r.session!.handle)).rc, RC.SUCCESS, 'TPM2_FlushContext of the saved session');
      x.t.assert(!(await x.c.handles(0x03)).some((h) => (h & 0xffffff) === (r.session!.handle & 0xffffff)), 'the flushed session is still listed as saved');
      const l = await x.c.contextLoad(sv.context!);
      if (l.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(l.handle!));
      x.rc(l.rc, [rcP(RC.HANDLE, 1), rcP(RC.INTEGRITY, 1)], 'TPM2_ContextLoad after the flush');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.sequence-roundtrip',
    title: 'a hash sequence saved half-way continues after TPM2_ContextLoad',
    spec: P3,
    clause: SAVE,
    level: 'MUST',
    requirement: 'A hash sequence object can be context-saved (savedHandle 0x80000001) and, once reloaded, completes with the digest of all its data.',
    run: async (x) => {
      const seq = await x.c.hashSequenceStart(new Uint8Array(0), ALG.SHA256);
      x.ok(seq, 'TPM2_HashSequenceStart');
      x.ok(await x.c.sequenceUpdate(seq.handle!, utf8('before save, ')), 'TPM2_SequenceUpdate');
      const sv = await x.c.contextSave(seq.handle!);
      x.ok(await x.c.flushContext(seq.handle!), 'TPM2_FlushContext of the sequence');
      x.rc(sv.rc, RC.SUCCESS, 'TPM2_ContextSave of the sequence');
      x.t.expectEqual(sv.context!.savedHandle, 0x80000001, 'savedHandle of a sequence', (v) => `0x${v.toString(16)}`);
      const l = await x.c.contextLoad(sv.context!);
      x.rc(l.rc, RC.SUCCESS, 'TPM2_ContextLoad of the sequence');
      const done = await x.c.sequenceComplete(l.handle!, utf8('after load'), RH.NULL);
      if (done.rc !== RC.SUCCESS) x.defer(() => x.c.flushContext(l.handle!));
      x.rc(done.rc, RC.SUCCESS, 'TPM2_SequenceComplete');
      x.bytes(done.digest, oracle(ALG.SHA256, utf8('before save, after load')), 'digest of the resumed sequence');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.save-persistent-refused',
    title: 'TPM2_ContextSave of a persistent handle answers TPM_RC_VALUE for handle 1',
    spec: P3,
    clause: SAVE,
    level: 'MUST',
    requirement: 'saveHandle is a TPMI_DH_CONTEXT (a transient object or a session); a persistent handle fails with TPM_RC_VALUE + TPM_RC_H + TPM_RC_1 (0x184).',
    run: async (x) => {
      x.rc((await x.c.contextSave(0x81000000)).rc, rcH(RC.VALUE, 1), 'TPM2_ContextSave(0x81000000)');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.flush-persistent-refused',
    title: 'TPM2_FlushContext of a persistent handle answers TPM_RC_VALUE for parameter 1',
    spec: P3,
    clause: FLUSH,
    level: 'MUST',
    requirement: 'flushHandle is a TPMI_DH_CONTEXT parameter; a persistent handle fails with TPM_RC_VALUE + TPM_RC_P + TPM_RC_1 (0x1C4).',
    run: async (x) => {
      x.rc((await x.c.flushContext(0x81000000)).rc, rcP(RC.VALUE, 1), 'TPM2_FlushContext(0x81000000)');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.flush-unloaded-object',
    title: 'TPM2_FlushContext of an object that is not loaded answers TPM_RC_HANDLE for parameter 1',
    spec: P3,
    clause: FLUSH,
    level: 'MUST',
    requirement: 'Flushing a transient handle no object occupies (a handle just flushed) fails with TPM_RC_HANDLE + TPM_RC_P + TPM_RC_1 (0x1CB).',
    run: async (x) => {
      const r = await x.c.createPrimary(RH.OWNER, eccStorage(), { auth: x.ownerAuth() });
      x.ok(r, 'TPM2_CreatePrimary');
      x.ok(await x.c.flushContext(r.handle!), 'TPM2_FlushContext');
      x.rc((await x.c.flushContext(r.handle!)).rc, rcP(RC.HANDLE, 1), 'second TPM2_FlushContext of the same handle');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.evict-persist',
    title: 'TPM2_EvictControl makes an object persistent and removes it again',
    spec: P3,
    clause: EVICT,
    level: 'MUST',
    requirement: 'EvictControl(TPM_RH_OWNER, object, persistentHandle) copies the object to NV: the handle is listed under TPM_HT_PERSISTENT and ReadPublic of it gives the object\'s name; EvictControl with the persistent handle removes it.',
    run: async (x) => {
      const p = await x.primary('ecc');
      const ph = await persist(x, p.handle);
      x.t.assert((await x.c.handles(HT.PERSISTENT)).includes(ph), `0x${ph.toString(16)} is not listed under TPM_HT_PERSISTENT`);
      x.bytes((await x.c.readPublic(ph)).name, p.name, 'name of the persistent object');
      x.rc((await x.c.evictControl(RH.OWNER, ph, ph, x.ownerAuth())).rc, RC.SUCCESS, 'TPM2_EvictControl removing it');
      x.t.assert(!(await x.c.handles(HT.PERSISTENT)).includes(ph), `0x${ph.toString(16)} is still listed after removal`);
    },
  }),
  tpmCheck({
    id: 'tpm2.context.persistent-usable',
    title: 'a persistent key is usable through its persistent handle',
    spec: P3,
    clause: EVICT,
    level: 'MUST',
    requirement: 'A persistent signing key signs through its persistent handle as its transient copy did (signature verified by TPM2_VerifySignature through the persistent handle too).',
    run: async (x) => {
      const p = await x.primary('ecc');
      const k = await x.child(p.handle, eccSigning());
      const ph = await persist(x, k.handle);
      const d = oracle(ALG.SHA256, utf8('persistent'));
      const s = await x.c.sign(ph, d, { scheme: ALG.NULL }, undefined);
      x.rc(s.rc, RC.SUCCESS, 'TPM2_Sign with the persistent handle');
      x.rc((await x.c.verifySignature(ph, d, s.signature!)).rc, RC.SUCCESS, 'TPM2_VerifySignature with the persistent handle');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.persistent-survives-reset',
    title: 'a persistent object survives a TPM Reset',
    spec: P3,
    clause: EVICT,
    level: 'MUST',
    requirement: 'Persistent objects live in NV: after TPM2_Shutdown(CLEAR), _TPM_Init and TPM2_Startup(CLEAR) the persistent handle is still listed and has the same name.',
    capabilities: ['tpm2.power-cycle'],
    run: async (x) => {
      const p = await x.primary('ecc');
      const ph = await persist(x, p.handle);
      x.ok(await x.c.shutdown(0), 'TPM2_Shutdown(CLEAR)');
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      x.bytes((await x.c.readPublic(ph)).name, p.name, 'name of the persistent object after TPM Reset');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.evict-range',
    title: 'an owner EvictControl into the platform range answers TPM_RC_RANGE for parameter 1',
    spec: P3,
    clause: EVICT,
    level: 'MUST',
    requirement: 'With auth TPM_RH_OWNER, persistentHandle must be in the owner range (0x81000000-0x817FFFFF); 0x81800000 fails with TPM_RC_RANGE + TPM_RC_P + TPM_RC_1 (0x1CD).',
    run: async (x) => {
      const p = await x.primary('ecc');
      const r = await x.c.evictControl(RH.OWNER, p.handle, 0x81800000, x.ownerAuth());
      if (r.rc === RC.SUCCESS) x.defer(() => x.c.evictControl(RH.OWNER, 0x81800000, 0x81800000, x.ownerAuth()));
      x.rc(r.rc, rcP(RC.RANGE, 1), 'TPM2_EvictControl(owner, -> 0x81800000)');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.evict-occupied',
    title: 'EvictControl to a persistent handle in use answers TPM_RC_NV_DEFINED',
    spec: P3,
    clause: EVICT,
    level: 'MUST',
    requirement: 'If persistentHandle already holds an object, EvictControl of another object to it fails with TPM_RC_NV_DEFINED (0x14C).',
    run: async (x) => {
      const a = await x.primary('ecc');
      const ph = await persist(x, a.handle);
      const alt = eccStorage();
      alt.point = { x: utf8('second'), y: new Uint8Array(0) };
      const b = await x.primary('ecc', RH.OWNER, alt);
      x.rc((await x.c.evictControl(RH.OWNER, b.handle, ph, x.ownerAuth())).rc, RC.NV_DEFINED, 'TPM2_EvictControl to an occupied persistent handle');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.evict-null-hierarchy',
    title: 'EvictControl of a null-hierarchy object answers TPM_RC_ATTRIBUTES for handle 2',
    spec: P3,
    clause: EVICT,
    level: 'MUST',
    requirement: 'Objects of the null hierarchy are temporary and cannot be made persistent: TPM_RC_ATTRIBUTES + TPM_RC_H + TPM_RC_2 (0x282).',
    run: async (x) => {
      const n = await x.primary('ecc', RH.NULL);
      const ph = x.persistentHandle();
      const r = await x.c.evictControl(RH.OWNER, n.handle, ph, x.ownerAuth());
      if (r.rc === RC.SUCCESS) x.defer(() => x.c.evictControl(RH.OWNER, ph, ph, x.ownerAuth()));
      x.rc(r.rc, rcH(RC.ATTRIBUTES, 2), 'TPM2_EvictControl of a TPM_RH_NULL primary');
    },
  }),
  tpmCheck({
    id: 'tpm2.context.evict-mismatched-handle',
    title: 'removing a persistent object with another persistentHandle answers TPM_RC_HANDLE for handle 2',
    spec: P3,
    clause: EVICT,
    level: 'MUST',
    requirement: 'When objectHandle is a persistent object, persistentHandle must be that handle; another value fails with TPM_RC_HANDLE + TPM_RC_H + TPM_RC_2 (0x28B) and the object stays.',
    run: async (x) => {
      const p = await x.primary('ecc');
      const ph = await persist(x, p.handle);
      x.rc((await x.c.evictControl(RH.OWNER, ph, ph + 1, x.ownerAuth())).rc, rcH(RC.HANDLE, 2), 'TPM2_EvictControl(persistent, other persistentHandle)');
      x.t.assert((await x.c.handles(HT.PERSISTENT)).includes(ph), 'the persistent object disappeared');
    },
  }),
];
