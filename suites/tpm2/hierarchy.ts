// Part 3, 24 Hierarchy Commands: TPM2_HierarchyChangeAuth (trailing zeros,
// the response HMAC keyed with the new value as ESAPI expects), TPM2_Clear
// (what it removes and what it keeps), TPM2_ClearControl and
// TPM2_HierarchyControl. Almost all of these change the authorization or
// state of a hierarchy: they are destructive and restore what they changed.
import { pw, type Auth } from '../../clients/tpm2.js';
import { ALG, PT, RH, SE, SU, TPMA_NV, TPMA_PERMANENT, TPMA_SESSION, TPMA_STARTUP_CLEAR, handleName } from '../../protocol/tpm2/constants.js';
import { RC, rcH, rcName, rcP, rcS } from '../../protocol/tpm2/rc.js';
import { eccStorage } from '../../protocol/tpm2/templates.js';
import { NV_RW, P1, P3, bytesEqual, concat, rawCmd, tpmCheck, u16, u32, utf8, type Tx } from './common.js';

const CHANGE_AUTH = '24.8 TPM2_HierarchyChangeAuth';
const CONTROL = '24.2 TPM2_HierarchyControl';
const CLEAR = '24.6 TPM2_Clear';
const CLEAR_CONTROL = '24.7 TPM2_ClearControl';
const EMPTY = new Uint8Array(0);

/** CreatePrimary(ECC storage) in `hierarchy`, flushed at once; returns the response code and the public key point. */
export async function primaryRc(x: Tx, hierarchy: number, auth: Auth): Promise<{ rc: number; unique?: Uint8Array }> {
  const r = await x.c.createPrimary(hierarchy, eccStorage(), { auth });
  if (r.rc !== RC.SUCCESS) return { rc: r.rc };
  await x.c.flushContext(r.handle!);
  return { rc: r.rc, unique: concat(r.public!.point!.x, r.public!.point!.y) };
}

/** Changes the authValue of `h` and registers restoring the profile's value. */
async function changeAuth(x: Tx, h: number, value: Uint8Array, auth: Auth = pw(x.authValueOf(h))): Promise<number> {
  const r = await x.c.hierarchyChangeAuth(h, value, auth);
  if (r.rc === RC.SUCCESS) x.defer(() => x.c.hierarchyChangeAuth(h, x.authValueOf(h), pw(value)));
  return r.rc;
}

/** Re-enables a hierarchy with platform authorization after the check. */
function reenable(x: Tx, h: number): void {
  x.defer(() => x.c.hierarchyControl(RH.PLATFORM, h, true, pw()));
}

