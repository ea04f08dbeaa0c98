// Part 3, 11.2 TPM2_PolicyRestart and 23 Enhanced Authorization: policy
// digests (checked against an independent computation with node:crypto),
// the policy commands' own errors, and policy sessions authorizing objects
// and NV indices (sealing to PCRs, PolicyAuthValue, PolicyPassword,
// command-code restriction, ADMIN role).
import { createHash } from 'node:crypto';
import { ALG, CC, NT, RH, SE, TPMA_NV, TPMA_OBJECT, TPMA_SESSION } from '../../protocol/tpm2/constants.js';
import { RC, rcP, rcS } from '../../protocol/tpm2/rc.js';
import { sealed } from '../../protocol/tpm2/templates.js';
import { writePcrSelections, type PcrSelection } from '../../protocol/tpm2/structures.js';
import { TpmWriter } from '../../protocol/tpm2/marshal.js';
import { pw, withSession, type ClientSession } from '../../clients/tpm2.js';
import { P3, concat, digestOf, sel, tpmCheck, u32, utf8, type Tx } from './common.js';

const C = TPMA_SESSION.continueSession;
const EA = {
  restart: '11.2 TPM2_PolicyRestart',
  secret: '23.4 TPM2_PolicySecret',
  or: '23.6 TPM2_PolicyOR',
  pcr: '23.7 TPM2_PolicyPCR',
  locality: '23.8 TPM2_PolicyLocality',
  cc: '23.11 TPM2_PolicyCommandCode',
  authValue: '23.17 TPM2_PolicyAuthValue',
  password: '23.18 TPM2_PolicyPassword',
  getDigest: '23.19 TPM2_PolicyGetDigest',
  intro: '23.1 Introduction',
};

/** Independent policy digest computations (SHA-256). */
const H = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const ZERO = new Uint8Array(32);
const ext = (digest: Uint8Array, cc: number, ...rest: Uint8Array[]) => H(digest, u32(cc), ...rest);
function pcrsBytes(sels: PcrSelection[]): Uint8Array {
  const w = new TpmWriter();
  writePcrSelections(w, sels);
  return w.finish();
}

async function digestOfSession(x: Tx, s: ClientSession | number): Promise<Uint8Array> {
  const r = await x.c.policyGetDigest(s);
  x.ok(r, 'TPM2_PolicyGetDigest');
  return r.digest!;
}

/** A sealed data object under a fresh primary, with authPolicy `policy`. */
async function sealedObject(x: Tx, policy: Uint8Array, data: Uint8Array, attributes?: number, userAuth?: Uint8Array) {
  const p = await x.primary('ecc');
  return x.child(p.handle, sealed(policy, attributes), { data, userAuth });
}

