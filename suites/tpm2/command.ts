// Part 3, 5 Command Processing and 6 Response Values: header, handle area,
// session area and parameter validation in the order the specification
// gives, and the format of responses. Malformed commands are sent raw.
import { ALG, CC, HT, RH, SE, ST, SU, TPMA_SESSION } from '../../protocol/tpm2/constants.js';
import { eccStorage } from '../../protocol/tpm2/templates.js';
import { decodeHeader } from '../../protocol/tpm2/command.js';
import { RC, rcH, rcP, rcS } from '../../protocol/tpm2/rc.js';
import { pw } from '../../clients/tpm2.js';
import { P1, P2, P3, PW_SESSION, concat, digestOf, rawCmd, tpmCheck, u16, u32, type Tx } from './common.js';

const CLAUSE = {
  header: '5.2 Command Header Validation',
  mode: '5.3 Mode Checks',
  handles: '5.4 Handle Area Validation',
  sessions: '5.5 Session Area Validation',
  auth: '5.6 Authorization Checks',
  params: '5.8 Parameter Unmarshaling',
  response: '6 Response Values',
};

const GET_RANDOM_8 = u16(8);

async function send(x: Tx, bytes: Uint8Array, label: string): Promise<{ rc: number; raw: Uint8Array }> {
  return x.c.rawRc(bytes, label);
}

function authArea(...sessions: Uint8Array[]): Uint8Array {
  const body = concat(...sessions);
  return concat(u32(body.length), body);
}

function session(handle: number, nonce: Uint8Array, attrs: number, hmac: Uint8Array): Uint8Array {
  return concat(u32(handle), u16(nonce.length), nonce, new Uint8Array([attrs]), u16(hmac.length), hmac);
}

/** PCR_Extend(PCR 16) digests parameter: one SHA-256 digest. */
function extendParams(): Uint8Array {
  return concat(u32(1), u16(ALG.SHA256), digestOf(ALG.SHA256, 0x11));
}

