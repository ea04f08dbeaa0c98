// Part 3, 9 Start-up: _TPM_Init, TPM2_Startup and TPM2_Shutdown; TPM Reset,
// TPM Restart and TPM Resume and what survives each (Part 1, 12.2
// "Startup and Shutdown"). Field case: system76/firmware-open#427 (an
// SLB9672 intermittently refuses Startup(STATE) on S3 resume).
import { ALG, SE, SU } from '../../protocol/tpm2/constants.js';
import { RC, rcP } from '../../protocol/tpm2/rc.js';
import { hash } from '../../protocol/tpm2/crypto.js';
import { P3, digestOf, tpmCheck, type Tx } from './common.js';

const STARTUP = '9.3 TPM2_Startup';
const SHUTDOWN = '9.4 TPM2_Shutdown';
const INIT = '9.2 _TPM_Init';
/** A PCR the PC Client profile saves across TPM Resume (PCRs 0-15 have stateSave). */
const SAVED_PCR = 12;
const RESETTABLE_PCR = 16;

async function extendSaved(x: Tx, pcr: number, fill: number): Promise<Uint8Array> {
  const before = await x.pcr(ALG.SHA256, pcr);
  const d = digestOf(ALG.SHA256, fill);
  x.ok(await x.c.pcrExtend(pcr, [{ hashAlg: ALG.SHA256, digest: d }]), `TPM2_PCR_Extend(PCR ${pcr})`);
  return hash(ALG.SHA256, before, d);
}

const CAPS = ['tpm2.power-cycle'];

/** Extends a state-saved PCR, shuts down with `type`, powers on, Startup(CLEAR): the PCR must be back to zeros. */
async function clearedBy(x: Tx, type: number, fill: number, what: string): Promise<void> {
  await extendSaved(x, SAVED_PCR, fill);
  x.ok(await x.c.shutdown(type), `TPM2_Shutdown(${type === SU.STATE ? 'STATE' : 'CLEAR'})`);
  await x.c.init();
  x.ok(await x.c.startup(SU.CLEAR), 'TPM2_Startup(CLEAR)');
  x.bytes(await x.pcr(ALG.SHA256, SAVED_PCR), new Uint8Array(32), `PCR ${SAVED_PCR} after ${what}`);
}

