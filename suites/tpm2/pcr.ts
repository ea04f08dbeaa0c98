// Part 3, 22 Integrity Collection (PCR): PCR_Extend, PCR_Event, PCR_Read,
// PCR_Reset with the PC Client locality rules (PTP tables "PCR Attributes"
// and "PCR Initial and Reset Values"). PCR 16 (debug) and 23 (application)
// are the ones checks change; checks that touch PCRs 0-15 are destructive.
import { ALG, CAP, CC, PT, PT_PCR, RH, ST, TPMA_ALGORITHM } from '../../protocol/tpm2/constants.js';
import { HASH_ALGS, hash, hashSize } from '../../protocol/tpm2/crypto.js';
import { RC, rcH, rcP, rcS } from '../../protocol/tpm2/rc.js';
import type { CapabilityData } from '../../protocol/tpm2/structures.js';
import { pw } from '../../clients/tpm2.js';
import { P2, P3, PTP, PW_SESSION, algName, concat, digestOf, rawCmd, sel, tpmCheck, u16, u32, type Tx } from './common.js';

const EXTEND = '22.2 TPM2_PCR_Extend';
const EVENT = '22.3 TPM2_PCR_Event';
const READ = '22.4 TPM2_PCR_Read';
const RESET = '22.8 TPM2_PCR_Reset';
const DEBUG_PCR = 16;
const APP_PCR = 23;

async function pcrProperty(x: Tx, tag: number): Promise<Uint8Array> {
  const r = await x.c.getCapability(CAP.PCR_PROPERTIES, tag, 1);
  x.ok(r, `TPM2_GetCapability(TPM_CAP_PCR_PROPERTIES, 0x${tag.toString(16)})`);
  const p = (r.data as Extract<CapabilityData, { capability: typeof CAP.PCR_PROPERTIES }>).pcrProperties[0];
  if (!p || p.tag !== tag) x.t.fail(`TPM_CAP_PCR_PROPERTIES does not report property 0x${tag.toString(16)}`);
  return p.select;
}
const has = (s: Uint8Array, p: number) => ((s[p >> 3] ?? 0) & (1 << (p & 7))) !== 0;

function extendRaw(pcr: number, params: Uint8Array): Uint8Array {
  return rawCmd(ST.SESSIONS, CC.PCR_Extend, concat(u32(pcr), u32(PW_SESSION.length), PW_SESSION, params));
}