export default [
  tpmCheck({
    id: 'tpm2.command.bad-tag',
    title: 'a structure tag that is not a command tag is refused with TPM_RC_BAD_TAG',
    spec: P3,
    clause: CLAUSE.header,
    level: 'MUST',
    requirement: 'The TPM shall unmarshal a TPMI_ST_COMMAND_TAG and verify that it is either TPM_ST_SESSIONS or TPM_ST_NO_SESSIONS (TPM_RC_BAD_TAG): TPM_ST_RSP_COMMAND (0x00C4), TPM_ST_NULL (0x8000) and TPM_ST_ATTEST_NV (0x8014) are TPM_ST values but not command tags; the code is 0x01E, not the TPM 1.2 value 0x030.',
    run: async (x) => {
      for (const tag of [ST.RSP_COMMAND, ST.NULL, ST.ATTEST_NV]) {
        const r = await send(x, rawCmd(tag, CC.GetRandom, GET_RANDOM_8), `TPM2_GetRandom with tag 0x${tag.toString(16)}`);
        x.rc(r.rc, RC.BAD_TAG, `TPM2_GetRandom with tag 0x${tag.toString(16).padStart(4, '0')}`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.command.bad-tag-undefined',
    title: 'a tag that is no TPM_ST value at all is refused with TPM_RC_BAD_TAG',
    spec: P3,
    clause: CLAUSE.header,
    level: 'MUST',
    requirement: 'A command whose tag is not TPM_ST_SESSIONS or TPM_ST_NO_SESSIONS, including values TPM_ST does not define (0x00C1, the TPM 1.2 TPM_TAG_RQU_COMMAND, and 0x1234), is refused with TPM_RC_BAD_TAG.',
    run: async (x) => {
      for (const tag of [0x00c1, 0x1234]) {
        const r = await send(x, rawCmd(tag, CC.GetRandom, GET_RANDOM_8), `TPM2_GetRandom with tag 0x${tag.toString(16)}`);
        x.rc(r.rc, RC.BAD_TAG, `TPM2_GetRandom with tag 0x${tag.toString(16).padStart(4, '0')}`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.command.size-mismatch',
    title: 'a commandSize that differs from the bytes received is refused with TPM_RC_COMMAND_SIZE',
    spec: P3,
    clause: CLAUSE.header,
    level: 'MUST',
    requirement: 'The TPM shall unmarshal a UINT32 commandSize; if the number of bytes received differs from commandSize the TPM returns TPM_RC_COMMAND_SIZE (checked with a commandSize one larger and one smaller than the 12 bytes sent).',
    run: async (x) => {
      for (const size of [13, 11]) {
        const r = await send(x, rawCmd(ST.NO_SESSIONS, CC.GetRandom, GET_RANDOM_8, size), `TPM2_GetRandom, 12 bytes with commandSize ${size}`);
        x.rc(r.rc, RC.COMMAND_SIZE, `12-byte TPM2_GetRandom with commandSize ${size}`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.command.size-over-max',
    title: 'a command larger than TPM_PT_MAX_COMMAND_SIZE is refused with TPM_RC_COMMAND_SIZE',
    spec: P3,
    clause: CLAUSE.header,
    level: 'MUST',
    requirement: 'commandSize must not be larger than the largest command the TPM accepts (TPM_PT_MAX_COMMAND_SIZE); a larger command is refused with TPM_RC_COMMAND_SIZE and the TPM keeps answering.',
    run: async (x) => {
      const max = await x.prop(0x11e);
      const body = new Uint8Array(max + 1 - 10);
      body.set(GET_RANDOM_8);
      const r = await send(x, rawCmd(ST.NO_SESSIONS, CC.GetRandom, body), `TPM2_GetRandom padded to ${max + 1} bytes`);
      x.rc(r.rc, RC.COMMAND_SIZE, `a ${max + 1}-byte command (TPM_PT_MAX_COMMAND_SIZE = ${max})`);
      x.ok(await x.c.getRandom(8), 'TPM2_GetRandom(8) afterwards');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.unknown-code',
    title: 'an unimplemented command code is refused with TPM_RC_COMMAND_CODE',
    spec: P3,
    clause: CLAUSE.header,
    level: 'MUST',
    requirement: 'The TPM shall unmarshal a TPM_CC and verify that the command is implemented (TPM_RC_COMMAND_CODE): 0x000001FF (no such command) and 0x20000001 (a vendor command the TPM does not list).',
    run: async (x) => {
      const listed = new Set(await x.implementedCommands());
      for (const cc of [0x1ff, 0x20000001, 0x0000011e]) {
        if (listed.has(cc)) continue;
        const r = await send(x, rawCmd(ST.NO_SESSIONS, cc, GET_RANDOM_8), `command code 0x${cc.toString(16)}`);
        x.rc(r.rc, RC.COMMAND_CODE, `command code 0x${cc.toString(16).padStart(8, '0')}`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.command.initialize-before-startup',
    title: 'after _TPM_Init every command but TPM2_Startup answers TPM_RC_INITIALIZE',
    spec: P3,
    clause: CLAUSE.mode,
    level: 'MUST',
    requirement: 'If the TPM has not been initialized (TPM2_Startup), the commandCode shall be TPM_CC_Startup; otherwise the TPM returns TPM_RC_INITIALIZE (checked with TPM2_GetRandom, TPM2_GetCapability and TPM2_PCR_Read).',
    capabilities: ['tpm2.power-cycle'],
    run: async (x) => {
      await x.c.init();
      x.defer(() => x.c.startup(SU.CLEAR));
      for (const [cc, body, name] of [
        [CC.GetRandom, GET_RANDOM_8, 'TPM2_GetRandom'],
        [CC.GetCapability, concat(u32(6), u32(0x100), u32(1)), 'TPM2_GetCapability'],
        [CC.PCR_Read, concat(u32(1), u16(ALG.SHA256), new Uint8Array([3, 1, 0, 0])), 'TPM2_PCR_Read'],
      ] as const) {
        const r = await send(x, rawCmd(ST.NO_SESSIONS, cc, body), `${name} before TPM2_Startup`);
        x.rc(r.rc, RC.INITIALIZE, `${name} before TPM2_Startup`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.command.startup-twice',
    title: 'TPM2_Startup after TPM2_Startup answers TPM_RC_INITIALIZE',
    spec: P3,
    clause: CLAUSE.mode,
    level: 'MUST',
    requirement: 'Once TPM2_Startup has succeeded, a second TPM2_Startup (CLEAR or STATE) before the next _TPM_Init is refused with TPM_RC_INITIALIZE.',
    run: async (x) => {
      x.rc((await x.c.startup(SU.CLEAR)).rc, RC.INITIALIZE, 'second TPM2_Startup(CLEAR)');
      x.rc((await x.c.startup(SU.STATE)).rc, RC.INITIALIZE, 'TPM2_Startup(STATE) on a started TPM');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.handle-missing',
    title: 'a command without its handle answers TPM_RC_INSUFFICIENT for handle 1',
    spec: P3,
    clause: CLAUSE.handles,
    level: 'MUST',
    requirement: 'The TPM shall successfully unmarshal the number of handles the command code indicates; a TPM2_PCR_Reset that ends after its header fails with TPM_RC_INSUFFICIENT + TPM_RC_H + TPM_RC_1 (0x19A).',
    run: async (x) => {
      const r = await send(x, rawCmd(ST.NO_SESSIONS, CC.PCR_Reset), 'TPM2_PCR_Reset with no handle');
      x.rc(r.rc, rcH(RC.INSUFFICIENT, 1), 'TPM2_PCR_Reset with no handle');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.handle-type',
    title: 'a handle outside the range of its TPMI type answers TPM_RC_VALUE with the handle number',
    spec: P3,
    clause: CLAUSE.handles,
    level: 'MUST',
    requirement: 'Each handle is unmarshalled as its interface type; a value outside it fails with TPM_RC_VALUE + the handle number: PCR_Extend on PCR 30 (TPMI_DH_PCR) gives 0x184, NV_ReadPublic on 0x81000000 (TPMI_RH_NV_INDEX) gives 0x184, CreatePrimary on TPM_RH_LOCKOUT (TPMI_RH_HIERARCHY) gives 0x184.',
    run: async (x) => {
      const cases: [string, Uint8Array][] = [
        ['TPM2_PCR_Extend(PCR 30)', rawCmd(ST.SESSIONS, CC.PCR_Extend, concat(u32(30), authArea(PW_SESSION), extendParams()))],
        ['TPM2_NV_ReadPublic(0x81000000)', rawCmd(ST.NO_SESSIONS, CC.NV_ReadPublic, u32(0x81000000))],
        ['TPM2_CreatePrimary(TPM_RH_LOCKOUT)', rawCmd(ST.SESSIONS, CC.CreatePrimary, concat(u32(RH.LOCKOUT), authArea(PW_SESSION)))],
      ];
      for (const [what, bytes] of cases) x.rc((await send(x, bytes, what)).rc, rcH(RC.VALUE, 1), what);
    },
  }),
  tpmCheck({
    id: 'tpm2.command.transient-not-loaded',
    title: 'a transient handle that is not loaded answers TPM_RC_REFERENCE_H0',
    spec: P3,
    clause: CLAUSE.handles,
    level: 'MUST',
    requirement: 'If a handle references a transient object that is not loaded, the TPM returns TPM_RC_REFERENCE_H0 + the handle index (0x910 for the first handle): TPM2_ReadPublic of the handle a flushed primary had (a handle inside the TPM\'s transient range, so TPMI_DH_OBJECT accepts it).',
    run: async (x) => {
      const r = await x.c.createPrimary(RH.OWNER, eccStorage(), { auth: x.ownerAuth() });
      x.ok(r, 'TPM2_CreatePrimary(TPM_RH_OWNER)');
      x.ok(await x.c.flushContext(r.handle!), `TPM2_FlushContext(0x${r.handle!.toString(16)})`);
      x.rc((await x.c.readPublic(r.handle!)).rc, RC.REFERENCE_H0, `TPM2_ReadPublic(0x${r.handle!.toString(16)}) after the object was flushed`);
    },
  }),
  tpmCheck({
    id: 'tpm2.command.nv-index-undefined',
    title: 'an NV index that is not defined answers TPM_RC_HANDLE for that handle',
    spec: P3,
    clause: CLAUSE.handles,
    level: 'MUST',
    requirement: 'A handle that references an NV Index that is not defined fails with TPM_RC_HANDLE + the handle number (TPM2_NV_ReadPublic: 0x18B).',
    run: async (x) => {
      const defined = new Set(await x.c.handles(HT.NV_INDEX));
      let h = x.nvHandle();
      while (defined.has(h)) h++;
      x.rc((await x.c.nvReadPublic(h)).rc, rcH(RC.HANDLE, 1), `TPM2_NV_ReadPublic of undefined index 0x${h.toString(16)}`);
    },
  }),
  tpmCheck({
    id: 'tpm2.command.persistent-absent',
    title: 'a persistent handle no object occupies answers TPM_RC_HANDLE',
    spec: P3,
    clause: CLAUSE.handles,
    level: 'MUST',
    requirement: 'A persistent handle that does not reference a persistent object fails with TPM_RC_HANDLE + the handle number (TPM2_ReadPublic: 0x18B).',
    run: async (x) => {
      const used = new Set(await x.c.handles(HT.PERSISTENT));
      let h = x.persistentHandle();
      while (used.has(h)) h++;
      x.rc((await x.c.readPublic(h)).rc, rcH(RC.HANDLE, 1), `TPM2_ReadPublic of unused persistent handle 0x${h.toString(16)}`);
    },
  }),
  tpmCheck({
    id: 'tpm2.command.auth-missing',
    title: 'a command that needs authorization but has no sessions answers TPM_RC_AUTH_MISSING',
    spec: P3,
    clause: CLAUSE.sessions,
    level: 'MUST',
    requirement: 'If the tag is TPM_ST_NO_SESSIONS and the command requires authorization of a handle, the TPM returns TPM_RC_AUTH_MISSING (0x125) (TPM2_PCR_Extend of PCR 16 without sessions).',
    run: async (x) => {
      const r = await send(x, rawCmd(ST.NO_SESSIONS, CC.PCR_Extend, concat(u32(16), extendParams())), 'TPM2_PCR_Extend(PCR 16) with TPM_ST_NO_SESSIONS');
      x.rc(r.rc, RC.AUTH_MISSING, 'TPM2_PCR_Extend(PCR 16) without an authorization area');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.auth-area-absent',
    title: 'TPM_ST_SESSIONS without an authorization size answers TPM_RC_INSUFFICIENT',
    spec: P3,
    clause: CLAUSE.sessions,
    level: 'MUST',
    requirement: 'With tag TPM_ST_SESSIONS the TPM unmarshals a UINT32 authorizationSize; a command that ends before it (TPM2_GetRandom with TPM_ST_SESSIONS and nothing after the header) fails with TPM_RC_INSUFFICIENT (0x09A).',
    run: async (x) => {
      const r = await send(x, rawCmd(ST.SESSIONS, CC.GetRandom), 'TPM2_GetRandom, TPM_ST_SESSIONS, no body');
      x.rc(r.rc, RC.INSUFFICIENT, 'TPM2_GetRandom with TPM_ST_SESSIONS and no authorizationSize');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.authsize-too-large',
    title: 'an authorizationSize larger than the rest of the command answers TPM_RC_SIZE',
    spec: P3,
    clause: CLAUSE.sessions,
    level: 'MUST',
    requirement: 'authorizationSize must not be larger than the bytes that follow it; otherwise the TPM returns TPM_RC_SIZE (0x095) (TPM2_PCR_Extend whose authorizationSize claims 200 bytes).',
    run: async (x) => {
      const bytes = rawCmd(ST.SESSIONS, CC.PCR_Extend, concat(u32(16), u32(200), PW_SESSION, extendParams()));
      x.rc((await send(x, bytes, 'TPM2_PCR_Extend with authorizationSize 200')).rc, RC.SIZE, 'authorizationSize 200 with 9 session bytes');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.authsize-too-small',
    title: 'an authorizationSize smaller than one session answers TPM_RC_SIZE',
    spec: P3,
    clause: CLAUSE.sessions,
    level: 'MUST',
    requirement: 'authorizationSize must be at least the size of the smallest session (9 bytes); authorizationSize 4 is refused with TPM_RC_SIZE (0x095).',
    run: async (x) => {
      const bytes = rawCmd(ST.SESSIONS, CC.PCR_Extend, concat(u32(16), u32(4), PW_SESSION.subarray(0, 4), extendParams()));
      x.rc((await send(x, bytes, 'TPM2_PCR_Extend with authorizationSize 4')).rc, RC.SIZE, 'authorizationSize 4');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.sessions-not-allowed',
    title: 'a command that allows no sessions refuses TPM_ST_SESSIONS with TPM_RC_AUTH_CONTEXT',
    spec: P3,
    clause: CLAUSE.sessions,
    level: 'MUST',
    requirement: 'TPM2_ContextSave, TPM2_ContextLoad, TPM2_FlushContext and TPM2_Startup take no sessions; sent with TPM_ST_SESSIONS and a password session they fail with TPM_RC_AUTH_CONTEXT (0x145).',
    run: async (x) => {
      const r = await send(x, rawCmd(ST.SESSIONS, CC.FlushContext, concat(authArea(PW_SESSION), u32(0x80ffffff))), 'TPM2_FlushContext with a password session');
      x.rc(r.rc, RC.AUTH_CONTEXT, 'TPM2_FlushContext with TPM_ST_SESSIONS');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.session-handle-value',
    title: 'a session handle that is neither TPM_RS_PW nor a session answers TPM_RC_VALUE for that session',
    spec: P3,
    clause: CLAUSE.sessions,
    level: 'MUST',
    requirement: 'Each sessionHandle is unmarshalled as TPMI_SH_AUTH_SESSION; TPM_RH_OWNER (0x40000001) in the session area fails with TPM_RC_VALUE + TPM_RC_S + TPM_RC_1 (0x984).',
    run: async (x) => {
      const bytes = rawCmd(ST.SESSIONS, CC.PCR_Extend, concat(u32(16), authArea(session(RH.OWNER, new Uint8Array(0), 0, new Uint8Array(0))), extendParams()));
      x.rc((await send(x, bytes, 'TPM2_PCR_Extend with session handle TPM_RH_OWNER')).rc, rcS(RC.VALUE, 1), 'session handle 0x40000001');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.session-not-loaded',
    title: 'a session handle that is not loaded answers TPM_RC_REFERENCE_S0',
    spec: P3,
    clause: CLAUSE.sessions,
    level: 'MUST',
    requirement: 'If a session in the authorization area is not loaded, the TPM returns TPM_RC_REFERENCE_S0 + the session index (0x918 for the first session): the handle of an HMAC session that was just flushed.',
    run: async (x) => {
      const s = await x.c.startAuthSession({ type: SE.HMAC });
      x.ok(s, 'TPM2_StartAuthSession(HMAC)');
      x.ok(await x.c.flushContext(s.session!.handle), 'TPM2_FlushContext of the session');
      const nonce = new Uint8Array(32);
      const bytes = rawCmd(ST.SESSIONS, CC.PCR_Extend, concat(u32(16), authArea(session(s.session!.handle, nonce, 1, new Uint8Array(32))), extendParams()));
      x.rc((await send(x, bytes, `TPM2_PCR_Extend with flushed session 0x${s.session!.handle.toString(16)}`)).rc, RC.REFERENCE_S0, `flushed session 0x${s.session!.handle.toString(16)}`);
    },
  }),
  tpmCheck({
    id: 'tpm2.command.password-nonce',
    title: 'a password session with a nonce answers TPM_RC_NONCE',
    spec: P1,
    clause: '19 Authorizations and Acknowledgments (password authorizations)',
    level: 'MUST',
    requirement: 'The nonce of a TPM_RS_PW session shall be the Empty Buffer; a 4-byte nonce is refused with TPM_RC_NONCE + TPM_RC_S + TPM_RC_1 (0x98F).',
    run: async (x) => {
      const bytes = rawCmd(ST.SESSIONS, CC.PCR_Extend, concat(u32(16), authArea(session(0x40000009, Uint8Array.from([1, 2, 3, 4]), 0, new Uint8Array(0))), extendParams()));
      x.rc((await send(x, bytes, 'TPM2_PCR_Extend, password session with a nonce')).rc, rcS(RC.NONCE, 1), 'password session with a 4-byte nonce');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.password-attributes',
    title: 'a password session with encrypt, decrypt or audit answers TPM_RC_ATTRIBUTES',
    spec: P1,
    clause: '19 Authorizations and Acknowledgments (password authorizations)',
    level: 'MUST',
    requirement: 'A TPM_RS_PW session can only carry continueSession; with decrypt, encrypt or audit set the TPM returns TPM_RC_ATTRIBUTES + TPM_RC_S + TPM_RC_1 (0x982).',
    run: async (x) => {
      for (const [bit, name] of [
        [TPMA_SESSION.decrypt, 'decrypt'],
        [TPMA_SESSION.encrypt, 'encrypt'],
        [TPMA_SESSION.audit, 'audit'],
      ] as const) {
        const bytes = rawCmd(ST.SESSIONS, CC.PCR_Extend, concat(u32(16), authArea(session(0x40000009, new Uint8Array(0), bit, new Uint8Array(0))), extendParams()));
        x.rc((await send(x, bytes, `password session with ${name}`)).rc, rcS(RC.ATTRIBUTES, 1), `password session with ${name} set`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.command.session-reserved-bits',
    title: 'reserved TPMA_SESSION bits answer TPM_RC_RESERVED_BITS',
    spec: P2,
    clause: '8.4 TPMA_SESSION (Session Attributes)',
    level: 'MUST',
    requirement: 'Bits 3 and 4 of TPMA_SESSION are reserved and shall be zero; a session with bit 3 set fails to unmarshal with TPM_RC_RESERVED_BITS + TPM_RC_S + TPM_RC_1 (0x9A1).',
    run: async (x) => {
      const bytes = rawCmd(ST.SESSIONS, CC.PCR_Extend, concat(u32(16), authArea(session(0x40000009, new Uint8Array(0), 0x08, new Uint8Array(0))), extendParams()));
      x.rc((await send(x, bytes, 'password session with attribute bit 3')).rc, rcS(RC.RESERVED_BITS, 1), 'session attributes 0x08');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.password-without-handle',
    title: 'a password session that authorizes no handle answers TPM_RC_HANDLE for that session',
    spec: P3,
    clause: CLAUSE.auth,
    level: 'MUST',
    requirement: 'A TPM_RS_PW session must be associated with a handle that needs authorization; TPM2_GetRandom (no handles) with one password session fails with TPM_RC_HANDLE + TPM_RC_S + TPM_RC_1 (0x98B).',
    run: async (x) => {
      const bytes = rawCmd(ST.SESSIONS, CC.GetRandom, concat(authArea(PW_SESSION), GET_RANDOM_8));
      x.rc((await send(x, bytes, 'TPM2_GetRandom with a password session')).rc, rcS(RC.HANDLE, 1), 'TPM2_GetRandom with a password session');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.too-many-sessions',
    title: 'more than three sessions answer TPM_RC_SIZE for the fourth session',
    spec: P3,
    clause: CLAUSE.sessions,
    level: 'MUST',
    requirement: 'A command carries at most three sessions; the TPM stops at the fourth with TPM_RC_SIZE + TPM_RC_S + TPM_RC_4 (0xC95) (TPM2_PCR_Extend with four password sessions).',
    run: async (x) => {
      const bytes = rawCmd(ST.SESSIONS, CC.PCR_Extend, concat(u32(16), authArea(PW_SESSION, PW_SESSION, PW_SESSION, PW_SESSION), extendParams()));
      x.rc((await send(x, bytes, 'TPM2_PCR_Extend with four password sessions')).rc, rcS(RC.SIZE, 4), 'four sessions');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.parameter-missing',
    title: 'a missing parameter answers TPM_RC_INSUFFICIENT with its parameter number',
    spec: P3,
    clause: '5.8.2 Unmarshaling Errors',
    level: 'MUST',
    requirement: 'When the command ends before a parameter is complete the TPM returns TPM_RC_INSUFFICIENT + TPM_RC_P + the parameter number: TPM2_GetRandom without bytesRequested gives 0x1DA; TPM2_GetCapability with capability and property only gives 0x3DA.',
    run: async (x) => {
      x.rc((await send(x, rawCmd(ST.NO_SESSIONS, CC.GetRandom), 'TPM2_GetRandom without parameters')).rc, rcP(RC.INSUFFICIENT, 1), 'TPM2_GetRandom without bytesRequested');
      x.rc((await send(x, rawCmd(ST.NO_SESSIONS, CC.GetCapability, concat(u32(6), u32(0x100))), 'TPM2_GetCapability without propertyCount')).rc, rcP(RC.INSUFFICIENT, 3), 'TPM2_GetCapability without propertyCount');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.parameter-extra',
    title: 'bytes after the last parameter answer TPM_RC_SIZE',
    spec: P3,
    clause: CLAUSE.params,
    level: 'MUST',
    requirement: 'After unmarshalling all parameters no bytes may remain; TPM2_GetRandom with two extra bytes (commandSize consistent) fails with TPM_RC_SIZE (0x095).',
    run: async (x) => {
      const r = await send(x, rawCmd(ST.NO_SESSIONS, CC.GetRandom, concat(GET_RANDOM_8, u16(0))), 'TPM2_GetRandom with 2 trailing bytes');
      x.rc(r.rc, RC.SIZE, 'TPM2_GetRandom with 2 bytes after bytesRequested');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.parameter-value',
    title: 'an enumerated parameter outside its values answers TPM_RC_VALUE with its number',
    spec: P3,
    clause: '5.8.2 Unmarshaling Errors',
    level: 'MUST',
    requirement: 'A parameter that is not one of the values of its type fails with TPM_RC_VALUE + TPM_RC_P + the parameter number: TPM2_Shutdown(5) gives 0x1C4 and TPM2_SelfTest(fullTest = 2) gives 0x1C4.',
    run: async (x) => {
      x.rc((await x.c.shutdown(5)).rc, rcP(RC.VALUE, 1), 'TPM2_Shutdown(shutdownType = 5)');
      x.rc((await send(x, rawCmd(ST.NO_SESSIONS, CC.SelfTest, new Uint8Array([2])), 'TPM2_SelfTest(fullTest = 2)')).rc, rcP(RC.VALUE, 1), 'TPM2_SelfTest(fullTest = 2)');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.handle-before-auth',
    title: 'handle errors are reported before authorization errors',
    spec: P3,
    clause: CLAUSE.handles,
    level: 'MUST',
    requirement: 'Handle area validation (5.4) precedes the authorization checks (5.6): TPM2_PCR_Extend of PCR 30 with a wrong password answers TPM_RC_VALUE + TPM_RC_H + TPM_RC_1 (0x184), not an authorization failure.',
    run: async (x) => {
      const bad = session(0x40000009, new Uint8Array(0), 0, Uint8Array.from([0x77]));
      const r = await send(x, rawCmd(ST.SESSIONS, CC.PCR_Extend, concat(u32(30), authArea(bad), extendParams())), 'TPM2_PCR_Extend(PCR 30) with a wrong password');
      x.rc(r.rc, rcH(RC.VALUE, 1), 'TPM2_PCR_Extend(PCR 30) with a wrong password');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.auth-before-parameters',
    title: 'authorization errors are reported before parameter errors',
    spec: P3,
    clause: CLAUSE.auth,
    level: 'MUST',
    requirement: 'Authorization checks (5.6) precede parameter unmarshalling (5.8): TPM2_PCR_Extend of PCR 16 with a wrong password and 17 digests (more than HASH_COUNT) answers TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 (0x9A2), not TPM_RC_SIZE.',
    run: async (x) => {
      const pcr = 16;
      // PCR 16 is resettable and has an empty authValue; a wrong password must fail
      const bad = session(0x40000009, new Uint8Array(0), 0, Uint8Array.from([0x77]));
      const params = concat(u32(17), u16(ALG.SHA256), digestOf(ALG.SHA256, 1));
      const r = await send(x, rawCmd(ST.SESSIONS, CC.PCR_Extend, concat(u32(pcr), authArea(bad), params)), 'TPM2_PCR_Extend, wrong password, 17 digests');
      x.rc(r.rc, rcS(RC.BAD_AUTH, 1), 'wrong password with malformed parameters');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.error-response-format',
    title: 'an error response is a 10-byte header with TPM_ST_NO_SESSIONS',
    spec: P3,
    clause: '6.1 Tag',
    level: 'MUST',
    requirement: 'When a command fails the TPM returns only the header: tag TPM_ST_NO_SESSIONS, responseSize 10 and the response code, even when the command had tag TPM_ST_SESSIONS or a non-command tag.',
    run: async (x) => {
      const cases: [string, Uint8Array][] = [
        ['bad tag 0x00C4', rawCmd(ST.RSP_COMMAND, CC.GetRandom, GET_RANDOM_8)],
        ['unknown command', rawCmd(ST.NO_SESSIONS, 0x1ff, GET_RANDOM_8)],
        ['wrong password (TPM_ST_SESSIONS)', rawCmd(ST.SESSIONS, CC.PCR_Extend, concat(u32(16), authArea(session(0x40000009, new Uint8Array(0), 0, Uint8Array.from([9]))), extendParams()))],
        ['missing parameter', rawCmd(ST.NO_SESSIONS, CC.GetRandom)],
      ];
      for (const [what, bytes] of cases) {
        const { raw, rc } = await send(x, bytes, what);
        x.t.assert(rc !== RC.SUCCESS, `${what}: the malformed command succeeded`, { expected: 'an error', actual: 'TPM_RC_SUCCESS' });
        const h = decodeHeader(raw);
        x.t.expectEqual(raw.length, 10, `${what}: error response length`);
        x.t.expectEqual(h.size, 10, `${what}: responseSize field`);
        x.t.expectEqual(h.tag, ST.NO_SESSIONS, `${what}: response tag`, (v) => `0x${v.toString(16)}`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.command.response-size',
    title: 'responseSize is the length of the response',
    spec: P3,
    clause: '6 Response Values',
    level: 'MUST',
    requirement: 'The responseSize field of a successful response equals the number of bytes of the response (TPM2_GetRandom, TPM2_GetCapability, TPM2_PCR_Read).',
    run: async (x) => {
      const cases: [string, Uint8Array][] = [
        ['TPM2_GetRandom(16)', rawCmd(ST.NO_SESSIONS, CC.GetRandom, u16(16))],
        ['TPM2_GetCapability(TPM_PROPERTIES)', rawCmd(ST.NO_SESSIONS, CC.GetCapability, concat(u32(6), u32(0x100), u32(8)))],
        ['TPM2_PCR_Read(SHA-256:0)', rawCmd(ST.NO_SESSIONS, CC.PCR_Read, concat(u32(1), u16(ALG.SHA256), new Uint8Array([3, 1, 0, 0])))],
      ];
      for (const [what, bytes] of cases) {
        const { raw, rc } = await send(x, bytes, what);
        x.rc(rc, RC.SUCCESS, what);
        const h = decodeHeader(raw);
        x.t.expectEqual(h.size, raw.length, `${what}: responseSize field against the bytes received`);
        x.t.expectEqual(h.tag, ST.NO_SESSIONS, `${what}: response tag`, (v) => `0x${v.toString(16)}`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.command.response-tag-sessions',
    title: 'a successful command with sessions answers TPM_ST_SESSIONS with one response session each',
    spec: P3,
    clause: '6.1 Tag',
    level: 'MUST',
    requirement: 'If the command had tag TPM_ST_SESSIONS and succeeded, the response tag is TPM_ST_SESSIONS, a parameterSize follows the handles, and there is one response session per command session; a password session answers an empty nonce, continueSession and an empty HMAC.',
    run: async (x) => {
      const r = await x.c.pcrExtend(16, [{ hashAlg: ALG.SHA256, digest: digestOf(ALG.SHA256, 3) }], pw());
      x.rc(r.rc, RC.SUCCESS, 'TPM2_PCR_Extend(PCR 16) with a password session');
      x.t.expectEqual(r.tag, ST.SESSIONS, 'response tag', (v) => `0x${v.toString(16)}`);
      x.t.expectEqual(r.sessions.length, 1, 'response sessions');
      const s = r.sessions[0]!;
      x.t.expectEqual(s.nonce.length, 0, 'password response nonce size');
      x.t.expectEqual(s.attributes & TPMA_SESSION.continueSession, TPMA_SESSION.continueSession, 'password response continueSession');
      x.t.expectEqual(s.hmac.length, 0, 'password response HMAC size');
    },
  }),
  tpmCheck({
    id: 'tpm2.command.survives-garbage',
    title: 'malformed commands never stop the TPM from answering',
    spec: P3,
    clause: CLAUSE.header,
    level: 'MUST',
    requirement: 'Every malformed command gets a response code and leaves the TPM able to execute the next well-formed command (a burst of truncated, oversized-field and random commands, then TPM2_GetRandom).',
    run: async (x) => {
      const junk: Uint8Array[] = [
        rawCmd(ST.NO_SESSIONS, CC.GetCapability, concat(u32(0xffffffff), u32(0xffffffff), u32(0xffffffff))),
        rawCmd(ST.SESSIONS, CC.StartAuthSession, concat(u32(RH.NULL), u32(RH.NULL), u32(9), PW_SESSION)),
        rawCmd(ST.NO_SESSIONS, CC.PCR_Read, concat(u32(0xffff), u16(ALG.SHA256))),
        rawCmd(ST.NO_SESSIONS, CC.ContextLoad, concat(new Uint8Array(16), u16(0xffff))),
        rawCmd(ST.NO_SESSIONS, CC.NV_ReadPublic, u32(0x01ffffff)),
        rawCmd(ST.NO_SESSIONS, CC.Hash, concat(u16(0xffff), new Uint8Array(4))),
      ];
      for (const [i, b] of junk.entries()) {
        const r = await send(x, b, `malformed command ${i + 1}`);
        x.t.assert(r.rc !== RC.SUCCESS, `malformed command ${i + 1} succeeded`, { expected: 'an error code', actual: 'TPM_RC_SUCCESS' });
      }
      const g = await x.c.getRandom(8);
      x.rc(g.rc, RC.SUCCESS, 'TPM2_GetRandom after the malformed commands');
    },
  }),
];
