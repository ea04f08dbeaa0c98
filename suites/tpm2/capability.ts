// Part 3, 30 Capability Commands: TPM2_GetCapability (paging with
// moreData, each capability) and TPM2_TestParms, and the fixed properties
// checked against what the TPM actually does. Field cases: a TPM reporting
// TPM_PT_NV_BUFFER_MAX = 0 (tpm2-tools#1002/#1013), a TPM listing
// TPM2_CreateLoaded without implementing it (Dasharo#767).
import { ALG, CAP, CC, ECC_CURVE, HT, PT, PT_PCR, RH, ST, TPMA_ALGORITHM, TPMA_CC, ccShort, handleName } from '../../protocol/tpm2/constants.js';
import { HASH_ALGS, hashSize } from '../../protocol/tpm2/crypto.js';
import { TpmWriter } from '../../protocol/tpm2/marshal.js';
import { RC, rcP } from '../../protocol/tpm2/rc.js';
import { writePublicParmsOnly, type CapabilityData } from '../../protocol/tpm2/structures.js';
import { eccStorage, rsaSigning, rsaStorage } from '../../protocol/tpm2/templates.js';
import { P3, PTP, concat, rawCmd, tpmCheck, u16, u32, type Tx } from './common.js';

const GETCAP = '30.2 TPM2_GetCapability';
const TESTPARMS = '30.3 TPM2_TestParms';

type Props = Extract<CapabilityData, { capability: typeof CAP.TPM_PROPERTIES }>;

async function page(x: Tx, cap: number, property: number, count: number) {
  const r = await x.c.getCapability(cap, property, count);
  x.rc(r.rc, RC.SUCCESS, `TPM2_GetCapability(${cap}, 0x${property.toString(16)}, ${count})`);
  return r;
}

function parms(t: Parameters<typeof writePublicParmsOnly>[1]): Uint8Array {
  const w = new TpmWriter();
  writePublicParmsOnly(w, t);
  return w.finish();
}

/** (cHandles, rHandle) of commands every TPM defines the same way (Part 3 command tables). */
const HANDLE_COUNTS: [number, number, boolean][] = [
  [CC.GetRandom, 0, false],
  [CC.PCR_Read, 0, false],
  [CC.PCR_Extend, 1, false],
  [CC.NV_Write, 2, false],
  [CC.NV_Read, 2, false],
  [CC.NV_DefineSpace, 1, false],
  [CC.NV_UndefineSpace, 2, false],
  [CC.CreatePrimary, 1, true],
  [CC.Create, 1, false],
  [CC.Load, 1, true],
  [CC.StartAuthSession, 2, true],
  [CC.ContextSave, 1, false],
  [CC.ContextLoad, 0, true],
  [CC.FlushContext, 0, false],
  [CC.EvictControl, 2, false],
  [CC.HashSequenceStart, 0, true],
  [CC.Sign, 1, false],
];