export default [
  tpmCheck({
    id: 'tpm2.startup.clear-after-init',
    title: 'TPM2_Startup(CLEAR) succeeds after _TPM_Init',
    spec: P3,
    clause: STARTUP,
    level: 'MUST',
    requirement: 'After _TPM_Init the TPM accepts TPM2_Startup(TPM_SU_CLEAR) and then executes commands.',
    capabilities: CAPS,
    run: async (x) => {
      await x.c.init();
      x.rc((await x.c.startup(SU.CLEAR)).rc, RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      x.ok(await x.c.getRandom(4), 'TPM2_GetRandom after startup');
    },
  }),
  tpmCheck({
    id: 'tpm2.startup.state-without-saved-state',
    title: 'TPM2_Startup(STATE) without a preceding TPM2_Shutdown(STATE) answers TPM_RC_VALUE',
    spec: P3,
    clause: STARTUP,
    level: 'MUST',
    requirement: 'If startupType is TPM_SU_STATE and the TPM requires TPM_SU_CLEAR (no state was saved by TPM2_Shutdown(TPM_SU_STATE)), the TPM returns TPM_RC_VALUE + TPM_RC_P + TPM_RC_1 (0x1C4); TPM2_Startup(CLEAR) then succeeds.',
    capabilities: CAPS,
    run: async (x) => {
      x.ok(await x.c.shutdown(SU.CLEAR), 'TPM2_Shutdown(CLEAR)');
      await x.c.init();
      x.defer(() => x.c.startup(SU.CLEAR));
      x.rc((await x.c.startup(SU.STATE)).rc, rcP(RC.VALUE, 1), 'TPM2_Startup(STATE) after Shutdown(CLEAR)');
      x.rc((await x.c.startup(SU.CLEAR)).rc, RC.SUCCESS, 'TPM2_Startup(CLEAR) afterwards');
    },
  }),
  tpmCheck({
    id: 'tpm2.startup.state-after-no-shutdown',
    title: 'TPM2_Startup(STATE) after a power loss without TPM2_Shutdown answers TPM_RC_VALUE',
    spec: P3,
    clause: STARTUP,
    level: 'MUST',
    requirement: 'Without any TPM2_Shutdown before _TPM_Init (power lost), there is no saved state: TPM2_Startup(TPM_SU_STATE) fails with TPM_RC_VALUE + TPM_RC_P + TPM_RC_1 (0x1C4).',
    capabilities: CAPS,
    run: async (x) => {
      await x.c.init();
      x.defer(() => x.c.startup(SU.CLEAR));
      x.rc((await x.c.startup(SU.STATE)).rc, rcP(RC.VALUE, 1), 'TPM2_Startup(STATE) after _TPM_Init without TPM2_Shutdown');
    },
  }),
  tpmCheck({
    id: 'tpm2.startup.resume-after-shutdown-state',
    title: 'TPM2_Startup(STATE) succeeds after TPM2_Shutdown(STATE) (TPM Resume)',
    spec: P3,
    clause: STARTUP,
    level: 'MUST',
    requirement: 'After TPM2_Shutdown(TPM_SU_STATE) and _TPM_Init, TPM2_Startup(TPM_SU_STATE) succeeds (TPM Resume).',
    capabilities: CAPS,
    run: async (x) => {
      x.ok(await x.c.shutdown(SU.STATE), 'TPM2_Shutdown(STATE)');
      await x.c.init();
      x.defer(() => x.c.startup(SU.CLEAR));
      x.rc((await x.c.startup(SU.STATE)).rc, RC.SUCCESS, 'TPM2_Startup(STATE) after Shutdown(STATE)');
    },
  }),
  tpmCheck({
    id: 'tpm2.startup.resume-loop',
    title: 'ten suspend/resume cycles in a row all succeed',
    spec: P3,
    clause: STARTUP,
    level: 'MUST',
    requirement: 'Each TPM2_Shutdown(STATE) / _TPM_Init / TPM2_Startup(STATE) cycle is a TPM Resume that succeeds and leaves the TPM working (system76/firmware-open#427: a TPM that intermittently answers 0x1C4 on S3 resume and then fails every command).',
    capabilities: CAPS,
    destructive: true,
    run: async (x) => {
      const want = await extendSaved(x, SAVED_PCR, 0x31);
      for (let i = 1; i <= 10; i++) {
        x.rc((await x.c.shutdown(SU.STATE)).rc, RC.SUCCESS, `cycle ${i}: TPM2_Shutdown(STATE)`);
        await x.c.init();
        const rc = (await x.c.startup(SU.STATE)).rc;
        if (rc !== RC.SUCCESS) await x.c.startup(SU.CLEAR);
        x.rc(rc, RC.SUCCESS, `cycle ${i}: TPM2_Startup(STATE)`);
        x.ok(await x.c.getRandom(8), `cycle ${i}: TPM2_GetRandom after resume`);
      }
      x.bytes(await x.pcr(ALG.SHA256, SAVED_PCR), want, `PCR ${SAVED_PCR} after ten resumes`);
    },
  }),
  tpmCheck({
    id: 'tpm2.startup.resume-keeps-saved-pcrs',
    title: 'TPM Resume restores the state-saved PCRs',
    spec: P3,
    clause: STARTUP,
    level: 'MUST',
    requirement: 'On TPM Resume the PCRs whose TPM_PT_PCR_SAVE attribute is set (PCRs 0-15 on a PC Client TPM) have the values saved by TPM2_Shutdown(STATE).',
    capabilities: CAPS,
    destructive: true,
    run: async (x) => {
      const want = await extendSaved(x, SAVED_PCR, 0x32);
      x.ok(await x.c.shutdown(SU.STATE), 'TPM2_Shutdown(STATE)');
      await x.c.init();
      x.ok(await x.c.startup(SU.STATE), 'TPM2_Startup(STATE)');
      x.bytes(await x.pcr(ALG.SHA256, SAVED_PCR), want, `PCR ${SAVED_PCR} after TPM Resume`);
    },
  }),
  tpmCheck({
    id: 'tpm2.startup.resume-resets-unsaved-pcrs',
    title: 'TPM Resume resets the PCRs without TPM_PT_PCR_SAVE',
    spec: P3,
    clause: STARTUP,
    level: 'MUST',
    requirement: 'On TPM Resume a PCR that is not state-saved (PCR 16 on a PC Client TPM) returns to its reset value (all zeros), whatever it held before TPM2_Shutdown(STATE).',
    capabilities: CAPS,
    run: async (x) => {
      x.ok(await x.c.pcrExtend(RESETTABLE_PCR, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 0x33) }]), 'TPM2_PCR_Extend(PCR 16)');
      x.ok(await x.c.shutdown(SU.STATE), 'TPM2_Shutdown(STATE)');
      await x.c.init();
      x.ok(await x.c.startup(SU.STATE), 'TPM2_Startup(STATE)');
      x.bytes(await x.pcr(ALG.SHA256, RESETTABLE_PCR), new Uint8Array(32), 'PCR 16 after TPM Resume');
    },
  }),
  tpmCheck({
    id: 'tpm2.startup.restart-resets-pcrs',
    title: 'TPM Restart (Shutdown(STATE), Startup(CLEAR)) resets the PCRs',
    spec: P3,
    clause: STARTUP,
    level: 'MUST',
    requirement: 'TPM2_Startup(TPM_SU_CLEAR) after TPM2_Shutdown(TPM_SU_STATE) is a TPM Restart: every PCR, including the state-saved ones, is set to its initial value.',
    capabilities: CAPS,
    destructive: true,
    run: (x) => clearedBy(x, SU.STATE, 0x34, 'TPM Restart'),
  }),
  tpmCheck({
    id: 'tpm2.startup.reset-resets-pcrs',
    title: 'TPM Reset (Startup(CLEAR) after Shutdown(CLEAR)) resets the PCRs',
    spec: P3,
    clause: STARTUP,
    level: 'MUST',
    requirement: 'TPM2_Startup(TPM_SU_CLEAR) after TPM2_Shutdown(TPM_SU_CLEAR) is a TPM Reset: every PCR is set to its initial value.',
    capabilities: CAPS,
    destructive: true,
    run: (x) => clearedBy(x, SU.CLEAR, 0x35, 'TPM Reset'),
  }),
  tpmCheck({
    id: 'tpm2.startup.saved-state-used-once',
    title: 'the state saved by TPM2_Shutdown(STATE) serves one TPM2_Startup only',
    spec: P3,
    clause: STARTUP,
    level: 'MUST',
    requirement: 'After a TPM Resume, a second _TPM_Init with no TPM2_Shutdown in between leaves nothing to resume from: TPM2_Startup(STATE) fails with TPM_RC_VALUE + TPM_RC_P + TPM_RC_1 (0x1C4).',
    capabilities: CAPS,
    run: async (x) => {
      x.ok(await x.c.shutdown(SU.STATE), 'TPM2_Shutdown(STATE)');
      await x.c.init();
      x.ok(await x.c.startup(SU.STATE), 'first TPM2_Startup(STATE)');
      await x.c.init();
      x.defer(() => x.c.startup(SU.CLEAR));
      x.rc((await x.c.startup(SU.STATE)).rc, rcP(RC.VALUE, 1), 'second TPM2_Startup(STATE) without a new TPM2_Shutdown(STATE)');
    },
  }),
  tpmCheck({
    id: 'tpm2.startup.volatile-objects-lost',
    title: '_TPM_Init removes loaded transient objects and sessions',
    spec: P3,
    clause: INIT,
    level: 'MUST',
    requirement: 'After _TPM_Init and TPM2_Startup no transient object or session of the previous power cycle is loaded (TPM_CAP_HANDLES lists none of them), even after TPM Resume.',
    capabilities: CAPS,
    leakCheck: false,
    run: async (x) => {
      const p = await x.c.createPrimary(0x40000001, (await import('../../protocol/tpm2/templates.js')).eccStorage(), { auth: x.ownerAuth() });
      x.ok(p, 'TPM2_CreatePrimary');
      const s = await x.c.startAuthSession({ type: SE.HMAC });
      x.ok(s, 'TPM2_StartAuthSession');
      x.ok(await x.c.shutdown(SU.STATE), 'TPM2_Shutdown(STATE)');
      await x.c.init();
      x.ok(await x.c.startup(SU.STATE), 'TPM2_Startup(STATE)');
      const transient = await x.c.handles(0x80);
      const loaded = await x.c.handles(0x02);
      x.t.assert(!transient.includes(p.handle!), `object 0x${p.handle!.toString(16)} is still loaded after _TPM_Init`, { expected: 'no transient objects of the last power cycle', actual: transient.map((h) => `0x${h.toString(16)}`).join(', ') });
      x.t.assert(!loaded.includes(s.session!.handle), `session 0x${s.session!.handle.toString(16)} is still loaded after _TPM_Init`, { expected: 'no loaded sessions of the last power cycle', actual: loaded.map((h) => `0x${h.toString(16)}`).join(', ') });
    },
  }),
  tpmCheck({
    id: 'tpm2.startup.shutdown-clear-then-commands',
    title: 'commands after TPM2_Shutdown keep working',
    spec: P3,
    clause: SHUTDOWN,
    level: 'MUST',
    requirement: 'TPM2_Shutdown does not stop the TPM: commands issued after it (before _TPM_Init) execute normally.',
    run: async (x) => {
      x.ok(await x.c.shutdown(SU.CLEAR), 'TPM2_Shutdown(CLEAR)');
      x.rc((await x.c.getRandom(8)).rc, RC.SUCCESS, 'TPM2_GetRandom after TPM2_Shutdown(CLEAR)');
      x.rc((await x.c.pcrRead([{ hash: ALG.SHA256, select: new Uint8Array([1, 0, 0]) }])).rc, RC.SUCCESS, 'TPM2_PCR_Read after TPM2_Shutdown(CLEAR)');
    },
  }),
  tpmCheck({
    id: 'tpm2.startup.pcr-change-invalidates-saved-state',
    title: 'extending a state-saved PCR after TPM2_Shutdown(STATE) invalidates the saved state',
    spec: P3,
    clause: SHUTDOWN,
    level: 'MUST',
    requirement: 'A command that changes state saved by TPM2_Shutdown(STATE) (PCR_Extend of a state-saved PCR) after the shutdown makes the saved state invalid: TPM2_Startup(STATE) then fails with TPM_RC_VALUE + TPM_RC_P + TPM_RC_1 (0x1C4), so stale state is never resumed.',
    capabilities: CAPS,
    destructive: true,
    run: async (x) => {
      x.ok(await x.c.shutdown(SU.STATE), 'TPM2_Shutdown(STATE)');
      x.ok(await x.c.pcrExtend(SAVED_PCR, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 0x36) }]), `TPM2_PCR_Extend(PCR ${SAVED_PCR}) after the shutdown`);
      await x.c.init();
      x.defer(() => x.c.startup(SU.CLEAR));
      x.rc((await x.c.startup(SU.STATE)).rc, rcP(RC.VALUE, 1), 'TPM2_Startup(STATE) after a PCR changed');
    },
  }),
  tpmCheck({
    id: 'tpm2.startup.resume-keeps-saved-session',
    title: 'a session context saved before TPM Resume can be loaded after it',
    spec: P3,
    clause: '28.3 TPM2_ContextLoad',
    level: 'MUST',
    requirement: 'A session whose context was saved with TPM2_ContextSave before TPM2_Shutdown(STATE) can be loaded with TPM2_ContextLoad after TPM Resume.',
    capabilities: CAPS,
    run: async (x) => {
      const s = await x.c.startAuthSession({ type: SE.HMAC });
      x.ok(s, 'TPM2_StartAuthSession');
      const saved = await x.c.contextSave(s.session!.handle);
      x.ok(saved, 'TPM2_ContextSave of the session');
      x.ok(await x.c.shutdown(SU.STATE), 'TPM2_Shutdown(STATE)');
      await x.c.init();
      x.ok(await x.c.startup(SU.STATE), 'TPM2_Startup(STATE)');
      const l = await x.c.contextLoad(saved.context!);
      if (l.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(l.handle!));
      else x.defer(() => x.c.flushContext(s.session!.handle));
      x.rc(l.rc, RC.SUCCESS, 'TPM2_ContextLoad of the session after TPM Resume');
      x.t.expectEqual(l.handle, s.session!.handle, 'handle of the reloaded session', (v) => `0x${(v ?? 0).toString(16)}`);
    },
  }),
  tpmCheck({
    id: 'tpm2.startup.reset-drops-saved-session',
    title: 'a session context saved before TPM Reset cannot be loaded after it',
    spec: P3,
    clause: '28.3 TPM2_ContextLoad',
    level: 'MUST',
    requirement: 'After TPM Reset (Startup(CLEAR) without a saved state) a session context saved before it is invalid: TPM2_ContextLoad fails (TPM_RC_INTEGRITY or TPM_RC_HANDLE for parameter 1).',
    capabilities: CAPS,
    run: async (x) => {
      const s = await x.c.startAuthSession({ type: SE.HMAC });
      x.ok(s, 'TPM2_StartAuthSession');
      const saved = await x.c.contextSave(s.session!.handle);
      x.ok(saved, 'TPM2_ContextSave of the session');
      x.ok(await x.c.shutdown(SU.CLEAR), 'TPM2_Shutdown(CLEAR)');
      await x.c.init();
      x.ok(await x.c.startup(SU.CLEAR), 'TPM2_Startup(CLEAR)');
      const l = await x.c.contextLoad(saved.context!);
      if (l.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(l.handle!));
      x.rc(l.rc, [rcP(RC.INTEGRITY, 1), rcP(RC.HANDLE, 1)], 'TPM2_ContextLoad of a session saved before TPM Reset');
    },
  }),
];