export default [
  tpmCheck({
    id: 'tpm2.hierarchy.change-auth-owner',
    title: 'TPM2_HierarchyChangeAuth(TPM_RH_OWNER) replaces ownerAuth',
    spec: P3,
    clause: CHANGE_AUTH,
    level: 'MUST',
    requirement: 'After TPM2_HierarchyChangeAuth(TPM_RH_OWNER, newAuth) the owner hierarchy is authorized by newAuth only: the old value fails with TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 (0x9A2; hierarchies are exempt from DA) and TPMA_PERMANENT.ownerAuthSet is SET.',
    destructive: true,
    run: async (x) => {
      const old = x.ownerAuthValue();
      const next = utf8('fwsec-owner');
      x.rc(await changeAuth(x, RH.OWNER, next), RC.SUCCESS, 'TPM2_HierarchyChangeAuth(TPM_RH_OWNER)');
      x.t.expectEqual((await x.propNow(PT.PERMANENT)) & TPMA_PERMANENT.ownerAuthSet, TPMA_PERMANENT.ownerAuthSet, 'TPMA_PERMANENT.ownerAuthSet');
      x.rc((await primaryRc(x, RH.OWNER, pw(old))).rc, rcS(RC.BAD_AUTH, 1), 'TPM2_CreatePrimary(TPM_RH_OWNER) with the old ownerAuth');
      x.rc((await primaryRc(x, RH.OWNER, pw(next))).rc, RC.SUCCESS, 'TPM2_CreatePrimary(TPM_RH_OWNER) with the new ownerAuth');
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.change-auth-trailing-zeros',
    title: 'trailing zero octets of a hierarchy authValue are not significant',
    spec: P1,
    clause: '19 Authorizations and Acknowledgments',
    level: 'MUST',
    requirement: 'The TPM removes trailing zeros from an authValue when it is set and from a password when it is checked: after setting ownerAuth to "pw\\0\\0", both "pw" and "pw\\0" authorize the owner hierarchy (tpm2-tss strips them the same way).',
    destructive: true,
    run: async (x) => {
      const set = concat(utf8('pw'), new Uint8Array(2));
      const r = await x.c.hierarchyChangeAuth(RH.OWNER, set, x.ownerAuth());
      x.rc(r.rc, RC.SUCCESS, 'TPM2_HierarchyChangeAuth(TPM_RH_OWNER, "pw\\0\\0")');
      if (r.rc === RC.SUCCESS) x.defer(() => x.c.hierarchyChangeAuth(RH.OWNER, x.ownerAuthValue(), pw('pw')));
      x.rc((await primaryRc(x, RH.OWNER, pw('pw'))).rc, RC.SUCCESS, 'TPM2_CreatePrimary with password "pw"');
      x.rc((await primaryRc(x, RH.OWNER, pw(concat(utf8('pw'), new Uint8Array(1))))).rc, RC.SUCCESS, 'TPM2_CreatePrimary with password "pw\\0"');
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.change-auth-too-large',
    title: 'a newAuth larger than any digest answers TPM_RC_SIZE for parameter 1',
    spec: P3,
    clause: CHANGE_AUTH,
    level: 'MUST',
    requirement: 'newAuth is a TPM2B_AUTH, at most sizeof(TPMU_HA) (64) bytes: a 65-byte newAuth fails to unmarshal with TPM_RC_SIZE + TPM_RC_P + TPM_RC_1 (0x1D5) and ownerAuth is unchanged.',
    run: async (x) => {
      const big = new Uint8Array(65).fill(0x41);
      const rc = await changeAuth(x, RH.OWNER, big);
      x.rc(rc, rcP(RC.SIZE, 1), 'TPM2_HierarchyChangeAuth(TPM_RH_OWNER, 65 bytes)');
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.change-auth-bad-handle',
    title: 'TPM2_HierarchyChangeAuth(TPM_RH_NULL) answers TPM_RC_VALUE for handle 1',
    spec: P3,
    clause: CHANGE_AUTH,
    level: 'MUST',
    requirement: 'authHandle is a TPMI_RH_HIERARCHY_AUTH (LOCKOUT, ENDORSEMENT, OWNER, PLATFORM): TPM_RH_NULL fails to unmarshal with TPM_RC_VALUE + TPM_RC_H + TPM_RC_1 (0x184).',
    run: async (x) => {
      x.rc(await changeAuth(x, RH.NULL, utf8('x'), pw()), rcH(RC.VALUE, 1), 'TPM2_HierarchyChangeAuth(TPM_RH_NULL)');
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.change-auth-hmac-response',
    title: 'the response HMAC of TPM2_HierarchyChangeAuth is keyed with the new authValue',
    spec: P1,
    clause: '19 Authorizations and Acknowledgments',
    level: 'MUST',
    requirement: 'The response HMAC is computed with the authValue of the entity as it is after the command: for TPM2_HierarchyChangeAuth in an HMAC session, the acknowledgment verifies with newAuth (tpm2-tss Esys_HierarchyChangeAuth_Finish relies on this).',
    destructive: true,
    run: async (x) => {
      const s = await x.session(SE.HMAC);
      const next = utf8('fwsec-owner-hmac');
      const r = await x.c.hierarchyChangeAuth(RH.OWNER, next, x.hmac(s, x.ownerAuthValue(), TPMA_SESSION.continueSession));
      x.rc(r.rc, RC.SUCCESS, 'TPM2_HierarchyChangeAuth(TPM_RH_OWNER) in an HMAC session');
      if (r.rc === RC.SUCCESS) x.defer(() => x.c.hierarchyChangeAuth(RH.OWNER, x.ownerAuthValue(), pw(next)));
      x.t.expectEqual(r.responseAuthOk[0], true, 'response HMAC verified with newAuth', (v) => String(v));
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.owner-auth-survives-reset',
    title: 'ownerAuth survives TPM Reset',
    spec: P3,
    clause: CHANGE_AUTH,
    level: 'MUST',
    requirement: 'ownerAuth is persistent: after TPM2_HierarchyChangeAuth(TPM_RH_OWNER), TPM2_Shutdown(CLEAR), _TPM_Init and TPM2_Startup(CLEAR), the new value still authorizes the owner hierarchy and the old one fails with TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 (0x9A2).',
    destructive: true,
    capabilities: ['tpm2.power-cycle'],
    run: async (x) => {
      const next = utf8('fwsec-persist');
      x.rc(await changeAuth(x, RH.OWNER, next), RC.SUCCESS, 'TPM2_HierarchyChangeAuth(TPM_RH_OWNER)');
      x.ok(await x.c.shutdown(SU.CLEAR), 'TPM2_Shutdown(CLEAR)');
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      x.rc((await primaryRc(x, RH.OWNER, pw(next))).rc, RC.SUCCESS, 'TPM2_CreatePrimary(TPM_RH_OWNER) with the new ownerAuth after TPM Reset');
      x.rc((await primaryRc(x, RH.OWNER, x.ownerAuth())).rc, rcS(RC.BAD_AUTH, 1), 'TPM2_CreatePrimary(TPM_RH_OWNER) with the old ownerAuth after TPM Reset');
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.platform-auth-reset',
    title: 'platformAuth is emptied by TPM2_Startup(CLEAR)',
    spec: P3,
    clause: CHANGE_AUTH,
    level: 'MUST',
    requirement: 'platformAuth is volatile: it is set to the Empty Buffer by TPM Reset, so after a change, TPM2_Shutdown(CLEAR), _TPM_Init and TPM2_Startup(CLEAR) an empty password authorizes the platform hierarchy again (the old value fails with TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 before the reset).',
    destructive: true,
    capabilities: ['tpm2.power-cycle', 'tpm2.platform-auth'],
    run: async (x) => {
      const next = utf8('fwsec-platform');
      x.rc(await changeAuth(x, RH.PLATFORM, next, x.platformAuth()), RC.SUCCESS, 'TPM2_HierarchyChangeAuth(TPM_RH_PLATFORM)');
      x.rc((await primaryRc(x, RH.PLATFORM, pw())).rc, rcS(RC.BAD_AUTH, 1), 'TPM2_CreatePrimary(TPM_RH_PLATFORM) with an empty password before the reset');
      x.ok(await x.c.shutdown(SU.CLEAR), 'TPM2_Shutdown(CLEAR)');
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      x.rc((await primaryRc(x, RH.PLATFORM, pw())).rc, RC.SUCCESS, 'TPM2_CreatePrimary(TPM_RH_PLATFORM) with an empty password after TPM Reset');
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.clear',
    title: 'TPM2_Clear removes owner objects and indices, changes the storage seed and resets owner authorization',
    spec: P3,
    clause: CLEAR,
    level: 'MUST',
    requirement: 'TPM2_Clear(TPM_RH_LOCKOUT) deletes owner NV indices (without PLATFORMCREATE) and owner persistent objects, replaces the Storage Primary Seed (the same template yields a different primary), keeps the Endorsement Primary Seed, and sets ownerAuth, endorsementAuth and lockoutAuth to the Empty Buffer.',
    destructive: true,
    run: async (x) => {
      const nvIndex = x.nvHandle();
      x.ok(await x.c.nvDefineSpace(RH.OWNER, EMPTY, { nvIndex, nameAlg: ALG.SHA256, attributes: NV_RW, authPolicy: EMPTY, dataSize: 8 }, x.ownerAuth()), 'TPM2_NV_DefineSpace of an owner index');
      x.defer(() => x.c.nvUndefineSpace(RH.OWNER, nvIndex, x.ownerAuth()));
      const p = await x.primary('ecc');
      const persistent = x.persistentHandle();
      x.ok(await x.c.evictControl(RH.OWNER, p.handle, persistent, x.ownerAuth()), 'TPM2_EvictControl of an owner primary');
      x.defer(() => x.c.evictControl(RH.OWNER, persistent, persistent, x.ownerAuth()));
      const owner1 = await primaryRc(x, RH.OWNER, x.ownerAuth());
      const endo1 = await primaryRc(x, RH.ENDORSEMENT, x.endorsementAuth());
      x.ok(owner1, 'TPM2_CreatePrimary(TPM_RH_OWNER) before TPM2_Clear');
      x.ok(endo1, 'TPM2_CreatePrimary(TPM_RH_ENDORSEMENT) before TPM2_Clear');
      // owner authorization is reset by Clear: restore the profile's values afterwards
      x.defer(async () => {
        for (const h of [RH.OWNER, RH.ENDORSEMENT, RH.LOCKOUT]) if (x.authValueOf(h).length) await x.c.hierarchyChangeAuth(h, x.authValueOf(h), pw());
      });
      x.rc((await x.c.clear(RH.LOCKOUT, x.lockoutAuth())).rc, RC.SUCCESS, 'TPM2_Clear(TPM_RH_LOCKOUT)');
      x.rc((await x.c.nvReadPublic(nvIndex)).rc, rcH(RC.HANDLE, 1), 'TPM2_NV_ReadPublic of the owner index after TPM2_Clear');
      x.rc((await x.c.readPublic(persistent)).rc, rcH(RC.HANDLE, 1), 'TPM2_ReadPublic of the owner persistent object after TPM2_Clear');
      const owner2 = await primaryRc(x, RH.OWNER, pw());
      x.rc(owner2.rc, RC.SUCCESS, 'TPM2_CreatePrimary(TPM_RH_OWNER) with an empty ownerAuth after TPM2_Clear');
      x.t.assert(owner2.unique !== undefined && !bytesEqual(owner2.unique, owner1.unique!), 'the storage primary is the same after TPM2_Clear: the Storage Primary Seed was not replaced');
      const endo2 = await primaryRc(x, RH.ENDORSEMENT, pw());
      x.rc(endo2.rc, RC.SUCCESS, 'TPM2_CreatePrimary(TPM_RH_ENDORSEMENT) with an empty endorsementAuth after TPM2_Clear');
      x.bytes(endo2.unique, endo1.unique!, 'endorsement primary public key (the EPS is kept)');
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.clear-keeps-platform-nv',
    title: 'TPM2_Clear keeps NV indices created by the platform',
    spec: P3,
    clause: CLEAR,
    level: 'MUST',
    requirement: 'TPM2_Clear deletes only NV indices with TPMA_NV_PLATFORMCREATE CLEAR: an index defined under platform authorization is still defined, with its data, afterwards.',
    destructive: true,
    capabilities: ['tpm2.platform-auth'],
    run: async (x) => {
      const nvIndex = x.nvHandle();
      const attributes = (TPMA_NV.PPWRITE | TPMA_NV.PPREAD | TPMA_NV.AUTHWRITE | TPMA_NV.AUTHREAD | TPMA_NV.NO_DA | TPMA_NV.PLATFORMCREATE) >>> 0;
      x.ok(await x.c.nvDefineSpace(RH.PLATFORM, EMPTY, { nvIndex, nameAlg: ALG.SHA256, attributes, authPolicy: EMPTY, dataSize: 8 }, x.platformAuth()), 'TPM2_NV_DefineSpace of a platform index');
      x.defer(() => x.c.nvUndefineSpace(RH.PLATFORM, nvIndex, pw()));
      x.ok(await x.c.nvWrite(RH.PLATFORM, nvIndex, utf8('platform'), 0, pw()), 'TPM2_NV_Write of the platform index');
      x.defer(async () => {
        for (const h of [RH.OWNER, RH.ENDORSEMENT, RH.LOCKOUT]) if (x.authValueOf(h).length) await x.c.hierarchyChangeAuth(h, x.authValueOf(h), pw());
      });
      x.rc((await x.c.clear(RH.PLATFORM, pw())).rc, RC.SUCCESS, 'TPM2_Clear(TPM_RH_PLATFORM)');
      const r = await x.c.nvRead(RH.PLATFORM, nvIndex, 8, 0, pw());
      x.rc(r.rc, RC.SUCCESS, 'TPM2_NV_Read of the platform index after TPM2_Clear');
      x.bytes(r.data, utf8('platform'), 'platform index data after TPM2_Clear');
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.clear-owner-refused',
    title: 'TPM2_Clear(TPM_RH_OWNER) answers TPM_RC_VALUE for handle 1',
    spec: P3,
    clause: CLEAR,
    level: 'MUST',
    requirement: 'authHandle of TPM2_Clear is a TPMI_RH_CLEAR (TPM_RH_LOCKOUT or TPM_RH_PLATFORM): TPM_RH_OWNER fails to unmarshal with TPM_RC_VALUE + TPM_RC_H + TPM_RC_1 (0x184).',
    destructive: true,
    run: async (x) => {
      x.rc((await x.c.clear(RH.OWNER, x.ownerAuth())).rc, rcH(RC.VALUE, 1), 'TPM2_Clear(TPM_RH_OWNER)');
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.clear-control',
    title: 'TPM2_ClearControl disables TPM2_Clear; only the platform re-enables it',
    spec: P3,
    clause: CLEAR_CONTROL,
    level: 'MUST',
    requirement: 'After TPM2_ClearControl(TPM_RH_LOCKOUT, YES), TPMA_PERMANENT.disableClear is SET and TPM2_Clear fails with TPM_RC_DISABLED (0x120); ClearControl(TPM_RH_LOCKOUT, NO) fails with TPM_RC_AUTH_FAIL (0x08E); ClearControl(TPM_RH_PLATFORM, NO) clears disableClear.',
    destructive: true,
    capabilities: ['tpm2.platform-auth'],
    run: async (x) => {
      x.defer(() => x.c.clearControl(RH.PLATFORM, false, pw()));
      x.rc((await x.c.clearControl(RH.LOCKOUT, true, x.lockoutAuth())).rc, RC.SUCCESS, 'TPM2_ClearControl(TPM_RH_LOCKOUT, YES)');
      x.t.expectEqual((await x.propNow(PT.PERMANENT)) & TPMA_PERMANENT.disableClear, TPMA_PERMANENT.disableClear, 'TPMA_PERMANENT.disableClear after ClearControl(YES)');
      x.rc((await x.c.clear(RH.LOCKOUT, x.lockoutAuth())).rc, RC.DISABLED, 'TPM2_Clear(TPM_RH_LOCKOUT) while disableClear is SET');
      x.rc((await x.c.clearControl(RH.LOCKOUT, false, x.lockoutAuth())).rc, RC.AUTH_FAIL, 'TPM2_ClearControl(TPM_RH_LOCKOUT, NO)');
      x.rc((await x.c.clearControl(RH.PLATFORM, false, x.platformAuth())).rc, RC.SUCCESS, 'TPM2_ClearControl(TPM_RH_PLATFORM, NO)');
      x.t.expectEqual((await x.propNow(PT.PERMANENT)) & TPMA_PERMANENT.disableClear, 0, 'TPMA_PERMANENT.disableClear after ClearControl(TPM_RH_PLATFORM, NO)');
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.control-owner-disable',
    title: 'a disabled owner hierarchy refuses its handle and loses its objects',
    spec: P3,
    clause: CONTROL,
    level: 'MUST',
    requirement: 'TPM2_HierarchyControl(TPM_RH_OWNER, TPM_RH_OWNER, NO) clears shEnable: owner transient objects are flushed (their handle then answers TPM_RC_REFERENCE_H0, 0x910), TPM_RH_OWNER as a handle fails with TPM_RC_HIERARCHY + TPM_RC_H + TPM_RC_1 (0x185), so only the platform (TPM2_HierarchyControl(TPM_RH_PLATFORM, TPM_RH_OWNER, YES)) can enable it again.',
    destructive: true,
    capabilities: ['tpm2.platform-auth'],
    run: async (x) => {
      const p = await x.primary('ecc');
      reenable(x, RH.OWNER);
      x.rc((await x.c.hierarchyControl(RH.OWNER, RH.OWNER, false, x.ownerAuth())).rc, RC.SUCCESS, 'TPM2_HierarchyControl(TPM_RH_OWNER, TPM_RH_OWNER, NO)');
      x.t.expectEqual((await x.propNow(PT.STARTUP_CLEAR)) & TPMA_STARTUP_CLEAR.shEnable, 0, 'TPMA_STARTUP_CLEAR.shEnable');
      x.rc((await x.c.readPublic(p.handle)).rc, RC.REFERENCE_H0, `TPM2_ReadPublic(${handleName(p.handle)}) of the owner primary`);
      x.rc((await primaryRc(x, RH.OWNER, x.ownerAuth())).rc, rcH(RC.HIERARCHY, 1), 'TPM2_CreatePrimary(TPM_RH_OWNER)');
      x.rc((await x.c.hierarchyControl(RH.OWNER, RH.OWNER, true, x.ownerAuth())).rc, rcH(RC.HIERARCHY, 1), 'TPM2_HierarchyControl(TPM_RH_OWNER, TPM_RH_OWNER, YES)');
      x.rc((await x.c.hierarchyControl(RH.PLATFORM, RH.OWNER, true, x.platformAuth())).rc, RC.SUCCESS, 'TPM2_HierarchyControl(TPM_RH_PLATFORM, TPM_RH_OWNER, YES)');
      x.rc((await primaryRc(x, RH.OWNER, x.ownerAuth())).rc, RC.SUCCESS, 'TPM2_CreatePrimary(TPM_RH_OWNER) after re-enabling');
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.control-endorsement-disable',
    title: 'a disabled endorsement hierarchy refuses TPM2_CreatePrimary',
    spec: P3,
    clause: CONTROL,
    level: 'MUST',
    requirement: 'After TPM2_HierarchyControl(TPM_RH_ENDORSEMENT, TPM_RH_ENDORSEMENT, NO), TPMA_STARTUP_CLEAR.ehEnable is CLEAR and TPM2_CreatePrimary(TPM_RH_ENDORSEMENT) fails with TPM_RC_HIERARCHY + TPM_RC_H + TPM_RC_1 (0x185).',
    destructive: true,
    capabilities: ['tpm2.platform-auth'],
    run: async (x) => {
      reenable(x, RH.ENDORSEMENT);
      x.rc((await x.c.hierarchyControl(RH.ENDORSEMENT, RH.ENDORSEMENT, false, x.endorsementAuth())).rc, RC.SUCCESS, 'TPM2_HierarchyControl(TPM_RH_ENDORSEMENT, TPM_RH_ENDORSEMENT, NO)');
      x.t.expectEqual((await x.propNow(PT.STARTUP_CLEAR)) & TPMA_STARTUP_CLEAR.ehEnable, 0, 'TPMA_STARTUP_CLEAR.ehEnable');
      x.rc((await primaryRc(x, RH.ENDORSEMENT, x.endorsementAuth())).rc, rcH(RC.HIERARCHY, 1), 'TPM2_CreatePrimary(TPM_RH_ENDORSEMENT)');
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.control-restored-by-reset',
    title: 'TPM Reset enables a disabled owner hierarchy again',
    spec: P3,
    clause: CONTROL,
    level: 'MUST',
    requirement: 'shEnable is SET by TPM2_Startup(CLEAR): after TPM2_HierarchyControl(TPM_RH_OWNER, TPM_RH_OWNER, NO), TPM2_Shutdown(CLEAR), _TPM_Init and TPM2_Startup(CLEAR), the owner hierarchy is usable again.',
    destructive: true,
    capabilities: ['tpm2.power-cycle'],
    run: async (x) => {
      x.rc((await x.c.hierarchyControl(RH.OWNER, RH.OWNER, false, x.ownerAuth())).rc, RC.SUCCESS, 'TPM2_HierarchyControl(TPM_RH_OWNER, TPM_RH_OWNER, NO)');
      x.ok(await x.c.shutdown(SU.CLEAR), 'TPM2_Shutdown(CLEAR)');
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      x.t.expectEqual((await x.propNow(PT.STARTUP_CLEAR)) & TPMA_STARTUP_CLEAR.shEnable, TPMA_STARTUP_CLEAR.shEnable, 'TPMA_STARTUP_CLEAR.shEnable after TPM Reset');
      x.rc((await primaryRc(x, RH.OWNER, x.ownerAuth())).rc, RC.SUCCESS, 'TPM2_CreatePrimary(TPM_RH_OWNER) after TPM Reset');
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.control-auth-type',
    title: 'a hierarchy can be disabled only by itself or the platform',
    spec: P3,
    clause: CONTROL,
    level: 'MUST',
    requirement: 'TPM2_HierarchyControl fails with TPM_RC_AUTH_TYPE (0x124) when authHandle is not applicable to enable: TPM_RH_ENDORSEMENT disabling the owner hierarchy, and TPM_RH_OWNER disabling the platform hierarchy.',
    destructive: true,
    run: async (x) => {
      const a = await x.c.hierarchyControl(RH.ENDORSEMENT, RH.OWNER, false, x.endorsementAuth());
      if (a.rc === RC.SUCCESS) reenable(x, RH.OWNER);
      x.rc(a.rc, RC.AUTH_TYPE, 'TPM2_HierarchyControl(TPM_RH_ENDORSEMENT, TPM_RH_OWNER, NO)');
      const b = await x.c.hierarchyControl(RH.OWNER, RH.PLATFORM, false, x.ownerAuth());
      x.rc(b.rc, RC.AUTH_TYPE, 'TPM2_HierarchyControl(TPM_RH_OWNER, TPM_RH_PLATFORM, NO)');
      if (b.rc === RC.SUCCESS) x.t.note(`the platform hierarchy is now disabled until the next TPM Reset (${rcName(b.rc)})`);
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.control-bad-enable',
    title: 'TPM2_HierarchyControl(enable = TPM_RH_LOCKOUT) answers TPM_RC_VALUE for parameter 1',
    spec: P3,
    clause: CONTROL,
    level: 'MUST',
    requirement: 'enable is a TPMI_RH_ENABLES (OWNER, ENDORSEMENT, PLATFORM, PLATFORM_NV): TPM_RH_LOCKOUT fails to unmarshal with TPM_RC_VALUE + TPM_RC_P + TPM_RC_1 (0x1C4).',
    run: async (x) => {
      x.rc((await x.c.hierarchyControl(RH.OWNER, RH.LOCKOUT, false, x.ownerAuth())).rc, rcP(RC.VALUE, 1), 'TPM2_HierarchyControl(TPM_RH_OWNER, TPM_RH_LOCKOUT, NO)');
    },
  }),
  tpmCheck({
    id: 'tpm2.hierarchy.control-bad-state',
    title: 'a TPMI_YES_NO other than 0 or 1 answers TPM_RC_VALUE for parameter 2',
    spec: P3,
    clause: CONTROL,
    level: 'MUST',
    requirement: 'state is a TPMI_YES_NO: the value 2 fails to unmarshal with TPM_RC_VALUE + TPM_RC_P + TPM_RC_2 (0x2C4).',
    run: async (x) => {
      const auth = x.ownerAuthValue();
      const session = concat(u32(0x40000009), u16(0), new Uint8Array([0]), u16(auth.length), auth);
      const cmd = rawCmd(0x8002, 0x121, concat(u32(RH.OWNER), u32(session.length), session, u32(RH.OWNER), new Uint8Array([2])));
      const r = await x.c.rawRc(cmd, 'TPM2_HierarchyControl(TPM_RH_OWNER, TPM_RH_OWNER, state=2)');
      x.rc(r.rc, rcP(RC.VALUE, 2), 'TPM2_HierarchyControl with state 2');
    },
  }),
];