export default [
  tpmCheck({
    id: 'tpm2.capability.family-level',
    title: 'TPM_PT_FAMILY_INDICATOR is "2.0" and TPM_PT_LEVEL is 0',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'TPM_PT_FAMILY_INDICATOR is the ASCII string "2.0" (0x322E3000) and TPM_PT_LEVEL is 0 for a TPM of the TPM 2.0 library family (Part 2, 6.13 TPM_PT).',
    run: async (x) => {
      x.t.expectEqual(await x.prop(PT.FAMILY_INDICATOR), 0x322e3000, 'TPM_PT_FAMILY_INDICATOR', (v) => `0x${v.toString(16)}`);
      x.t.expectEqual(await x.prop(PT.LEVEL), 0, 'TPM_PT_LEVEL');
      const rev = await x.prop(PT.REVISION);
      x.t.assert(rev >= 116 && rev < 1000, `TPM_PT_REVISION ${rev} is not a published library revision (1.16 and later)`, { expected: '116..999', actual: String(rev) });
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.properties-ordered',
    title: 'TPM_CAP_TPM_PROPERTIES lists properties at or after the one asked, in ascending order',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'The returned properties start at the requested property (or the next one implemented) and are in ascending order without repeats (fixed group 0x100 and variable group 0x200).',
    run: async (x) => {
      for (const from of [PT.FAMILY_INDICATOR, PT.INPUT_BUFFER, PT.PERMANENT]) {
        const r = await page(x, CAP.TPM_PROPERTIES, from, 16);
        const list = (r.data as Props).properties;
        x.t.assert(list.length > 0, `no properties at or after 0x${from.toString(16)}`, { expected: 'at least one', actual: 'none' });
        x.t.assert(list[0]!.property >= from, `first property 0x${list[0]!.property.toString(16)} is before the requested 0x${from.toString(16)}`);
        for (let i = 1; i < list.length; i++) {
          x.t.assert(list[i]!.property > list[i - 1]!.property, `properties not ascending: 0x${list[i - 1]!.property.toString(16)} then 0x${list[i]!.property.toString(16)}`);
        }
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.property-count',
    title: 'propertyCount limits the list and moreData says more exist',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'With propertyCount 1 the TPM returns one property and moreData = YES when more exist; moreData is a TPMI_YES_NO (0 or 1).',
    run: async (x) => {
      const r = await page(x, CAP.TPM_PROPERTIES, PT.FAMILY_INDICATOR, 1);
      x.t.expectEqual((r.data as Props).properties.length, 1, 'properties returned for propertyCount 1');
      x.t.expectEqual(r.moreDataByte, 1, 'moreData (YES = 1)');
      const all = await page(x, CAP.TPM_PROPERTIES, PT.PERMANENT, 200);
      x.t.assert(all.moreDataByte === 0 || all.moreDataByte === 1, `moreData byte ${all.moreDataByte} is not YES or NO`);
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.paging-complete',
    title: 'paging TPM_CAP_TPM_PROPERTIES with moreData yields the full list once',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'Following moreData with small pages (propertyCount 5, next property = last + 1) returns exactly the properties one large request returns, each once: tools such as tpm2_getcap loop on moreData.',
    run: async (x) => {
      const big = await x.c.getCapabilityAll(CAP.TPM_PROPERTIES, PT.FAMILY_INDICATOR, (d) => (d.capability === CAP.TPM_PROPERTIES ? d.properties : []), (p) => p.property + 1, 127);
      const small = await x.c.getCapabilityAll(CAP.TPM_PROPERTIES, PT.FAMILY_INDICATOR, (d) => (d.capability === CAP.TPM_PROPERTIES ? d.properties : []), (p) => p.property + 1, 5);
      x.ok(big, 'TPM2_GetCapability paging with propertyCount 127');
      x.ok(small, 'TPM2_GetCapability paging with propertyCount 5');
      const a = big.items.map((p) => p.property).filter((p) => p < PT.PERMANENT);
      const b = small.items.map((p) => p.property).filter((p) => p < PT.PERMANENT);
      x.t.expectEqual(b.join(','), a.join(','), 'fixed properties paged by 5 against one request', (v) => `[${v.split(',').length} properties]`);
      x.t.expectEqual(new Set(b).size, b.length, 'distinct properties in the paged list');
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.max-digest-consistent',
    title: 'TPM_PT_MAX_DIGEST is the largest digest of the implemented hash algorithms',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'TPM_PT_MAX_DIGEST is the size of the largest digest the TPM produces: it equals the largest digest size among the hash algorithms TPM_CAP_ALGS lists (tpm2_getrandom reads it first).',
    run: async (x) => {
      const algs = await x.implementedAlgs();
      const hashes = [...algs.entries()].filter(([a, attr]) => attr & TPMA_ALGORITHM.hash && HASH_ALGS.includes(a)).map(([a]) => hashSize(a));
      const want = Math.max(...hashes);
      x.t.expectEqual(await x.prop(PT.MAX_DIGEST), want, 'TPM_PT_MAX_DIGEST against the largest implemented hash');
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.nv-buffer-max-sane',
    title: 'TPM_PT_NV_BUFFER_MAX is usable',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'TPM_PT_NV_BUFFER_MAX (the largest NV_Write / NV_Read data) is at least 512 bytes (the PC Client minimum) and no larger than TPM_PT_MAX_COMMAND_SIZE; a TPM reporting 0 breaks every NV tool (tpm2-tools#1002).',
    run: async (x) => {
      const nv = await x.prop(PT.NV_BUFFER_MAX);
      const cmd = await x.prop(PT.MAX_COMMAND_SIZE);
      x.t.assert(nv >= 512 && nv <= cmd, `TPM_PT_NV_BUFFER_MAX is ${nv} (TPM_PT_MAX_COMMAND_SIZE ${cmd})`, { expected: `512..${cmd}`, actual: String(nv) });
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.input-buffer-honoured',
    title: 'TPM2_Hash accepts TPM_PT_INPUT_BUFFER bytes and refuses one more',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'TPM_PT_INPUT_BUFFER is the size of the largest TPM2B_MAX_BUFFER: TPM2_Hash of that many bytes succeeds and one byte more fails with TPM_RC_SIZE + TPM_RC_P + TPM_RC_1 (0x1D5).',
    run: async (x) => {
      const n = await x.prop(PT.INPUT_BUFFER);
      const max = await x.prop(PT.MAX_COMMAND_SIZE);
      if (n + 1 + 18 > max) x.t.unsupported(`TPM_PT_INPUT_BUFFER ${n} leaves no room for one more byte in a ${max}-byte command`);
      x.rc((await x.c.hash(new Uint8Array(n), ALG.SHA256, RH.NULL)).rc, RC.SUCCESS, `TPM2_Hash of ${n} bytes`);
      x.rc((await x.c.hash(new Uint8Array(n + 1), ALG.SHA256, RH.NULL)).rc, rcP(RC.SIZE, 1), `TPM2_Hash of ${n + 1} bytes`);
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.algs-ordered',
    title: 'TPM_CAP_ALGS is ascending and paging by algorithm works',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'TPM_CAP_ALGS returns TPMS_ALG_PROPERTY entries at or after the requested algorithm, ascending without repeats; asking from the last listed algorithm + 1 returns none of the earlier ones.',
    run: async (x) => {
      const r = await page(x, CAP.ALGS, 0, 169);
      const list = (r.data as Extract<CapabilityData, { capability: typeof CAP.ALGS }>).algs;
      x.t.assert(list.length > 0, 'TPM_CAP_ALGS lists no algorithm');
      for (let i = 1; i < list.length; i++) x.t.assert(list[i]!.alg > list[i - 1]!.alg, `algorithms not ascending: 0x${list[i - 1]!.alg.toString(16)} then 0x${list[i]!.alg.toString(16)}`);
      const mid = list[Math.floor(list.length / 2)]!.alg;
      const r2 = await page(x, CAP.ALGS, mid, 169);
      const l2 = (r2.data as Extract<CapabilityData, { capability: typeof CAP.ALGS }>).algs;
      x.t.assert(l2.every((a) => a.alg >= mid), `TPM_CAP_ALGS from 0x${mid.toString(16)} returned an earlier algorithm`);
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.algs-required',
    title: 'the algorithms a PC Client TPM must implement are listed',
    spec: PTP,
    clause: 'Mandatory algorithms (TPM_ALG_ID table)',
    level: 'MUST',
    requirement: 'A PC Client TPM implements SHA-256, HMAC, AES with CFB, KEYEDHASH, RSA or ECC and their signing schemes (RSASSA/RSAPSS or ECDSA), and lists them in TPM_CAP_ALGS with the matching TPMA_ALGORITHM bits (hash for SHA-256, symmetric for AES, asymmetric|object for RSA/ECC).',
    run: async (x) => {
      const algs = await x.implementedAlgs();
      const need: [number, string, number][] = [
        [ALG.SHA256, 'SHA256', TPMA_ALGORITHM.hash],
        [ALG.HMAC, 'HMAC', TPMA_ALGORITHM.hash],
        [ALG.AES, 'AES', TPMA_ALGORITHM.symmetric],
        [ALG.CFB, 'CFB', TPMA_ALGORITHM.symmetric],
        [ALG.KEYEDHASH, 'KEYEDHASH', TPMA_ALGORITHM.object],
      ];
      for (const [alg, name, bits] of need) {
        x.t.assert(algs.has(alg), `TPM_CAP_ALGS does not list TPM_ALG_${name}`, { expected: `TPM_ALG_${name} listed`, actual: 'absent' });
        x.t.assert((algs.get(alg)! & bits) === bits, `TPM_ALG_${name} attributes 0x${algs.get(alg)!.toString(16)} lack 0x${bits.toString(16)}`);
      }
      x.t.assert(algs.has(ALG.RSA) || algs.has(ALG.ECC), 'neither RSA nor ECC is listed');
      for (const a of [ALG.RSA, ALG.ECC]) {
        if (algs.has(a)) x.t.assert((algs.get(a)! & (TPMA_ALGORITHM.asymmetric | TPMA_ALGORITHM.object)) === (TPMA_ALGORITHM.asymmetric | TPMA_ALGORITHM.object), `TPM_ALG_${a === ALG.RSA ? 'RSA' : 'ECC'} is not marked asymmetric|object`);
      }
      if (algs.has(ALG.RSA)) x.t.assert(algs.has(ALG.RSASSA) || algs.has(ALG.RSAPSS), 'RSA is listed without RSASSA or RSAPSS');
      if (algs.has(ALG.ECC)) x.t.assert(algs.has(ALG.ECDSA), 'ECC is listed without ECDSA');
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.ecc-curves',
    title: 'a TPM with ECC lists NIST P-256 in TPM_CAP_ECC_CURVES',
    spec: PTP,
    clause: 'Mandatory algorithms (ECC curves)',
    level: 'MUST',
    requirement: 'If TPM_ALG_ECC is implemented, TPM_CAP_ECC_CURVES lists TPM_ECC_NIST_P256, in ascending order.',
    run: async (x) => {
      await x.needAlg(ALG.ECC, 'TPM_ALG_ECC');
      const r = await page(x, CAP.ECC_CURVES, 0, 64);
      const curves = (r.data as Extract<CapabilityData, { capability: typeof CAP.ECC_CURVES }>).curves;
      x.t.assert(curves.includes(ECC_CURVE.NIST_P256), `TPM_CAP_ECC_CURVES lists ${curves.map((c) => `0x${c.toString(16)}`).join(', ')} but not NIST P-256`);
      for (let i = 1; i < curves.length; i++) x.t.assert(curves[i]! > curves[i - 1]!, 'curves are not ascending');
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.commands-ordered',
    title: 'TPM_CAP_COMMANDS lists each command once, ascending, and TPM_PT_TOTAL_COMMANDS agrees',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'TPM_CAP_COMMANDS returns TPMA_CC values in ascending commandIndex order without repeats; TPM_PT_TOTAL_COMMANDS equals the number listed and TPM_PT_LIBRARY_COMMANDS + TPM_PT_VENDOR_COMMANDS = TPM_PT_TOTAL_COMMANDS.',
    run: async (x) => {
      const cmds = await x.implementedCommands();
      for (let i = 1; i < cmds.length; i++) x.t.assert(cmds[i]! > cmds[i - 1]!, `commands not ascending: 0x${cmds[i - 1]!.toString(16)} then 0x${cmds[i]!.toString(16)}`);
      const total = await x.prop(PT.TOTAL_COMMANDS);
      x.t.expectEqual(cmds.length, total, 'commands listed against TPM_PT_TOTAL_COMMANDS');
      x.t.expectEqual((await x.prop(PT.LIBRARY_COMMANDS)) + (await x.prop(PT.VENDOR_COMMANDS)), total, 'LIBRARY_COMMANDS + VENDOR_COMMANDS');
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.listed-commands-implemented',
    title: 'every command TPM_CAP_COMMANDS lists is implemented',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'A command listed in TPM_CAP_COMMANDS is implemented: sent with an empty body it fails on its handles or parameters, never with TPM_RC_COMMAND_CODE (Dasharo#767: TPM2_CreateLoaded listed but answering 0x143 breaks tpm2_create).',
    run: async (x) => {
      const bad: string[] = [];
      for (const cc of await x.implementedCommands()) {
        if (cc === CC.Startup || cc & 0x20000000) continue;
        const r = await x.c.rawRc(rawCmd(ST.NO_SESSIONS, cc), `${ccShort(cc)} with no handles or parameters`);
        if (r.rc === RC.COMMAND_CODE) bad.push(ccShort(cc));
      }
      x.t.assert(bad.length === 0, `listed in TPM_CAP_COMMANDS but answering TPM_RC_COMMAND_CODE: ${bad.join(', ')}`, { expected: 'every listed command implemented', actual: bad.join(', ') });
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.implemented-commands-listed',
    title: 'every library command the TPM executes is listed in TPM_CAP_COMMANDS',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'TPM_CAP_COMMANDS reports the commands the TPM implements: a library command code (0x11F..0x198) that does not answer TPM_RC_COMMAND_CODE when sent with an empty body is in the list.',
    run: async (x) => {
      const listed = new Set(await x.implementedCommands());
      const missing: string[] = [];
      for (let cc: number = CC.NV_UndefineSpaceSpecial; cc <= CC.ACT_SetTimeout; cc++) {
        if (cc === CC.Startup || listed.has(cc)) continue;
        const r = await x.c.rawRc(rawCmd(ST.NO_SESSIONS, cc), `command 0x${cc.toString(16)} with no handles or parameters`);
        if (r.rc !== RC.COMMAND_CODE) missing.push(`${ccShort(cc)} (answered 0x${r.rc.toString(16)})`);
      }
      x.t.assert(missing.length === 0, `executed but not listed in TPM_CAP_COMMANDS: ${missing.join(', ')}`, { expected: 'the list matches the implementation', actual: missing.join(', ') });
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.command-attributes',
    title: 'TPMA_CC cHandles and rHandle match the command definitions',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'For each listed command, TPMA_CC.cHandles is the number of handles in its handle area and TPMA_CC.rHandle is set when the response returns a handle (checked for 17 commands whose tables every TPM shares, e.g. TPM2_NV_Write 2/no, TPM2_CreatePrimary 1/yes, TPM2_ContextLoad 0/yes).',
    run: async (x) => {
      const r = await x.c.getCapabilityAll(CAP.COMMANDS, 0, (d) => (d.capability === CAP.COMMANDS ? d.commands : []), (a) => (a & 0xffff) + 1);
      x.ok(r, 'TPM2_GetCapability(TPM_CAP_COMMANDS)');
      const attrs = new Map(r.items.map((a) => [a & 0xffff, a]));
      for (const [cc, handles, rHandle] of HANDLE_COUNTS) {
        const a = attrs.get(cc);
        if (a === undefined) continue;
        x.t.expectEqual((a & TPMA_CC.cHandles) >>> 25, handles, `${ccShort(cc)} TPMA_CC.cHandles`);
        x.t.expectEqual((a & TPMA_CC.rHandle) !== 0, rHandle, `${ccShort(cc)} TPMA_CC.rHandle`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.pcr-count',
    title: 'a PC Client TPM has at least 24 PCRs and a SHA-256 bank',
    spec: PTP,
    clause: 'PCR requirements (PCR count and banks)',
    level: 'MUST',
    requirement: 'TPM_PT_PCR_COUNT is at least 24, TPM_PT_PCR_SELECT_MIN at least 3, and TPM_CAP_PCRS allocates a SHA-256 bank; each TPMS_PCR_SELECTION has sizeofSelect of at least TPM_PT_PCR_SELECT_MIN.',
    run: async (x) => {
      const count = await x.prop(PT.PCR_COUNT);
      x.t.assert(count >= 24, `TPM_PT_PCR_COUNT is ${count}`, { expected: '>= 24', actual: String(count) });
      const min = await x.prop(PT.PCR_SELECT_MIN);
      x.t.assert(min >= 3, `TPM_PT_PCR_SELECT_MIN is ${min}`, { expected: '>= 3', actual: String(min) });
      const r = await page(x, CAP.PCRS, 0, 16);
      const sels = (r.data as Extract<CapabilityData, { capability: typeof CAP.PCRS }>).pcrs;
      for (const s of sels) x.t.assert(s.select.length >= min, `bank 0x${s.hash.toString(16)} has sizeofSelect ${s.select.length}`);
      x.t.assert((await x.banks()).includes(ALG.SHA256), 'no SHA-256 PCR bank is allocated');
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.pcrs-property-zero',
    title: 'TPM_CAP_PCRS with a non-zero property answers TPM_RC_VALUE for parameter 2',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'For TPM_CAP_PCRS the property must be zero; otherwise the TPM returns TPM_RC_VALUE + TPM_RC_P + TPM_RC_2 (0x2C4).',
    run: async (x) => {
      x.rc((await x.c.getCapability(CAP.PCRS, 1, 16)).rc, rcP(RC.VALUE, 2), 'TPM2_GetCapability(TPM_CAP_PCRS, property 1)');
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.unknown-capability',
    title: 'an undefined capability answers TPM_RC_VALUE for parameter 1',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'A capability value that is not a TPM_CAP fails with TPM_RC_VALUE + TPM_RC_P + TPM_RC_1 (0x1C4) (capability 0x55).',
    run: async (x) => {
      x.rc((await x.c.getCapability(0x55, 0, 1)).rc, rcP(RC.VALUE, 1), 'TPM2_GetCapability(capability 0x55)');
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.handles-bad-type',
    title: 'TPM_CAP_HANDLES for an undefined handle type answers TPM_RC_HANDLE for parameter 2',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'For TPM_CAP_HANDLES the property gives the handle type in its top byte; a type the TPM does not define (0x05) fails with TPM_RC_HANDLE + TPM_RC_P + TPM_RC_2 (0x2CB).',
    run: async (x) => {
      x.rc((await x.c.getCapability(CAP.HANDLES, 0x05000000, 8)).rc, rcP(RC.HANDLE, 2), 'TPM2_GetCapability(TPM_CAP_HANDLES, 0x05000000)');
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.handles-pcr-permanent',
    title: 'TPM_CAP_HANDLES lists every PCR and the permanent handles',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'TPM_CAP_HANDLES for TPM_HT_PCR lists PCR handles 0..TPM_PT_PCR_COUNT-1, and for TPM_HT_PERMANENT includes TPM_RH_OWNER, TPM_RH_NULL, TPM_RS_PW, TPM_RH_LOCKOUT, TPM_RH_ENDORSEMENT and TPM_RH_PLATFORM.',
    run: async (x) => {
      const count = await x.prop(PT.PCR_COUNT);
      const pcrs = await x.c.handles(HT.PCR);
      x.t.expectEqual(pcrs.length, count, 'PCR handles listed against TPM_PT_PCR_COUNT');
      pcrs.forEach((h, i) => x.t.expectEqual(h, i, `PCR handle #${i}`));
      const perm = new Set(await x.c.handles(HT.PERMANENT));
      for (const h of [RH.OWNER, RH.NULL, 0x40000009, RH.LOCKOUT, RH.ENDORSEMENT, RH.PLATFORM]) x.t.assert(perm.has(h), `${handleName(h)} is not listed under TPM_HT_PERMANENT`);
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.handles-moredata',
    title: 'TPM_CAP_HANDLES honours propertyCount and moreData for transient objects',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'With two objects loaded, TPM_CAP_HANDLES(TPM_HT_TRANSIENT, count 1) returns one handle with moreData = YES, and asking from that handle + 1 returns the other.',
    run: async (x) => {
      const a = await x.primary('ecc');
      const b = await x.primary('ecc');
      const first = await page(x, CAP.HANDLES, 0x80000000, 1);
      const h1 = (first.data as Extract<CapabilityData, { capability: typeof CAP.HANDLES }>).handles;
      x.t.expectEqual(h1.length, 1, 'handles returned for propertyCount 1');
      x.t.expectEqual(first.moreDataByte, 1, 'moreData with two objects loaded');
      const rest = await x.c.handles(HT.TRANSIENT);
      x.t.assert(rest.includes(a.handle) && rest.includes(b.handle), 'the loaded objects are not both listed');
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.transient-avail-tracks-loads',
    title: 'TPM_PT_HR_TRANSIENT_AVAIL drops by one when an object is loaded',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'TPM_PT_HR_TRANSIENT_AVAIL is the number of additional transient objects that could be loaded: it is one smaller after TPM2_CreatePrimary and back after TPM2_FlushContext.',
    run: async (x) => {
      const avail = async () => (await x.c.properties(PT.HR_TRANSIENT_AVAIL, 1)).get(PT.HR_TRANSIENT_AVAIL)!;
      const before = await avail();
      const p = await x.c.createPrimary(RH.OWNER, eccStorage(), { auth: x.ownerAuth() });
      x.ok(p, 'TPM2_CreatePrimary');
      const during = await avail();
      x.ok(await x.c.flushContext(p.handle!), 'TPM2_FlushContext');
      x.t.expectEqual(during, before - 1, 'TPM_PT_HR_TRANSIENT_AVAIL with one more object loaded');
      x.t.expectEqual(await avail(), before, 'TPM_PT_HR_TRANSIENT_AVAIL after the flush');
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.transient-min-honoured',
    title: 'TPM_PT_HR_TRANSIENT_MIN objects can be loaded at once',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'TPM_PT_HR_TRANSIENT_MIN is the number of transient objects the TPM can always hold: that many primaries load at the same time (after any already loaded are accounted for); one more may fail only with TPM_RC_OBJECT_MEMORY.',
    run: async (x) => {
      const min = await x.prop(PT.HR_TRANSIENT_MIN);
      const loaded = (await x.c.handles(HT.TRANSIENT)).length;
      for (let i = loaded; i < min; i++) await x.primary('ecc');
      const extra = await x.c.createPrimary(RH.OWNER, eccStorage(), { auth: x.ownerAuth() });
      if (extra.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(extra.handle!));
      x.rc(extra.rc, [RC.SUCCESS, RC.OBJECT_MEMORY], `one object more than TPM_PT_HR_TRANSIENT_MIN (${min})`);
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.loaded-sessions-min-honoured',
    title: 'TPM_PT_HR_LOADED_MIN sessions can be loaded at once',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'TPM_PT_HR_LOADED_MIN is the number of sessions the TPM can always hold loaded: that many HMAC sessions start at the same time; one more may fail only with TPM_RC_SESSION_MEMORY.',
    run: async (x) => {
      const min = await x.prop(PT.HR_LOADED_MIN);
      const loaded = (await x.c.handles(HT.LOADED_SESSION)).length;
      for (let i = loaded; i < min; i++) await x.session();
      const extra = await x.c.startAuthSession({});
      if (extra.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(extra.session!.handle));
      x.rc(extra.rc, [RC.SUCCESS, RC.SESSION_MEMORY], `one session more than TPM_PT_HR_LOADED_MIN (${min})`);
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.pcr-reset-l0-honest',
    title: 'TPM_PT_PCR_RESET_L0 lists exactly the PCRs that reset at locality 0',
    spec: P3,
    clause: GETCAP,
    level: 'MUST',
    requirement: 'The PCR property TPM_PT_PCR_RESET_L0 (TPM_CAP_PCR_PROPERTIES) selects the PCRs TPM2_PCR_Reset may reset at locality 0: each of PCRs 0-23 resets at locality 0 if and only if it is selected (others answer TPM_RC_LOCALITY).',
    destructive: true,
    run: async (x) => {
      const r = await page(x, CAP.PCR_PROPERTIES, PT_PCR.RESET_L0, 1);
      const props = (r.data as Extract<CapabilityData, { capability: typeof CAP.PCR_PROPERTIES }>).pcrProperties;
      x.t.expectEqual(props[0]?.tag, PT_PCR.RESET_L0, 'tag of the first PCR property returned');
      const sel = props[0]!.select;
      for (let p = 0; p < 24; p++) {
        const listed = ((sel[p >> 3] ?? 0) & (1 << (p & 7))) !== 0;
        const rc = (await x.c.pcrReset(p)).rc;
        x.rc(rc, listed ? RC.SUCCESS : RC.LOCALITY, `TPM2_PCR_Reset(PCR ${p}) at locality 0 (TPM_PT_PCR_RESET_L0 ${listed ? 'lists' : 'does not list'} it)`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.testparms-supported',
    title: 'TPM2_TestParms accepts the key types the TPM lists',
    spec: P3,
    clause: TESTPARMS,
    level: 'MUST',
    requirement: 'TPM2_TestParms returns TPM_RC_SUCCESS for parameters the TPM supports: an ECC P-256 storage key if ECC is listed, an RSA-2048 storage key and an RSASSA-SHA256 signing key if RSA is listed.',
    run: async (x) => {
      const algs = await x.implementedAlgs();
      if (algs.has(ALG.ECC)) x.rc((await x.c.testParms(parms(eccStorage()))).rc, RC.SUCCESS, 'TPM2_TestParms(ECC P-256, AES-128-CFB)');
      if (algs.has(ALG.RSA)) {
        x.rc((await x.c.testParms(parms(rsaStorage()))).rc, RC.SUCCESS, 'TPM2_TestParms(RSA-2048, AES-128-CFB)');
        x.rc((await x.c.testParms(parms(rsaSigning()))).rc, RC.SUCCESS, 'TPM2_TestParms(RSA-2048, RSASSA-SHA256)');
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.capability.testparms-unsupported',
    title: 'TPM2_TestParms refuses unsupported parameters with their unmarshalling codes',
    spec: P3,
    clause: TESTPARMS,
    level: 'MUST',
    requirement: 'Parameters the TPM does not support fail as TPMT_PUBLIC_PARMS unmarshalling fails, for parameter 1: an undefined object type 0x0099 gives TPM_RC_TYPE (0x1CA); ECC curve 0x0099 gives TPM_RC_CURVE (0x1E6); RSA keyBits 1000 gives TPM_RC_VALUE (0x1C4).',
    run: async (x) => {
      x.rc((await x.c.testParms(concat(u16(0x0099), new Uint8Array(8)))).rc, rcP(RC.TYPE, 1), 'TPM2_TestParms(type 0x0099)');
      const algs = await x.implementedAlgs();
      if (algs.has(ALG.ECC)) {
        const e = eccStorage();
        e.curveId = 0x0099;
        x.rc((await x.c.testParms(parms(e))).rc, rcP(RC.CURVE, 1), 'TPM2_TestParms(ECC curve 0x0099)');
      }
      if (algs.has(ALG.RSA)) {
        const r = rsaStorage();
        r.keyBits = 1000;
        x.rc((await x.c.testParms(parms(r))).rc, rcP(RC.VALUE, 1), 'TPM2_TestParms(RSA keyBits 1000)');
      }
    },
  }),
];

export { u32 };