export default [
  tpmCheck({
    id: 'tpm2.pcr.extend-value',
    title: 'TPM2_PCR_Extend sets PCR := H(PCR || digest)',
    spec: P3,
    clause: EXTEND,
    level: 'MUST',
    requirement: 'For each digest in the list, the PCR of that bank becomes H_alg(PCR_old || digest); checked on PCR 16 of every allocated bank against an independent computation.',
    run: async (x) => {
      for (const alg of await x.banks()) {
        const before = await x.pcr(alg, DEBUG_PCR);
        const d = digestOf(alg, 0x41);
        x.rc((await x.c.pcrExtend(DEBUG_PCR, [{ hashAlg: alg, digest: d }])).rc, RC.SUCCESS, `TPM2_PCR_Extend(PCR 16, ${algName(alg)})`);
        x.bytes(await x.pcr(alg, DEBUG_PCR), hash(alg, before, d), `${algName(alg)} PCR 16 after the extend`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.extend-all-banks',
    title: 'one TPM2_PCR_Extend extends every bank it carries a digest for',
    spec: P3,
    clause: EXTEND,
    level: 'MUST',
    requirement: 'A TPML_DIGEST_VALUES with one digest per allocated bank extends each bank with its own digest in a single command.',
    run: async (x) => {
      const banks = await x.banks();
      const before = await Promise.all(banks.map((a) => x.pcr(a, DEBUG_PCR)));
      const digests = banks.map((a, i) => ({ hashAlg: a, digest: digestOf(a, 0x50 + i) }));
      x.rc((await x.c.pcrExtend(DEBUG_PCR, digests)).rc, RC.SUCCESS, 'TPM2_PCR_Extend(PCR 16, all banks)');
      for (const [i, a] of banks.entries()) x.bytes(await x.pcr(a, DEBUG_PCR), hash(a, before[i]!, digests[i]!.digest), `${algName(a)} PCR 16`);
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.extend-bank-isolation',
    title: 'extending one bank leaves the other banks unchanged',
    spec: P3,
    clause: EXTEND,
    level: 'MUST',
    requirement: 'A PCR_Extend whose list has only a SHA-256 digest changes PCR 16 of the SHA-256 bank only; the same PCR in every other bank keeps its value.',
    run: async (x) => {
      const others = (await x.banks()).filter((a) => a !== ALG.SHA256);
      if (!others.length) x.t.unsupported('only one PCR bank is allocated');
      const before = await Promise.all(others.map((a) => x.pcr(a, DEBUG_PCR)));
      x.ok(await x.c.pcrExtend(DEBUG_PCR, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 0x42) }]), 'TPM2_PCR_Extend(PCR 16, SHA-256)');
      for (const [i, a] of others.entries()) x.bytes(await x.pcr(a, DEBUG_PCR), before[i]!, `${algName(a)} PCR 16 after a SHA-256-only extend`);
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.extend-unallocated-bank',
    title: 'a digest for a hash with no allocated bank is ignored',
    spec: P3,
    clause: EXTEND,
    level: 'MUST',
    requirement: 'If the digest list contains a digest for an implemented hash algorithm whose PCR bank is not allocated, that digest is ignored and the command succeeds.',
    run: async (x) => {
      const banks = new Set(await x.banks());
      const algs = await x.implementedAlgs();
      const spare = HASH_ALGS.find((a) => algs.has(a) && (algs.get(a)! & TPMA_ALGORITHM.hash) && !banks.has(a));
      if (spare === undefined) return x.t.unsupported('every implemented hash algorithm has an allocated PCR bank');
      x.rc((await x.c.pcrExtend(DEBUG_PCR, [{ hashAlg: spare, digest: digestOf(spare, 1) }])).rc, RC.SUCCESS, `TPM2_PCR_Extend(PCR 16, ${algName(spare)} only)`);
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.extend-null',
    title: 'TPM2_PCR_Extend of TPM_RH_NULL succeeds and changes no PCR',
    spec: P3,
    clause: EXTEND,
    level: 'MUST',
    requirement: 'pcrHandle is a TPMI_DH_PCR+: TPM_RH_NULL is accepted and the command has no effect (PCR 16 and 23 keep their values).',
    run: async (x) => {
      const b16 = await x.pcr(ALG.SHA256, DEBUG_PCR);
      const b23 = await x.pcr(ALG.SHA256, APP_PCR);
      x.rc((await x.c.pcrExtend(RH.NULL, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 0x43) }])).rc, RC.SUCCESS, 'TPM2_PCR_Extend(TPM_RH_NULL)');
      x.bytes(await x.pcr(ALG.SHA256, DEBUG_PCR), b16, 'PCR 16');
      x.bytes(await x.pcr(ALG.SHA256, APP_PCR), b23, 'PCR 23');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.extend-pcr-out-of-range',
    title: 'TPM2_PCR_Extend of a PCR beyond the last answers TPM_RC_VALUE for handle 1',
    spec: P3,
    clause: EXTEND,
    level: 'MUST',
    requirement: 'A pcrHandle above the last implemented PCR is not a TPMI_DH_PCR: TPM_RC_VALUE + TPM_RC_H + TPM_RC_1 (0x184) (PCR 30).',
    run: async (x) => {
      x.rc((await x.c.pcrExtend(30, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 1) }])).rc, rcH(RC.VALUE, 1), 'TPM2_PCR_Extend(PCR 30)');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.extend-unknown-hash',
    title: 'a digest with an undefined hash algorithm answers TPM_RC_HASH for parameter 1',
    spec: P3,
    clause: EXTEND,
    level: 'MUST',
    requirement: 'Each TPMT_HA.hashAlg is a TPMI_ALG_HASH; an undefined algorithm (0x0099) fails with TPM_RC_HASH + TPM_RC_P + TPM_RC_1 (0x1C3) and no PCR changes.',
    run: async (x) => {
      const before = await x.pcr(ALG.SHA256, DEBUG_PCR);
      const r = await x.c.rawRc(extendRaw(DEBUG_PCR, concat(u32(1), u16(0x0099), new Uint8Array(32))), 'TPM2_PCR_Extend with hashAlg 0x0099');
      x.rc(r.rc, rcP(RC.HASH, 1), 'TPM2_PCR_Extend with hashAlg 0x0099');
      x.bytes(await x.pcr(ALG.SHA256, DEBUG_PCR), before, 'PCR 16');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.extend-short-digest',
    title: 'a digest shorter than its algorithm answers TPM_RC_INSUFFICIENT for parameter 1',
    spec: P3,
    clause: EXTEND,
    level: 'MUST',
    requirement: 'A TPMT_HA carries exactly the digest size of its hashAlg; a SHA-256 entry with 20 bytes (the command ends) fails with TPM_RC_INSUFFICIENT + TPM_RC_P + TPM_RC_1 (0x1DA).',
    run: async (x) => {
      const r = await x.c.rawRc(extendRaw(DEBUG_PCR, concat(u32(1), u16(ALG.SHA256), new Uint8Array(20))), 'TPM2_PCR_Extend with a 20-byte SHA-256 digest');
      x.rc(r.rc, rcP(RC.INSUFFICIENT, 1), 'SHA-256 digest of 20 bytes');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.extend-too-many-digests',
    title: 'a digest list longer than HASH_COUNT answers TPM_RC_SIZE for parameter 1',
    spec: P2,
    clause: '10.9.7 TPML_DIGEST_VALUES',
    level: 'MUST',
    requirement: 'TPML_DIGEST_VALUES.count is at most HASH_COUNT (the number of implemented hash algorithms); a count of 17 fails with TPM_RC_SIZE + TPM_RC_P + TPM_RC_1 (0x1D5).',
    run: async (x) => {
      const r = await x.c.rawRc(extendRaw(DEBUG_PCR, concat(u32(17), u16(ALG.SHA256), new Uint8Array(32))), 'TPM2_PCR_Extend with count 17');
      x.rc(r.rc, rcP(RC.SIZE, 1), 'digest count 17');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.extend-wrong-password',
    title: 'a wrong password for a PCR answers TPM_RC_BAD_AUTH (PCRs are exempt from DA)',
    spec: P3,
    clause: EXTEND,
    level: 'MUST',
    requirement: 'PCR 16 has an empty authValue; a password session with another password fails with TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 (0x9A2) — not TPM_RC_AUTH_FAIL, since PCRs are not DA protected — and the PCR is unchanged.',
    run: async (x) => {
      const before = await x.pcr(ALG.SHA256, DEBUG_PCR);
      x.rc((await x.c.pcrExtend(DEBUG_PCR, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 2) }], pw('wrong'))).rc, rcS(RC.BAD_AUTH, 1), 'TPM2_PCR_Extend(PCR 16) with password "wrong"');
      x.bytes(await x.pcr(ALG.SHA256, DEBUG_PCR), before, 'PCR 16');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.extend-locality-refused',
    title: 'TPM2_PCR_Extend of a DRTM PCR at locality 0 answers TPM_RC_LOCALITY',
    spec: PTP,
    clause: 'PCR Attributes (extend localities)',
    level: 'MUST',
    requirement: 'PCRs 17-22 cannot be extended at locality 0 (PC Client PCR attributes); TPM2_PCR_Extend of PCR 17 and PCR 22 at locality 0 fails with TPM_RC_LOCALITY (0x907).',
    run: async (x) => {
      for (const p of [17, 22]) x.rc((await x.c.pcrExtend(p, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 3) }])).rc, RC.LOCALITY, `TPM2_PCR_Extend(PCR ${p}) at locality 0`);
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.extend-locality-allowed',
    title: 'TPM2_PCR_Extend of PCR 20 succeeds at locality 1',
    spec: PTP,
    clause: 'PCR Attributes (extend localities)',
    level: 'MUST',
    requirement: 'PCR 20 is extendable at localities 1-3; at locality 1 TPM2_PCR_Extend succeeds and the value is H(old || digest).',
    capabilities: ['tpm2.locality'],
    run: async (x) => {
      await x.locality(1);
      const before = await x.pcr(ALG.SHA256, 20);
      const d = digestOf(ALG.SHA256, 4);
      x.rc((await x.c.pcrExtend(20, [{ hashAlg: ALG.SHA256, digest: d }])).rc, RC.SUCCESS, 'TPM2_PCR_Extend(PCR 20) at locality 1');
      x.bytes(await x.pcr(ALG.SHA256, 20), hash(ALG.SHA256, before, d), 'PCR 20');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.reset-static-refused',
    title: 'TPM2_PCR_Reset of PCR 0 answers TPM_RC_LOCALITY',
    spec: P3,
    clause: RESET,
    level: 'MUST',
    requirement: 'A PCR that is not resettable at the command locality cannot be reset: TPM2_PCR_Reset(PCR 0) at locality 0 fails with TPM_RC_LOCALITY (0x907) and PCR 0 keeps its value.',
    run: async (x) => {
      const before = await x.pcr(ALG.SHA256, 0);
      x.rc((await x.c.pcrReset(0)).rc, RC.LOCALITY, 'TPM2_PCR_Reset(PCR 0)');
      x.bytes(await x.pcr(ALG.SHA256, 0), before, 'PCR 0');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.reset-debug',
    title: 'TPM2_PCR_Reset of PCR 16 sets it to zero in every bank',
    spec: P3,
    clause: RESET,
    level: 'MUST',
    requirement: 'PCR 16 (debug) is resettable at locality 0: after TPM2_PCR_Reset every allocated bank holds zeros for it.',
    run: async (x) => {
      x.ok(await x.c.pcrExtend(DEBUG_PCR, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 5) }]), 'TPM2_PCR_Extend(PCR 16)');
      x.rc((await x.c.pcrReset(DEBUG_PCR)).rc, RC.SUCCESS, 'TPM2_PCR_Reset(PCR 16)');
      for (const a of await x.banks()) x.bytes(await x.pcr(a, DEBUG_PCR), new Uint8Array(hashSize(a)), `${algName(a)} PCR 16 after reset`);
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.reset-application',
    title: 'TPM2_PCR_Reset of PCR 23 sets it to zero',
    spec: P3,
    clause: RESET,
    level: 'MUST',
    requirement: 'PCR 23 (application support) is resettable at locality 0: after TPM2_PCR_Reset its SHA-256 value is zero.',
    run: async (x) => {
      x.ok(await x.c.pcrExtend(APP_PCR, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 6) }]), 'TPM2_PCR_Extend(PCR 23)');
      x.rc((await x.c.pcrReset(APP_PCR)).rc, RC.SUCCESS, 'TPM2_PCR_Reset(PCR 23)');
      x.bytes(await x.pcr(ALG.SHA256, APP_PCR), new Uint8Array(32), 'PCR 23 after reset');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.reset-locality-4-refused',
    title: 'TPM2_PCR_Reset of PCR 16 at locality 4 answers TPM_RC_LOCALITY',
    spec: PTP,
    clause: 'PCR Attributes (reset localities)',
    level: 'MUST',
    requirement: 'PCR 16 resets at localities 0-3 only; at locality 4 TPM2_PCR_Reset fails with TPM_RC_LOCALITY (0x907).',
    capabilities: ['tpm2.locality'],
    run: async (x) => {
      await x.locality(4);
      x.rc((await x.c.pcrReset(DEBUG_PCR)).rc, RC.LOCALITY, 'TPM2_PCR_Reset(PCR 16) at locality 4');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.reset-locality-2',
    title: 'PCR 20 resets at locality 2 but not at locality 0',
    spec: PTP,
    clause: 'PCR Attributes (reset localities)',
    level: 'MUST',
    requirement: 'PCR 20 is resettable at locality 2 (and 4) only: TPM2_PCR_Reset(PCR 20) fails with TPM_RC_LOCALITY at locality 0 and succeeds, zeroing the PCR, at locality 2.',
    capabilities: ['tpm2.locality'],
    run: async (x) => {
      x.rc((await x.c.pcrReset(20)).rc, RC.LOCALITY, 'TPM2_PCR_Reset(PCR 20) at locality 0');
      await x.locality(2);
      x.rc((await x.c.pcrReset(20)).rc, RC.SUCCESS, 'TPM2_PCR_Reset(PCR 20) at locality 2');
      x.bytes(await x.pcr(ALG.SHA256, 20), new Uint8Array(32), 'PCR 20 after the reset');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.reset-null-refused',
    title: 'TPM2_PCR_Reset of TPM_RH_NULL answers TPM_RC_VALUE for handle 1',
    spec: P3,
    clause: RESET,
    level: 'MUST',
    requirement: 'pcrHandle of TPM2_PCR_Reset is a TPMI_DH_PCR without the + decoration: TPM_RH_NULL fails with TPM_RC_VALUE + TPM_RC_H + TPM_RC_1 (0x184).',
    run: async (x) => {
      x.rc((await x.c.pcrReset(RH.NULL)).rc, rcH(RC.VALUE, 1), 'TPM2_PCR_Reset(TPM_RH_NULL)');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.event-digests',
    title: 'TPM2_PCR_Event extends with H(eventData) and returns those digests',
    spec: P3,
    clause: EVENT,
    level: 'MUST',
    requirement: 'TPM2_PCR_Event hashes eventData with each implemented hash, returns the digests (one per algorithm, each equal to H_alg(eventData)) and extends the PCR of each allocated bank with its digest.',
    run: async (x) => {
      const data = new TextEncoder().encode('fwsec PCR_Event');
      const banks = await x.banks();
      const before = await Promise.all(banks.map((a) => x.pcr(a, DEBUG_PCR)));
      const r = await x.c.pcrEvent(DEBUG_PCR, data);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_PCR_Event(PCR 16)');
      for (const d of r.digests!) if (HASH_ALGS.includes(d.hashAlg)) x.bytes(d.digest, hash(d.hashAlg, data), `returned ${algName(d.hashAlg)} digest`);
      for (const [i, a] of banks.entries()) {
        x.t.assert(r.digests!.some((d) => d.hashAlg === a), `no ${algName(a)} digest returned for an allocated bank`);
        x.bytes(await x.pcr(a, DEBUG_PCR), hash(a, before[i]!, hash(a, data)), `${algName(a)} PCR 16`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.event-null',
    title: 'TPM2_PCR_Event on TPM_RH_NULL only hashes',
    spec: P3,
    clause: EVENT,
    level: 'MUST',
    requirement: 'With pcrHandle TPM_RH_NULL, TPM2_PCR_Event returns the digests of eventData and extends no PCR.',
    run: async (x) => {
      const before = await x.pcr(ALG.SHA256, DEBUG_PCR);
      const data = Uint8Array.from([1, 2, 3]);
      const r = await x.c.pcrEvent(RH.NULL, data);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_PCR_Event(TPM_RH_NULL)');
      const d = r.digests!.find((v) => v.hashAlg === ALG.SHA256);
      x.bytes(d?.digest, hash(ALG.SHA256, data), 'SHA-256 digest returned');
      x.bytes(await x.pcr(ALG.SHA256, DEBUG_PCR), before, 'PCR 16');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.event-too-large',
    title: 'eventData of more than 1024 bytes answers TPM_RC_SIZE for parameter 1',
    spec: P3,
    clause: EVENT,
    level: 'MUST',
    requirement: 'eventData is a TPM2B_EVENT (at most 1024 bytes); 1025 bytes fail with TPM_RC_SIZE + TPM_RC_P + TPM_RC_1 (0x1D5).',
    run: async (x) => {
      const r = await x.c.rawRc(rawCmd(ST.SESSIONS, CC.PCR_Event, concat(u32(DEBUG_PCR), u32(PW_SESSION.length), PW_SESSION, u16(1025), new Uint8Array(1025))), 'TPM2_PCR_Event with 1025 bytes');
      x.rc(r.rc, rcP(RC.SIZE, 1), 'TPM2_PCR_Event with 1025 bytes of eventData');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.read-banks-in-order',
    title: 'TPM2_PCR_Read returns values in selection order across banks',
    spec: P3,
    clause: READ,
    level: 'MUST',
    requirement: 'PCR_Read returns the selected PCRs bank by bank in the order of pcrSelectionIn and PCR index order within a bank; pcrSelectionOut equals the selection when at most 8 PCRs are selected.',
    run: async (x) => {
      const banks = (await x.banks()).slice(0, 2);
      const sels = banks.map((a) => sel(a, 16, 23));
      const r = await x.c.pcrRead(sels);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_PCR_Read');
      x.t.expectEqual(r.values!.length, banks.length * 2, 'digests returned');
      let i = 0;
      for (const a of banks) {
        for (const p of [16, 23]) x.bytes(r.values![i++], await x.pcr(a, p), `${algName(a)} PCR ${p} in the combined read`);
      }
      x.t.expectEqual(JSON.stringify(r.selection!.map((s) => [s.hash, [...s.select]])), JSON.stringify(sels.map((s) => [s.hash, [...s.select]])), 'pcrSelectionOut');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.read-eight-max',
    title: 'TPM2_PCR_Read returns at most eight digests and says which in pcrSelectionOut',
    spec: P3,
    clause: READ,
    level: 'MUST',
    requirement: 'TPML_DIGEST holds at most 8 digests: reading 12 PCRs returns 8 (or fewer), and pcrSelectionOut selects exactly the PCRs whose values were returned, so a caller can ask for the rest.',
    run: async (x) => {
      const want = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
      const r = await x.c.pcrRead([sel(ALG.SHA256, ...want)]);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_PCR_Read of 12 PCRs');
      x.t.assert(r.values!.length <= 8 && r.values!.length > 0, `${r.values!.length} digests returned`, { expected: '1..8', actual: String(r.values!.length) });
      const out = r.selection![0]!.select;
      let n = 0;
      for (let p = 0; p < 24; p++) if (has(out, p)) n++;
      x.t.expectEqual(n, r.values!.length, 'PCRs selected in pcrSelectionOut against digests returned');
      for (let p = 0, i = 0; p < 24; p++) if (has(out, p)) x.bytes(r.values![i++], await x.pcr(ALG.SHA256, p), `PCR ${p}`);
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.read-unknown-hash',
    title: 'TPM2_PCR_Read with an undefined hash answers TPM_RC_HASH for parameter 1',
    spec: P3,
    clause: READ,
    level: 'MUST',
    requirement: 'TPMS_PCR_SELECTION.hash is a TPMI_ALG_HASH; 0x0099 fails with TPM_RC_HASH + TPM_RC_P + TPM_RC_1 (0x1C3).',
    run: async (x) => {
      const r = await x.c.rawRc(rawCmd(ST.NO_SESSIONS, CC.PCR_Read, concat(u32(1), u16(0x0099), new Uint8Array([3, 1, 0, 0]))), 'TPM2_PCR_Read(hash 0x0099)');
      x.rc(r.rc, rcP(RC.HASH, 1), 'TPM2_PCR_Read with hash 0x0099');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.read-select-size',
    title: 'a sizeofSelect above PCR_SELECT_MAX answers TPM_RC_VALUE for parameter 1',
    spec: P2,
    clause: '10.6.2 TPMS_PCR_SELECTION',
    level: 'MUST',
    requirement: 'sizeofSelect is bounded by PCR_SELECT_MIN and PCR_SELECT_MAX; sizeofSelect 200 fails with TPM_RC_VALUE + TPM_RC_P + TPM_RC_1 (0x1C4).',
    run: async (x) => {
      const r = await x.c.rawRc(rawCmd(ST.NO_SESSIONS, CC.PCR_Read, concat(u32(1), u16(ALG.SHA256), new Uint8Array([200]), new Uint8Array(200))), 'TPM2_PCR_Read with sizeofSelect 200');
      x.rc(r.rc, rcP(RC.VALUE, 1), 'sizeofSelect 200');
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.update-counter',
    title: 'pcrUpdateCounter increases when a counted PCR is extended',
    spec: P3,
    clause: READ,
    level: 'MUST',
    requirement: 'TPM2_PCR_Read returns pcrUpdateCounter; extending a PCR that is not in the TPM_PT_PCR_NO_INCREMENT set (PCR 23 or 16) increases it.',
    run: async (x) => {
      const noInc = await pcrProperty(x, PT_PCR.NO_INCREMENT);
      const pcr = [APP_PCR, DEBUG_PCR].find((p) => !has(noInc, p));
      if (pcr === undefined) return x.t.unsupported('PCRs 16 and 23 are both in TPM_PT_PCR_NO_INCREMENT');
      const a = await x.c.pcrRead([sel(ALG.SHA256, 0)]);
      x.ok(await x.c.pcrExtend(pcr, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 7) }]), `TPM2_PCR_Extend(PCR ${pcr})`);
      const b = await x.c.pcrRead([sel(ALG.SHA256, 0)]);
      x.t.assert(b.counter! > a.counter!, `pcrUpdateCounter went from ${a.counter} to ${b.counter}`, { expected: `> ${a.counter}`, actual: String(b.counter) });
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.update-counter-static',
    title: 'pcrUpdateCounter increases when a static PCR is extended',
    spec: P3,
    clause: READ,
    level: 'MUST',
    requirement: 'Extending PCR 12 (a static PCR, never in the TPM_PT_PCR_NO_INCREMENT set of a PC Client TPM) increases the pcrUpdateCounter TPM2_PCR_Read returns.',
    destructive: true,
    run: async (x) => {
      const a = await x.c.pcrRead([sel(ALG.SHA256, 0)]);
      x.ok(await x.c.pcrExtend(12, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 9) }]), 'TPM2_PCR_Extend(PCR 12)');
      const b = await x.c.pcrRead([sel(ALG.SHA256, 0)]);
      x.t.assert(b.counter! > a.counter!, `pcrUpdateCounter went from ${a.counter} to ${b.counter}`, { expected: `> ${a.counter}`, actual: String(b.counter) });
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.no-increment-honest',
    title: 'PCRs in TPM_PT_PCR_NO_INCREMENT do not change pcrUpdateCounter',
    spec: P3,
    clause: READ,
    level: 'MUST',
    requirement: 'A change to a PCR listed in TPM_PT_PCR_NO_INCREMENT leaves pcrUpdateCounter unchanged (checked by extending such a PCR at a locality that may extend it).',
    capabilities: ['tpm2.locality'],
    run: async (x) => {
      const noInc = await pcrProperty(x, PT_PCR.NO_INCREMENT);
      const pcr = [20, 21, 22].find((p) => has(noInc, p));
      if (pcr === undefined) return x.t.unsupported('TPM_PT_PCR_NO_INCREMENT lists none of PCRs 20-22');
      await x.locality(2);
      const a = await x.c.pcrRead([sel(ALG.SHA256, 0)]);
      x.ok(await x.c.pcrExtend(pcr, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 8) }]), `TPM2_PCR_Extend(PCR ${pcr}) at locality 2`);
      const b = await x.c.pcrRead([sel(ALG.SHA256, 0)]);
      x.t.expectEqual(b.counter, a.counter, `pcrUpdateCounter after extending PCR ${pcr}`);
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.drtm-initial',
    title: 'PCRs 17-22 hold all ones after TPM Reset without DRTM',
    spec: PTP,
    clause: 'PCR Initial and Reset Values',
    level: 'MUST',
    requirement: 'On a PC Client TPM, after _TPM_Init and TPM2_Startup(CLEAR) with no DRTM event, PCRs 17-22 contain all 0xFF and PCRs 16 and 23 all zeros, in every bank.',
    capabilities: ['tpm2.power-cycle'],
    destructive: true,
    run: async (x) => {
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      for (const a of await x.banks()) {
        for (let p = 17; p <= 22; p++) x.bytes(await x.pcr(a, p), new Uint8Array(hashSize(a)).fill(0xff), `${algName(a)} PCR ${p}`);
        for (const p of [16, 23]) x.bytes(await x.pcr(a, p), new Uint8Array(hashSize(a)), `${algName(a)} PCR ${p}`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.pcr.extend-l0-honest',
    title: 'TPM_PT_PCR_EXTEND_L0 lists exactly the PCRs extendable at locality 0',
    spec: P3,
    clause: EXTEND,
    level: 'MUST',
    requirement: 'The PCR property TPM_PT_PCR_EXTEND_L0 selects the PCRs TPM2_PCR_Extend may extend at locality 0: each of PCRs 0-23 extends at locality 0 if and only if it is selected (others answer TPM_RC_LOCALITY).',
    destructive: true,
    run: async (x) => {
      const s = await pcrProperty(x, PT_PCR.EXTEND_L0);
      for (let p = 0; p < 24; p++) {
        const rc = (await x.c.pcrExtend(p, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 0x60) }])).rc;
        x.rc(rc, has(s, p) ? RC.SUCCESS : RC.LOCALITY, `TPM2_PCR_Extend(PCR ${p}) at locality 0 (TPM_PT_PCR_EXTEND_L0 ${has(s, p) ? 'lists' : 'does not list'} it)`);
      }
    },
  }),
];

export { PT };
