// Dictionary-attack protection (Part 1, 19; Part 3, 25 Dictionary Attack
// Functions): failed authorizations of DA-protected entities count, the TPM
// locks out at maxTries, noDA entities and hierarchies are exempt, lockoutAuth
// has its own lockout, non-orderly shutdown counts, self-healing. Every check
// sets its own parameters with TPM2_DictionaryAttackParameters and puts the
// TPM's back (destructive: a target left in lockout is unusable).
import { pw } from '../../clients/tpm2.js';
import { PT, RH, SU, TPMA_OBJECT as A, TPMA_PERMANENT } from '../../protocol/tpm2/constants.js';
import { RC, rcH, rcS } from '../../protocol/tpm2/rc.js';
import { sealed } from '../../protocol/tpm2/templates.js';
import { primaryRc } from './hierarchy.js';
import { P1, P3, concat, rawCmd, tpmCheck, u16, u32, utf8, type Tx } from './common.js';

const DA = '19 Authorizations and Acknowledgments';
const LOCK_RESET = '25.2 TPM2_DictionaryAttackLockReset';
const PARAMETERS = '25.3 TPM2_DictionaryAttackParameters';
const SECRET = utf8('da-secret');
const DATA = utf8('sealed under DA protection');

/** Sets DA parameters for the check and resets the failure count; restores both afterwards. */
async function daParams(x: Tx, maxTries: number, recoveryTime: number, lockoutRecovery: number): Promise<void> {
  const old = [await x.propNow(PT.MAX_AUTH_FAIL), await x.propNow(PT.LOCKOUT_INTERVAL), await x.propNow(PT.LOCKOUT_RECOVERY)] as const;
  x.ok(await x.c.dictionaryAttackParameters(maxTries, recoveryTime, lockoutRecovery, x.lockoutAuth()), `TPM2_DictionaryAttackParameters(${maxTries}, ${recoveryTime}, ${lockoutRecovery})`);
  x.defer(async () => {
    await x.c.dictionaryAttackLockReset(x.lockoutAuth());
    await x.c.dictionaryAttackParameters(old[0], old[1], old[2], x.lockoutAuth());
  });
  x.ok(await x.c.dictionaryAttackLockReset(x.lockoutAuth()), 'TPM2_DictionaryAttackLockReset');
}

/** A sealed data object with userAuth "da-secret"; DA-protected unless `noDA`. */
async function sealedObject(x: Tx, noDA = false): Promise<number> {
  return (await sealedObjects(x, [noDA]))[0]!;
}

/** Several sealed objects under one primary, which is flushed again (the TPM may hold only 3 objects). */
async function sealedObjects(x: Tx, noDA: boolean[]): Promise<number[]> {
  const p = await x.primary('ecc');
  const out: number[] = [];
  for (const n of noDA) {
    const attrs = A.fixedTPM | A.fixedParent | A.userWithAuth | (n ? A.noDA : 0);
    out.push((await x.child(p.handle, sealed(new Uint8Array(0), attrs >>> 0), { userAuth: SECRET, data: DATA })).handle);
  }
  x.ok(await x.c.flushContext(p.handle), 'TPM2_FlushContext of the parent');
  return out;
}