export default [
  tpmCheck({
    id: 'tpm2.policy.commandcode-digest',
    title: 'TPM2_PolicyCommandCode extends H(policyDigest || TPM_CC_PolicyCommandCode || code)',
    spec: P3,
    clause: EA.cc,
    level: 'MUST',
    requirement: 'policyDigest_new = H_authHash(policyDigest_old || TPM_CC_PolicyCommandCode || code) (checked for code TPM_CC_NV_Read in a SHA-256 trial session).',
    run: async (x) => {
      const s = await x.session(SE.TRIAL);
      x.rc((await x.c.policyCommandCode(s, CC.NV_Read)).rc, RC.SUCCESS, 'TPM2_PolicyCommandCode(TPM_CC_NV_Read)');
      x.bytes(await digestOfSession(x, s), ext(ZERO, CC.PolicyCommandCode, u32(CC.NV_Read)), 'policyDigest');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.authvalue-digest',
    title: 'TPM2_PolicyAuthValue extends H(policyDigest || TPM_CC_PolicyAuthValue)',
    spec: P3,
    clause: EA.authValue,
    level: 'MUST',
    requirement: 'policyDigest_new = H_authHash(policyDigest_old || TPM_CC_PolicyAuthValue).',
    run: async (x) => {
      const s = await x.session(SE.TRIAL);
      x.rc((await x.c.policyAuthValue(s)).rc, RC.SUCCESS, 'TPM2_PolicyAuthValue');
      x.bytes(await digestOfSession(x, s), ext(ZERO, CC.PolicyAuthValue), 'policyDigest');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.password-digest',
    title: 'TPM2_PolicyPassword extends the same digest as TPM2_PolicyAuthValue',
    spec: P3,
    clause: EA.password,
    level: 'MUST',
    requirement: 'TPM2_PolicyPassword updates policyDigest with TPM_CC_PolicyAuthValue (not TPM_CC_PolicyPassword), so a policy built with either can be satisfied by either.',
    run: async (x) => {
      const s = await x.session(SE.TRIAL);
      x.rc((await x.c.policyPassword(s)).rc, RC.SUCCESS, 'TPM2_PolicyPassword');
      x.bytes(await digestOfSession(x, s), ext(ZERO, CC.PolicyAuthValue), 'policyDigest');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.pcr-digest',
    title: 'TPM2_PolicyPCR extends with the selection and the digest of the current PCR values',
    spec: P3,
    clause: EA.pcr,
    level: 'MUST',
    requirement: 'With an empty pcrDigest in a policy session, policyDigest_new = H(policyDigest_old || TPM_CC_PolicyPCR || pcrs || H(selected PCR values in order)).',
    run: async (x) => {
      const sels = [sel(ALG.SHA256, 16, 23)];
      const vals = [await x.pcr(ALG.SHA256, 16), await x.pcr(ALG.SHA256, 23)];
      const s = await x.session(SE.POLICY);
      x.rc((await x.c.policyPCR(s, new Uint8Array(0), sels)).rc, RC.SUCCESS, 'TPM2_PolicyPCR(SHA-256:16,23)');
      x.bytes(await digestOfSession(x, s), ext(ZERO, CC.PolicyPCR, pcrsBytes(sels), H(...vals)), 'policyDigest');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.pcr-trial-given-digest',
    title: 'in a trial session TPM2_PolicyPCR uses the pcrDigest given',
    spec: P3,
    clause: EA.pcr,
    level: 'MUST',
    requirement: 'In a trial session a non-empty pcrDigest is used as is (PCR values are not compared), so a policy for future PCR values can be computed.',
    run: async (x) => {
      const sels = [sel(ALG.SHA256, 16)];
      const want = digestOf(ALG.SHA256, 0xab);
      const s = await x.session(SE.TRIAL);
      x.rc((await x.c.policyPCR(s, want, sels)).rc, RC.SUCCESS, 'TPM2_PolicyPCR in a trial session with an arbitrary pcrDigest');
      x.bytes(await digestOfSession(x, s), ext(ZERO, CC.PolicyPCR, pcrsBytes(sels), want), 'policyDigest');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.pcr-mismatch',
    title: 'TPM2_PolicyPCR with a pcrDigest that does not match the PCRs answers TPM_RC_VALUE for parameter 1',
    spec: P3,
    clause: EA.pcr,
    level: 'MUST',
    requirement: 'In a policy session a non-empty pcrDigest must equal the digest of the current PCR values; otherwise TPM_RC_VALUE + TPM_RC_P + TPM_RC_1 (0x1C4).',
    run: async (x) => {
      const s = await x.session(SE.POLICY);
      x.rc((await x.c.policyPCR(s, digestOf(ALG.SHA256, 0xcd), [sel(ALG.SHA256, 16)])).rc, rcP(RC.VALUE, 1), 'TPM2_PolicyPCR with a wrong pcrDigest');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.pcr-seal-unseal',
    title: 'an object sealed to a PCR policy unseals while the PCR holds its value and not after it changes',
    spec: P3,
    clause: EA.pcr,
    level: 'MUST',
    requirement: 'TPM2_Unseal with a policy session that ran TPM2_PolicyPCR over PCR 16 succeeds while PCR 16 matches the sealed policy; after PCR 16 is extended a new PolicyPCR gives another digest and TPM2_Unseal fails with TPM_RC_POLICY_FAIL + TPM_RC_S + TPM_RC_1 (0x99D).',
    run: async (x) => {
      const sels = [sel(ALG.SHA256, 16)];
      const trial = await x.session(SE.TRIAL);
      x.ok(await x.c.policyPCR(trial, new Uint8Array(0), sels), 'TPM2_PolicyPCR (trial)');
      const policy = await digestOfSession(x, trial);
      const obj = await sealedObject(x, policy, utf8('sealed secret'), TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.noDA);
      const s = await x.session(SE.POLICY);
      x.ok(await x.c.policyPCR(s, new Uint8Array(0), sels), 'TPM2_PolicyPCR');
      const u = await x.c.unseal(obj.handle, withSession(s));
      x.rc(u.rc, RC.SUCCESS, 'TPM2_Unseal with the PCR policy');
      x.bytes(u.data, utf8('sealed secret'), 'unsealed data');
      x.ok(await x.c.pcrExtend(16, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 0x77) }]), 'TPM2_PCR_Extend(PCR 16)');
      x.ok(await x.c.policyPCR(s, new Uint8Array(0), sels), 'TPM2_PolicyPCR after the extend');
      x.rc((await x.c.unseal(obj.handle, withSession(s))).rc, rcS(RC.POLICY_FAIL, 1), 'TPM2_Unseal after PCR 16 changed');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.pcr-changed',
    title: 'a PCR change between TPM2_PolicyPCR and the authorization answers TPM_RC_PCR_CHANGED',
    spec: P3,
    clause: EA.pcr,
    level: 'MUST',
    requirement: 'The session records pcrUpdateCounter at TPM2_PolicyPCR; if a counted PCR changes before the session authorizes, the authorization fails with TPM_RC_PCR_CHANGED (0x128) (PCR 12 is extended in between).',
    destructive: true,
    run: async (x) => {
      const sels = [sel(ALG.SHA256, 12)];
      const trial = await x.session(SE.TRIAL);
      x.ok(await x.c.policyPCR(trial, new Uint8Array(0), sels), 'TPM2_PolicyPCR (trial)');
      const obj = await sealedObject(x, await digestOfSession(x, trial), utf8('x'), TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.noDA);
      const s = await x.session(SE.POLICY);
      x.ok(await x.c.policyPCR(s, new Uint8Array(0), sels), 'TPM2_PolicyPCR');
      x.ok(await x.c.pcrExtend(12, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 0x78) }]), 'TPM2_PCR_Extend(PCR 12)');
      x.rc((await x.c.unseal(obj.handle, withSession(s))).rc, RC.PCR_CHANGED, 'TPM2_Unseal after a PCR changed');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.commandcode-enforced',
    title: 'a policy restricted to one command code refuses another with TPM_RC_POLICY_CC',
    spec: P3,
    clause: EA.cc,
    level: 'MUST',
    requirement: 'After TPM2_PolicyCommandCode(TPM_CC_NV_Read) the session authorizes only TPM2_NV_Read: with an index whose authPolicy is that policy, TPM2_NV_Read succeeds and TPM2_NV_Write fails with TPM_RC_POLICY_CC + TPM_RC_S + TPM_RC_1 (0x9A4).',
    run: async (x) => {
      const trial = await x.session(SE.TRIAL);
      x.ok(await x.c.policyCommandCode(trial, CC.NV_Read), 'TPM2_PolicyCommandCode(NV_Read) (trial)');
      const policy = await digestOfSession(x, trial);
      const ix = await x.nv(TPMA_NV.POLICYREAD | TPMA_NV.POLICYWRITE | TPMA_NV.OWNERREAD | TPMA_NV.OWNERWRITE | TPMA_NV.NO_DA, 8, { authPolicy: policy });
      x.ok(await x.c.nvWrite(RH.OWNER, ix.nvIndex, utf8('abc'), 0, x.ownerAuth()), 'TPM2_NV_Write (owner)');
      const s = await x.session(SE.POLICY);
      x.ok(await x.c.policyCommandCode(s, CC.NV_Read), 'TPM2_PolicyCommandCode(NV_Read)');
      x.rc((await x.c.nvRead(ix.nvIndex, ix.nvIndex, 3, 0, withSession(s))).rc, RC.SUCCESS, 'TPM2_NV_Read with the policy');
      x.ok(await x.c.policyCommandCode(s, CC.NV_Read), 'TPM2_PolicyCommandCode(NV_Read) again');
      x.rc((await x.c.nvWrite(ix.nvIndex, ix.nvIndex, utf8('z'), 0, withSession(s))).rc, rcS(RC.POLICY_CC, 1), 'TPM2_NV_Write with a policy for NV_Read');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.commandcode-conflict',
    title: 'a second TPM2_PolicyCommandCode with another code answers TPM_RC_VALUE for parameter 1',
    spec: P3,
    clause: EA.cc,
    level: 'MUST',
    requirement: 'If the session already has a different command code, TPM2_PolicyCommandCode fails with TPM_RC_VALUE + TPM_RC_P + TPM_RC_1 (0x1C4).',
    run: async (x) => {
      const s = await x.session(SE.TRIAL);
      x.ok(await x.c.policyCommandCode(s, CC.NV_Read), 'TPM2_PolicyCommandCode(NV_Read)');
      x.rc((await x.c.policyCommandCode(s, CC.NV_Write)).rc, rcP(RC.VALUE, 1), 'TPM2_PolicyCommandCode(NV_Write) after NV_Read');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.commandcode-unimplemented',
    title: 'TPM2_PolicyCommandCode of an unimplemented command answers TPM_RC_POLICY_CC for parameter 1',
    spec: P3,
    clause: EA.cc,
    level: 'MUST',
    requirement: 'code must be an implemented command: 0x000001FF fails with TPM_RC_POLICY_CC + TPM_RC_P + TPM_RC_1 (0x1E4).',
    run: async (x) => {
      const s = await x.session(SE.TRIAL);
      x.rc((await x.c.policyCommandCode(s, 0x1ff)).rc, rcP(RC.POLICY_CC, 1), 'TPM2_PolicyCommandCode(0x1FF)');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.restart',
    title: 'TPM2_PolicyRestart sets policyDigest back to zeros',
    spec: P3,
    clause: EA.restart,
    level: 'MUST',
    requirement: 'TPM2_PolicyRestart resets the policy session: its policyDigest is all zeros and its restrictions are gone (a new TPM2_PolicyCommandCode with another code succeeds).',
    run: async (x) => {
      const s = await x.session(SE.POLICY);
      x.ok(await x.c.policyCommandCode(s, CC.NV_Read), 'TPM2_PolicyCommandCode(NV_Read)');
      x.rc((await x.c.policyRestart(s)).rc, RC.SUCCESS, 'TPM2_PolicyRestart');
      x.bytes(await digestOfSession(x, s), ZERO, 'policyDigest after restart');
      x.rc((await x.c.policyCommandCode(s, CC.NV_Write)).rc, RC.SUCCESS, 'TPM2_PolicyCommandCode(NV_Write) after restart');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.authvalue-authorizes',
    title: 'PolicyAuthValue makes the session prove the object authValue in its HMAC',
    spec: P3,
    clause: EA.authValue,
    level: 'MUST',
    requirement: 'With TPM2_PolicyAuthValue in the policy, the policy session HMAC includes the authValue: with the right authValue TPM2_Unseal succeeds, with a wrong one it fails with TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 (0x9A2) for a noDA object.',
    run: async (x) => {
      const policy = ext(ZERO, CC.PolicyAuthValue);
      const obj = await sealedObject(x, policy, utf8('av'), TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.noDA, utf8('obj-pw'));
      const s = await x.session(SE.POLICY);
      x.ok(await x.c.policyAuthValue(s), 'TPM2_PolicyAuthValue');
      x.rc((await x.c.unseal(obj.handle, withSession(s, utf8('obj-pw')))).rc, RC.SUCCESS, 'TPM2_Unseal with PolicyAuthValue and the right authValue');
      x.ok(await x.c.policyAuthValue(s), 'TPM2_PolicyAuthValue again');
      x.rc((await x.c.unseal(obj.handle, withSession(s, utf8('not-it')))).rc, rcS(RC.BAD_AUTH, 1), 'TPM2_Unseal with PolicyAuthValue and a wrong authValue');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.password-authorizes',
    title: 'PolicyPassword makes the session carry the authValue in clear',
    spec: P3,
    clause: EA.password,
    level: 'MUST',
    requirement: 'With TPM2_PolicyPassword the hmac field of the policy session carries the authValue itself: the right password authorizes TPM2_Unseal, a wrong one fails with TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 (0x9A2); the response HMAC is empty.',
    run: async (x) => {
      const obj = await sealedObject(x, ext(ZERO, CC.PolicyAuthValue), utf8('pp'), TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.noDA, utf8('clear-pw'));
      const s = await x.session(SE.POLICY);
      x.ok(await x.c.policyPassword(s), 'TPM2_PolicyPassword');
      const ok = await x.c.unseal(obj.handle, withSession(s, utf8('clear-pw')));
      x.rc(ok.rc, RC.SUCCESS, 'TPM2_Unseal with PolicyPassword');
      x.t.expectEqual(ok.resp.sessions[0]?.hmac.length, 0, 'response HMAC size for a PolicyPassword session');
      x.ok(await x.c.policyPassword(s), 'TPM2_PolicyPassword again');
      x.rc((await x.c.unseal(obj.handle, withSession(s, utf8('clear-px')))).rc, rcS(RC.BAD_AUTH, 1), 'TPM2_Unseal with a wrong password');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.digest-mismatch',
    title: 'a policy session whose digest differs from authPolicy answers TPM_RC_POLICY_FAIL',
    spec: P3,
    clause: EA.intro,
    level: 'MUST',
    requirement: 'A policy session authorizes only if its policyDigest equals the entity authPolicy: an empty policy session used for an object with a PolicyAuthValue policy fails with TPM_RC_POLICY_FAIL + TPM_RC_S + TPM_RC_1 (0x99D).',
    run: async (x) => {
      const obj = await sealedObject(x, ext(ZERO, CC.PolicyAuthValue), utf8('m'), TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.noDA);
      const s = await x.session(SE.POLICY);
      x.rc((await x.c.unseal(obj.handle, withSession(s))).rc, rcS(RC.POLICY_FAIL, 1), 'TPM2_Unseal with an empty policy');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.reset-after-use',
    title: 'a policy session is reset after it authorizes a command',
    spec: P3,
    clause: EA.intro,
    level: 'MUST',
    requirement: 'When a policy session with continueSession authorizes a command, its policyDigest is reset to zeros, so each use needs its policy assertions again.',
    run: async (x) => {
      const obj = await sealedObject(x, ext(ZERO, CC.PolicyAuthValue), utf8('r'), TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.noDA);
      const s = await x.session(SE.POLICY);
      x.ok(await x.c.policyAuthValue(s), 'TPM2_PolicyAuthValue');
      x.ok(await x.c.unseal(obj.handle, withSession(s, new Uint8Array(0), C)), 'TPM2_Unseal with the policy');
      x.bytes(await digestOfSession(x, s), ZERO, 'policyDigest after the authorization');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.or',
    title: 'TPM2_PolicyOR replaces a member branch by the digest of the list, refuses non-members',
    spec: P3,
    clause: EA.or,
    level: 'MUST',
    requirement: 'If policyDigest is one of pHashList, it becomes H(0...0 || TPM_CC_PolicyOR || digests); if it is none of them, in a policy session, TPM2_PolicyOR fails with TPM_RC_VALUE + TPM_RC_P + TPM_RC_1 (0x1C4).',
    run: async (x) => {
      const a = ext(ZERO, CC.PolicyAuthValue);
      const b = ext(ZERO, CC.PolicyCommandCode, u32(CC.NV_Read));
      const s = await x.session(SE.POLICY);
      x.ok(await x.c.policyAuthValue(s), 'TPM2_PolicyAuthValue');
      x.rc((await x.c.policyOR(s, [a, b])).rc, RC.SUCCESS, 'TPM2_PolicyOR with the current digest as branch 1');
      x.bytes(await digestOfSession(x, s), H(ZERO, u32(CC.PolicyOR), a, b), 'policyDigest after TPM2_PolicyOR');
      x.rc((await x.c.policyOR(s, [a, b])).rc, rcP(RC.VALUE, 1), 'TPM2_PolicyOR when the digest is in no branch');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.locality',
    title: 'PolicyLocality restricts authorization to the localities it names',
    spec: P3,
    clause: EA.locality,
    level: 'MUST',
    requirement: 'TPM2_PolicyLocality(TPMA_LOCALITY_THREE) extends H(policyDigest || TPM_CC_PolicyLocality || 0x08); the session then authorizes only at locality 3: at locality 0 the authorization fails with TPM_RC_LOCALITY (0x907).',
    capabilities: ['tpm2.locality'],
    run: async (x) => {
      const policy = ext(ZERO, CC.PolicyLocality, new Uint8Array([0x08]));
      const obj = await sealedObject(x, policy, utf8('loc'), TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.noDA);
      const s = await x.session(SE.POLICY);
      x.rc((await x.c.policyLocality(s, 0x08)).rc, RC.SUCCESS, 'TPM2_PolicyLocality(THREE)');
      x.bytes(await digestOfSession(x, s), policy, 'policyDigest');
      x.rc((await x.c.unseal(obj.handle, withSession(s))).rc, RC.LOCALITY, 'TPM2_Unseal at locality 0');
      await x.locality(3);
      x.rc((await x.c.unseal(obj.handle, withSession(s))).rc, RC.SUCCESS, 'TPM2_Unseal at locality 3');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.secret-digest',
    title: 'TPM2_PolicySecret extends with the name of the authorizing entity and policyRef',
    spec: P3,
    clause: EA.secret,
    level: 'MUST',
    requirement: 'After TPM2_PolicySecret(TPM_RH_OWNER, policyRef) authorized with the owner authValue, policyDigest = H(H(policyDigest || TPM_CC_PolicySecret || name(TPM_RH_OWNER)) || policyRef).',
    run: async (x) => {
      const ref = utf8('ref');
      const s = await x.session(SE.POLICY);
      x.rc((await x.c.policySecret(RH.OWNER, s, x.ownerAuth(), ref)).rc, RC.SUCCESS, 'TPM2_PolicySecret(TPM_RH_OWNER)');
      x.bytes(await digestOfSession(x, s), H(H(ZERO, u32(CC.PolicySecret), u32(RH.OWNER)), ref), 'policyDigest');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.admin-needs-commandcode',
    title: 'an ADMIN-role command needs a policy with that command code',
    spec: P3,
    clause: '31.15 TPM2_NV_ChangeAuth',
    level: 'MUST',
    requirement: 'TPM2_NV_ChangeAuth needs ADMIN role, which for an NV index requires a policy session whose policy includes TPM2_PolicyCommandCode(TPM_CC_NV_ChangeAuth): an HMAC session fails with TPM_RC_AUTH_TYPE (0x124), a policy matching authPolicy without the command code fails with TPM_RC_POLICY_FAIL + TPM_RC_S + TPM_RC_1 (0x99D), and PolicyCommandCode(NV_ChangeAuth) + PolicyAuthValue succeeds.',
    run: async (x) => {
      const withCc = ext(ext(ZERO, CC.PolicyCommandCode, u32(CC.NV_ChangeAuth)), CC.PolicyAuthValue);
      const ix = await x.nv(TPMA_NV.AUTHREAD | TPMA_NV.AUTHWRITE | TPMA_NV.NO_DA, 8, { authValue: utf8('old'), authPolicy: withCc });
      const h = await x.session(SE.HMAC);
      x.rc((await x.c.nvChangeAuth(ix.nvIndex, utf8('new'), withSession(h, utf8('old')))).rc, RC.AUTH_TYPE, 'TPM2_NV_ChangeAuth with an HMAC session');
      const s = await x.session(SE.POLICY);
      x.ok(await x.c.policyAuthValue(s), 'TPM2_PolicyAuthValue');
      x.rc((await x.c.nvChangeAuth(ix.nvIndex, utf8('new'), withSession(s, utf8('old')))).rc, rcS(RC.POLICY_FAIL, 1), 'TPM2_NV_ChangeAuth with a policy lacking the command code');
      x.ok(await x.c.policyRestart(s), 'TPM2_PolicyRestart');
      x.ok(await x.c.policyCommandCode(s, CC.NV_ChangeAuth), 'TPM2_PolicyCommandCode(NV_ChangeAuth)');
      x.ok(await x.c.policyAuthValue(s), 'TPM2_PolicyAuthValue');
      x.rc((await x.c.nvChangeAuth(ix.nvIndex, utf8('new'), withSession(s, utf8('old'), C, { responseAuth: utf8('new') }))).rc, RC.SUCCESS, 'TPM2_NV_ChangeAuth with PolicyCommandCode + PolicyAuthValue');
      x.ok(await x.c.nvWrite(ix.nvIndex, ix.nvIndex, utf8('n'), 0, pw('new')), 'TPM2_NV_Write with the new authValue');
    },
  }),
  tpmCheck({
    id: 'tpm2.policy.policy-on-hmac-handle',
    title: 'a policy session handle for a command that needs no policy still needs a matching authPolicy',
    spec: P3,
    clause: EA.intro,
    level: 'MUST',
    requirement: 'An entity whose authPolicy is empty cannot be authorized by a policy session: TPM2_NV_Read of an index without authPolicy through a policy session fails with TPM_RC_AUTH_UNAVAILABLE (0x12F).',
    run: async (x) => {
      const ix = await x.nv(TPMA_NV.AUTHREAD | TPMA_NV.AUTHWRITE | TPMA_NV.POLICYREAD | TPMA_NV.NO_DA, 8);
      x.ok(await x.c.nvWrite(ix.nvIndex, ix.nvIndex, utf8('q'), 0, pw()), 'TPM2_NV_Write');
      const s = await x.session(SE.POLICY);
      x.rc((await x.c.nvRead(ix.nvIndex, ix.nvIndex, 1, 0, withSession(s))).rc, RC.AUTH_UNAVAILABLE, 'TPM2_NV_Read with a policy session on an index without authPolicy');
    },
  }),
];

export { NT, concat };