const counter = (x: Tx) => x.propNow(PT.LOCKOUT_COUNTER);
const unsealRc = async (x: Tx, h: number, secret: Uint8Array) => (await x.c.unseal(h, pw(secret))).rc;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export default [
  tpmCheck({
    id: 'tpm2.da.parameters-reported',
    title: 'TPM2_DictionaryAttackParameters values are reported as TPM properties',
    spec: P3,
    clause: PARAMETERS,
    level: 'MUST',
    requirement: 'After TPM2_DictionaryAttackParameters(newMaxTries, newRecoveryTime, lockoutRecovery), TPM_PT_MAX_AUTH_FAIL, TPM_PT_LOCKOUT_INTERVAL and TPM_PT_LOCKOUT_RECOVERY report exactly those values, and TPM2_DictionaryAttackLockReset sets TPM_PT_LOCKOUT_COUNTER to 0.',
    destructive: true,
    run: async (x) => {
      await daParams(x, 7, 600, 900);
      x.t.expectEqual(await x.propNow(PT.MAX_AUTH_FAIL), 7, 'TPM_PT_MAX_AUTH_FAIL');
      x.t.expectEqual(await x.propNow(PT.LOCKOUT_INTERVAL), 600, 'TPM_PT_LOCKOUT_INTERVAL');
      x.t.expectEqual(await x.propNow(PT.LOCKOUT_RECOVERY), 900, 'TPM_PT_LOCKOUT_RECOVERY');
      x.t.expectEqual(await counter(x), 0, 'TPM_PT_LOCKOUT_COUNTER after TPM2_DictionaryAttackLockReset');
    },
  }),
  tpmCheck({
    id: 'tpm2.da.failure-counts',
    title: 'each failed authorization of a DA-protected object counts; success does not reset the count',
    spec: P1,
    clause: DA,
    level: 'MUST',
    requirement: 'A wrong authValue for an object without noDA fails with TPM_RC_AUTH_FAIL + TPM_RC_S + TPM_RC_1 (0x98E) and increments failedTries (TPM_PT_LOCKOUT_COUNTER) by one; a later successful authorization leaves the count unchanged; TPM2_DictionaryAttackLockReset sets it to 0.',
    destructive: true,
    run: async (x) => {
      await daParams(x, 5, 1000, 1000);
      const h = await sealedObject(x);
      x.rc(await unsealRc(x, h, utf8('wrong')), rcS(RC.AUTH_FAIL, 1), 'TPM2_Unseal with a wrong password');
      x.t.expectEqual(await counter(x), 1, 'TPM_PT_LOCKOUT_COUNTER after one failure');
      x.rc(await unsealRc(x, h, utf8('wrong again')), rcS(RC.AUTH_FAIL, 1), 'second TPM2_Unseal with a wrong password');
      x.t.expectEqual(await counter(x), 2, 'TPM_PT_LOCKOUT_COUNTER after two failures');
      x.rc(await unsealRc(x, h, SECRET), RC.SUCCESS, 'TPM2_Unseal with the right password');
      x.t.expectEqual(await counter(x), 2, 'TPM_PT_LOCKOUT_COUNTER after a success');
      x.rc((await x.c.dictionaryAttackLockReset(x.lockoutAuth())).rc, RC.SUCCESS, 'TPM2_DictionaryAttackLockReset');
      x.t.expectEqual(await counter(x), 0, 'TPM_PT_LOCKOUT_COUNTER after TPM2_DictionaryAttackLockReset');
    },
  }),
  tpmCheck({
    id: 'tpm2.da.lockout',
    title: 'at maxTries failures the TPM refuses DA-protected authorization with TPM_RC_LOCKOUT',
    spec: P1,
    clause: DA,
    level: 'MUST',
    requirement: 'When failedTries reaches maxTries the TPM is in lockout: TPMA_PERMANENT.inLockout is SET and authorization of a DA-protected entity fails with TPM_RC_LOCKOUT (0x921) even with the right authValue, until TPM2_DictionaryAttackLockReset.',
    destructive: true,
    run: async (x) => {
      await daParams(x, 2, 1000, 1000);
      const h = await sealedObject(x);
      for (let i = 1; i <= 2; i++) x.rc(await unsealRc(x, h, utf8('wrong')), rcS(RC.AUTH_FAIL, 1), `TPM2_Unseal with a wrong password (failure ${i} of maxTries 2)`);
      x.t.expectEqual((await x.propNow(PT.PERMANENT)) & TPMA_PERMANENT.inLockout, TPMA_PERMANENT.inLockout, 'TPMA_PERMANENT.inLockout');
      x.rc(await unsealRc(x, h, SECRET), RC.LOCKOUT, 'TPM2_Unseal with the right password in lockout');
      x.rc((await x.c.dictionaryAttackLockReset(x.lockoutAuth())).rc, RC.SUCCESS, 'TPM2_DictionaryAttackLockReset');
      x.rc(await unsealRc(x, h, SECRET), RC.SUCCESS, 'TPM2_Unseal with the right password after TPM2_DictionaryAttackLockReset');
    },
  }),
  tpmCheck({
    id: 'tpm2.da.noda-exempt',
    title: 'failures on a noDA object answer TPM_RC_BAD_AUTH and do not count',
    spec: P1,
    clause: DA,
    level: 'MUST',
    requirement: 'An object with TPMA_OBJECT.noDA SET is exempt from DA protection: a wrong authValue fails with TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 (0x9A2) and TPM_PT_LOCKOUT_COUNTER does not change.',
    destructive: true,
    run: async (x) => {
      await daParams(x, 3, 1000, 1000);
      const h = await sealedObject(x, true);
      for (let i = 0; i < 4; i++) x.rc(await unsealRc(x, h, utf8('wrong')), rcS(RC.BAD_AUTH, 1), `TPM2_Unseal of a noDA object with a wrong password (#${i + 1})`);
      x.t.expectEqual(await counter(x), 0, 'TPM_PT_LOCKOUT_COUNTER after four failures on a noDA object');
      x.rc(await unsealRc(x, h, SECRET), RC.SUCCESS, 'TPM2_Unseal of the noDA object with the right password');
    },
  }),
  tpmCheck({
    id: 'tpm2.da.lockout-spares-exempt',
    title: 'in lockout, noDA objects and the owner hierarchy stay usable',
    spec: P1,
    clause: DA,
    level: 'MUST',
    requirement: 'Lockout applies to DA-protected entities only: while TPMA_PERMANENT.inLockout is SET, a noDA object and the owner hierarchy (permanent handles other than TPM_RH_LOCKOUT are exempt) are authorized as usual.',
    destructive: true,
    run: async (x) => {
      await daParams(x, 1, 1000, 1000);
      const [protectedObj, exempt] = (await sealedObjects(x, [false, true])) as [number, number];
      x.rc(await unsealRc(x, protectedObj, utf8('wrong')), rcS(RC.AUTH_FAIL, 1), 'TPM2_Unseal of the DA-protected object with a wrong password (maxTries 1)');
      x.rc(await unsealRc(x, protectedObj, SECRET), RC.LOCKOUT, 'TPM2_Unseal of the DA-protected object in lockout');
      x.rc(await unsealRc(x, exempt, SECRET), RC.SUCCESS, 'TPM2_Unseal of the noDA object in lockout');
      x.rc((await primaryRc(x, RH.OWNER, x.ownerAuth())).rc, RC.SUCCESS, 'TPM2_CreatePrimary(TPM_RH_OWNER) in lockout');
    },
  }),
  tpmCheck({
    id: 'tpm2.da.lockout-auth-failure',
    title: 'a wrong lockoutAuth disables lockoutAuth until TPM Reset when lockoutRecovery is 0',
    spec: P3,
    clause: PARAMETERS,
    level: 'MUST',
    requirement: 'A failed lockoutAuth authorization answers TPM_RC_AUTH_FAIL + TPM_RC_S + TPM_RC_1 (0x98E) without changing failedTries, and lockoutAuth then fails with TPM_RC_LOCKOUT (0x921) even when right; with lockoutRecovery = 0 it is usable again only after TPM Reset.',
    destructive: true,
    capabilities: ['tpm2.power-cycle'],
    run: async (x) => {
      await daParams(x, 3, 1000, 0);
      const wrong = concat(x.authValueOf(RH.LOCKOUT), utf8('-wrong'));
      x.rc((await x.c.dictionaryAttackLockReset(pw(wrong))).rc, rcS(RC.AUTH_FAIL, 1), 'TPM2_DictionaryAttackLockReset with a wrong lockoutAuth');
      x.t.expectEqual(await counter(x), 0, 'TPM_PT_LOCKOUT_COUNTER after a lockoutAuth failure');
      x.rc((await x.c.dictionaryAttackLockReset(x.lockoutAuth())).rc, RC.LOCKOUT, 'TPM2_DictionaryAttackLockReset with the right lockoutAuth after the failure');
      x.ok(await x.c.shutdown(SU.CLEAR), 'TPM2_Shutdown(CLEAR)');
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      x.rc((await x.c.dictionaryAttackLockReset(x.lockoutAuth())).rc, RC.SUCCESS, 'TPM2_DictionaryAttackLockReset after TPM Reset');
    },
  }),
  tpmCheck({
    id: 'tpm2.da.non-orderly-counts',
    title: 'a non-orderly shutdown after DA-protected use counts as a failure',
    spec: P1,
    clause: DA,
    level: 'MUST',
    requirement: 'If the TPM was not shut down orderly (no TPM2_Shutdown before _TPM_Init) after a DA-protected authorization, TPM2_Startup increments failedTries (recoveryTime not 0, failedTries below maxTries), so power-cycling cannot be used to try passwords without counting.',
    destructive: true,
    capabilities: ['tpm2.power-cycle'],
    run: async (x) => {
      await daParams(x, 5, 1000, 1000);
      const h = await sealedObject(x);
      x.rc(await unsealRc(x, h, SECRET), RC.SUCCESS, 'TPM2_Unseal of a DA-protected object with the right password');
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init without TPM2_Shutdown');
      x.t.expectEqual(await counter(x), 1, 'TPM_PT_LOCKOUT_COUNTER after a non-orderly shutdown');
    },
  }),
  tpmCheck({
    id: 'tpm2.da.orderly-does-not-count',
    title: 'an orderly shutdown does not count as a failure',
    spec: P1,
    clause: DA,
    level: 'MUST',
    requirement: 'After TPM2_Shutdown(CLEAR), _TPM_Init and TPM2_Startup(CLEAR), failedTries (TPM_PT_LOCKOUT_COUNTER) is unchanged even when DA-protected authorizations were used.',
    destructive: true,
    capabilities: ['tpm2.power-cycle'],
    run: async (x) => {
      await daParams(x, 5, 1000, 1000);
      const h = await sealedObject(x);
      x.rc(await unsealRc(x, h, SECRET), RC.SUCCESS, 'TPM2_Unseal of a DA-protected object with the right password');
      x.ok(await x.c.shutdown(SU.CLEAR), 'TPM2_Shutdown(CLEAR)');
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      x.t.expectEqual(await counter(x), 0, 'TPM_PT_LOCKOUT_COUNTER after an orderly shutdown');
    },
  }),
  tpmCheck({
    id: 'tpm2.da.disabled-when-recovery-zero',
    title: 'newRecoveryTime 0 disables DA lockout',
    spec: P3,
    clause: PARAMETERS,
    level: 'MUST',
    requirement: 'If newRecoveryTime is zero, DA protection is disabled: wrong authValues still fail (TPM_RC_AUTH_FAIL + TPM_RC_S + TPM_RC_1, 0x98E, or TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1, 0x9A2) but failedTries does not grow and maxTries + 1 failures do not cause lockout.',
    destructive: true,
    run: async (x) => {
      await daParams(x, 2, 0, 1000);
      const h = await sealedObject(x);
      for (let i = 1; i <= 3; i++) x.rc(await unsealRc(x, h, utf8('wrong')), [rcS(RC.AUTH_FAIL, 1), rcS(RC.BAD_AUTH, 1)], `TPM2_Unseal with a wrong password (#${i}, maxTries 2)`);
      x.t.expectEqual(await counter(x), 0, 'TPM_PT_LOCKOUT_COUNTER with recoveryTime 0');
      x.rc(await unsealRc(x, h, SECRET), RC.SUCCESS, 'TPM2_Unseal with the right password after three failures');
    },
  }),
  tpmCheck({
    id: 'tpm2.da.self-healing',
    title: 'failedTries decreases by one per recoveryTime',
    spec: P3,
    clause: PARAMETERS,
    level: 'MUST',
    requirement: 'newRecoveryTime is the number of seconds after which failedTries is decremented (self-healing): with recoveryTime 1, one failure is forgotten after a little more than one second of TPM time.',
    destructive: true,
    run: async (x) => {
      await daParams(x, 5, 1, 1000);
      const h = await sealedObject(x);
      const t0 = Date.now();
      x.rc(await unsealRc(x, h, utf8('wrong')), rcS(RC.AUTH_FAIL, 1), 'TPM2_Unseal with a wrong password');
      const n = await counter(x);
      if (Date.now() - t0 < 800) x.t.expectEqual(n, 1, 'TPM_PT_LOCKOUT_COUNTER right after the failure');
      else x.t.note(`the counter was read ${Date.now() - t0} ms after the failure; its value (${n}) is not judged`);
      await sleep(1500);
      x.t.expectEqual(await counter(x), 0, 'TPM_PT_LOCKOUT_COUNTER 1.5 s after the failure (recoveryTime 1)');
    },
  }),
  tpmCheck({
    id: 'tpm2.da.lockreset-bad-handle',
    title: 'TPM2_DictionaryAttackLockReset(TPM_RH_OWNER) answers TPM_RC_VALUE for handle 1',
    spec: P3,
    clause: LOCK_RESET,
    level: 'MUST',
    requirement: 'lockHandle is a TPMI_RH_LOCKOUT: TPM_RH_OWNER fails to unmarshal with TPM_RC_VALUE + TPM_RC_H + TPM_RC_1 (0x184).',
    run: async (x) => {
      const auth = x.ownerAuthValue();
      const session = concat(u32(0x40000009), u16(0), new Uint8Array([0]), u16(auth.length), auth);
      const r = await x.c.rawRc(rawCmd(0x8002, 0x139, concat(u32(RH.OWNER), u32(session.length), session)), 'TPM2_DictionaryAttackLockReset(TPM_RH_OWNER)');
      x.rc(r.rc, rcH(RC.VALUE, 1), 'TPM2_DictionaryAttackLockReset(TPM_RH_OWNER)');
    },
  }),
];
