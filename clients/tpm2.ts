// Typed TPM 2.0 calls over a tpm2 channel: builds commands with password,
// HMAC and policy sessions (cpHash, command HMAC, nonce rolling, parameter
// encryption), checks response HMACs, decodes responses. Response codes are
// returned, never thrown; only transport failures and undecodable answers
// (TransportError 'protocol') throw. TPM_RC_RETRY / TESTING / YIELDED /
// NV_RATE warnings are retried (bounded) and reported through `onRetry`.
import { constants as C, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { concat, hex } from '../protocol/bytes.js';
import { ALG, CAP, CC, ECC_CURVE, HT, RS_PW, SE, ST, TPMA_SESSION, ccShort, handleName } from '../protocol/tpm2/constants.js';
import { computeName, hashSize, kdfe } from '../protocol/tpm2/crypto.js';
import { decodeResponse, describeResponse, encodeCommand, type CommandSession, type DecodedResponse } from '../protocol/tpm2/command.js';
import { TpmReader, TpmWriter, be32 } from '../protocol/tpm2/marshal.js';
import { Tpm2Op, Tpm2PlatformStatus, tpm2PlatformStatusName } from '../protocol/tpm2/platform.js';
import { RC, isRetryable, rcName } from '../protocol/tpm2/rc.js';
import { commandHmac, cpHash, cryptParameter, responseHmac, rpHash, sessionKey, stripZeros } from '../protocol/tpm2/session.js';
import {
  readCapabilityData,
  readContext,
  readCreationData,
  readNvPublic2b,
  readPcrSelections,
  readPublic,
  readSignature,
  readTicket,
  writeContext,
  writeDigestValues,
  writeNvPublic,
  writePcrSelections,
  writePublic,
  writeScheme,
  writeSensitiveCreate,
  writeSignature,
  writeSymDef,
  writeTicket,
  type CapabilityData,
  type Context,
  type CreationData,
  type NvPublic,
  type PcrSelection,
  type Scheme,
  type Signature,
  type SymDef,
  type TaggedHash,
  type Ticket,
  type TpmtPublic,
} from '../protocol/tpm2/structures.js';
import { TransportError, type Channel } from '../transports/types.js';
import { decodeAnswer } from './common.js';

const EMPTY = new Uint8Array(0);

/** A handle with what the caller knows about it (name for cpHash, authValue for HMACs). */
export interface Entity {
  handle: number;
  name?: Uint8Array;
  auth?: Uint8Array;
}
export type Ent = number | Entity;

export class ClientSession {
  open = true;
  /** Set by policyAuthValue / policyPassword through this client. */
  needsAuthValue = false;
  needsPassword = false;
  constructor(
    readonly handle: number,
    readonly type: number,
    readonly authHash: number,
    public nonceTPM: Uint8Array,
    public nonceCaller: Uint8Array,
    readonly sessionKey: Uint8Array,
    readonly symmetric: SymDef,
    readonly bound?: { name: Uint8Array; auth: Uint8Array },
  ) {}
}

/** How one session slot of a command is filled. */
export type Auth =
  | { kind: 'pw'; password: Uint8Array; attributes?: number; handle?: number; nonce?: Uint8Array }
  | {
      kind: 'session';
      session: ClientSession;
      /** authValue of the authorized entity (for the HMAC key, or as password for PolicyPassword). */
      auth?: Uint8Array;
      attributes?: number;
      /** authValue to check the response HMAC with, when the command changes it (HierarchyChangeAuth). */
      responseAuth?: Uint8Array;
      /** Send this HMAC instead of the computed one (negative checks). */
      hmacOverride?: Uint8Array;
      /** No handle is authorized by this session (encrypt / decrypt / audit only). */
      noAuth?: boolean;
    };

export const pw = (password: Uint8Array | string = EMPTY, attributes = 0): Auth => ({
  kind: 'pw',
  password: typeof password === 'string' ? new TextEncoder().encode(password) : password,
  attributes,
});

export function withSession(session: ClientSession, auth: Uint8Array = EMPTY, attributes: number = TPMA_SESSION.continueSession, extra: Partial<Extract<Auth, { kind: 'session' }>> = {}): Auth {
  return { kind: 'session', session, auth, attributes, ...extra };
}

export interface Resp {
  rc: number;
  /** Response handle (commands that return one). */
  handle?: number;
  params: Uint8Array;
  raw: Uint8Array;
  /** Per session: whether the response HMAC verified (undefined for password sessions). */
  responseAuthOk: (boolean | undefined)[];
  /** The response session area. */
  sessions: DecodedResponse['sessions'];
  tag: number;
  /** The command bytes that were sent (for replay checks). */
  sent: Uint8Array;
}

export interface CallOpts {
  label?: string;
  /** Retry TPM_RC_RETRY / TESTING warnings (default true). */
  retry?: boolean;
  timeoutMs?: number;
}

export interface ClientOptions {
  /** Largest number of retries of a RETRY/TESTING answer (default 10). */
  maxRetries?: number;
  /** Called each time a warning is retried. */
  onRetry?: (rc: number, attempt: number, what: string) => void;
  /** Pause between retries, ms (default 20). */
  retryDelayMs?: number;
}

const HASH_NAMES: Record<number, string> = { [ALG.SHA1]: 'sha1', [ALG.SHA256]: 'sha256', [ALG.SHA384]: 'sha384', [ALG.SHA512]: 'sha512' };

export class Tpm2Client {
  /** Warnings retried so far (rc, command). */
  readonly retries: { rc: number; what: string }[] = [];

  constructor(
    readonly channel: Channel,
    readonly opts: ClientOptions = {},
  ) {}

  // ---------------------------------------------------------------- platform

  private async platform(op: number, body: Uint8Array, label: string): Promise<Uint8Array> {
    const r = await this.channel.call(op, body, { label });
    if (r.status === Tpm2PlatformStatus.NOT_SUPPORTED) throw new TransportError('unsupported', `${label}: ${tpm2PlatformStatusName(r.status)}`);
    if (r.status !== Tpm2PlatformStatus.OK) throw new PlatformError(r.status, `${label}: ${tpm2PlatformStatusName(r.status)}`);
    return r.body;
  }

  /** _TPM_Init (power cycle): volatile state lost, TPM2_Startup needed. */
  async init(): Promise<void> {
    await this.platform(Tpm2Op.INIT, EMPTY, '_TPM_Init');
  }
  async setLocality(locality: number): Promise<void> {
    await this.platform(Tpm2Op.SET_LOCALITY, new Uint8Array([locality]), `set locality ${locality}`);
  }
  async hashStart(): Promise<void> {
    await this.platform(Tpm2Op.HASH_START, EMPTY, '_TPM_Hash_Start');
  }
  async hashData(data: Uint8Array): Promise<void> {
    await this.platform(Tpm2Op.HASH_DATA, data, `_TPM_Hash_Data(${data.length} bytes)`);
  }
  async hashEnd(): Promise<void> {
    await this.platform(Tpm2Op.HASH_END, EMPTY, '_TPM_Hash_End');
  }
  async getEstablished(): Promise<boolean> {
    const b = await this.platform(Tpm2Op.GET_ESTABLISHED, EMPTY, 'get tpmEstablished');
    if (b.length !== 1) throw new TransportError('protocol', `tpmEstablished answer of ${b.length} bytes`);
    return b[0] === 1;
  }
  /** Resets tpmEstablished as locality `locality`; false when refused (locality not 3 or 4). */
  async resetEstablished(locality: number): Promise<boolean> {
    try {
      await this.platform(Tpm2Op.RESET_ESTABLISHED, new Uint8Array([locality]), `reset tpmEstablished (locality ${locality})`);
      return true;
    } catch (e) {
      if (e instanceof PlatformError && e.status === Tpm2PlatformStatus.BAD_LOCALITY) return false;
      throw e;
    }
  }

  // ---------------------------------------------------------------- raw

  /** Sends command bytes as they are; returns the response bytes as they came. */
  async raw(cmd: Uint8Array, label?: string, timeoutMs?: number): Promise<Uint8Array> {
    const r = await this.channel.call(Tpm2Op.SUBMIT, cmd, { label: label ?? `raw command ${hex(cmd, 24)}`, timeoutMs });
    if (r.status !== Tpm2PlatformStatus.OK) throw new TransportError('protocol', `the tpm2 service answered ${tpm2PlatformStatusName(r.status)}`);
    return r.body;
  }

  /** Sends raw bytes and returns the response code (the response must at least be a header). */
  async rawRc(cmd: Uint8Array, label?: string): Promise<{ rc: number; raw: Uint8Array }> {
    const raw = await this.raw(cmd, label);
    if (raw.length < 10) throw new TransportError('protocol', `${label ?? 'raw command'}: ${raw.length}-byte answer, shorter than a TPM response header`);
    return { rc: new DataView(raw.buffer, raw.byteOffset).getUint32(6), raw };
  }

  // ---------------------------------------------------------------- names

  /** The Name of an entity (asks the TPM for objects and NV indices whose name the caller did not give). */
  async nameOf(e: Ent): Promise<Uint8Array> {
    const ent = typeof e === 'number' ? { handle: e } : e;
    if (ent.name) return ent.name;
    const ht = ent.handle >>> 24;
    if (ht === HT.TRANSIENT || ht === HT.PERSISTENT) {
      const r = await this.readPublic(ent.handle);
      return r.rc === RC.SUCCESS ? r.name! : EMPTY;
    }
    if (ht === HT.NV_INDEX) {
      const r = await this.nvReadPublic(ent.handle);
      return r.rc === RC.SUCCESS ? r.name! : be32(ent.handle);
    }
    return be32(ent.handle);
  }

  // ---------------------------------------------------------------- generic command

  /**
   * Runs a command: `handles` in the handle area, one `auths` entry per
   * session, `params` already marshalled. Computes cpHash and HMACs, rolls
   * nonces, encrypts/decrypts the first parameter when asked, and checks the
   * response HMACs.
   */
  async command(cc: number, handles: Ent[], auths: Auth[], params: Uint8Array, o: CallOpts & { rHandle?: boolean } = {}): Promise<Resp> {
    const label = o.label ?? `${ccShort(cc)}(${handles.map((h) => handleName(typeof h === 'number' ? h : h.handle)).join(', ')})`;
    const ents = handles.map((h) => (typeof h === 'number' ? { handle: h } : h));
    const needNames = auths.some((a) => a.kind === 'session');
    const names = needNames ? await Promise.all(ents.map((e) => this.nameOf(e))) : [];
    const max = this.opts.maxRetries ?? 10;
    for (let attempt = 0; ; attempt++) {
      // parameter encryption of the first (TPM2B) parameter
      let sendParams = params;
      const dec = auths.findIndex((a) => a.kind === 'session' && (a.attributes ?? 0) & TPMA_SESSION.decrypt);
      const nonces = auths.map((a) => (a.kind === 'session' ? new Uint8Array(randomBytes(a.session.nonceCaller.length || hashSize(a.session.authHash))) : a.nonce ?? EMPTY));
      if (dec >= 0 && params.length >= 2) {
        const a = auths[dec] as Extract<Auth, { kind: 'session' }>;
        const s = a.session;
        const key = concat(s.sessionKey, a.noAuth ? EMPTY : stripZeros(a.auth ?? EMPTY));
        const n = (params[0]! << 8) | params[1]!;
        sendParams = concat(params.subarray(0, 2), cryptParameter(s.symmetric, s.authHash, key, nonces[dec]!, s.nonceTPM, params.subarray(2, 2 + n), true), params.subarray(2 + n));
      }
      const sessions: CommandSession[] = auths.map((a, i) => {
        if (a.kind === 'pw') return { handle: a.handle ?? RS_PW, nonce: nonces[i]!, attributes: a.attributes ?? 0, hmac: a.password };
        const s = a.session;
        const attrs = a.attributes ?? TPMA_SESSION.continueSession;
        let mac: Uint8Array;
        if (a.hmacOverride) mac = a.hmacOverride;
        else if (s.type !== SE.HMAC && s.needsPassword) mac = a.auth ?? EMPTY;
        else {
          const includeAuth = !a.noAuth && (s.type === SE.HMAC ? !isBoundTo(s, names[i], a.auth) : s.needsAuthValue);
          const key = concat(s.sessionKey, includeAuth ? stripZeros(a.auth ?? EMPTY) : EMPTY);
          mac = key.length === 0 && s.type !== SE.HMAC && !s.needsAuthValue ? EMPTY : commandHmac(s.authHash, key, cpHash(s.authHash, cc, names, sendParams), nonces[i]!, s.nonceTPM, attrs);
        }
        return { handle: s.handle, nonce: nonces[i]!, attributes: attrs, hmac: mac };
      });
      const bytes = encodeCommand({ cc, handles: ents.map((e) => e.handle), sessions, params: sendParams });
      const raw = await this.raw(bytes, attempt ? `${label} (retry ${attempt})` : label, o.timeoutMs);
      const d = decodeAnswer(label, () => decodeResponse(raw, cc, o.rHandle ? 1 : 0, auths.length));
      if (isRetryable(d.rc) && o.retry !== false && attempt < max) {
        this.retries.push({ rc: d.rc, what: label });
        this.opts.onRetry?.(d.rc, attempt + 1, label);
        await new Promise((r) => setTimeout(r, this.opts.retryDelayMs ?? 20));
        continue;
      }
      const resp: Resp = { rc: d.rc, params: d.parameters, raw, responseAuthOk: [], sessions: d.sessions, tag: d.tag, sent: bytes };
      if (o.rHandle && d.rc === RC.SUCCESS) resp.handle = d.handles[0];
      if (d.rc !== RC.SUCCESS) return resp;
      // response sessions: roll nonces, verify HMACs, decrypt the first response parameter
      auths.forEach((a, i) => {
        const rs = d.sessions[i]!;
        if (a.kind === 'pw') {
          resp.responseAuthOk.push(undefined);
          return;
        }
        const s = a.session;
        s.nonceCaller = nonces[i]!;
        s.nonceTPM = rs.nonce;
        if (!(sessions[i]!.attributes & TPMA_SESSION.continueSession)) s.open = false;
        if (s.type !== SE.HMAC && s.needsPassword) {
          resp.responseAuthOk.push(rs.hmac.length === 0);
        } else {
          const includeAuth = !a.noAuth && (s.type === SE.HMAC ? !isBoundTo(s, names[i], a.auth) : s.needsAuthValue);
          const key = concat(s.sessionKey, includeAuth ? stripZeros(a.responseAuth ?? a.auth ?? EMPTY) : EMPTY);
          const sentMac = sessions[i]!.hmac;
          if (key.length === 0 && sentMac.length === 0) resp.responseAuthOk.push(rs.hmac.length === 0);
          else {
            const want = responseHmac(s.authHash, key, rpHash(s.authHash, RC.SUCCESS, cc, d.parameters), rs.nonce, nonces[i]!, rs.attributes);
            resp.responseAuthOk.push(eq(want, rs.hmac));
          }
        }
        if (s.type !== SE.HMAC && s.open) {
          s.needsAuthValue = false;
          s.needsPassword = false;
        }
      });
      const enc = auths.findIndex((a) => a.kind === 'session' && (a.attributes ?? 0) & TPMA_SESSION.encrypt);
      if (enc >= 0 && resp.params.length >= 2) {
        const a = auths[enc] as Extract<Auth, { kind: 'session' }>;
        const s = a.session;
        const key = concat(s.sessionKey, a.noAuth ? EMPTY : stripZeros(a.responseAuth ?? a.auth ?? EMPTY));
        const n = (resp.params[0]! << 8) | resp.params[1]!;
        if (n <= resp.params.length - 2) {
          resp.params = concat(resp.params.subarray(0, 2), cryptParameter(s.symmetric, s.authHash, key, s.nonceTPM, nonces[enc]!, resp.params.subarray(2, 2 + n), false), resp.params.subarray(2 + n));
        }
      }
      return resp;
    }
  }

  private decode<T>(r: Resp, what: string, f: (rd: TpmReader) => T): T {
    return decodeAnswer(what, () => {
      const rd = new TpmReader(r.params, what);
      const v = f(rd);
      if (rd.remaining) throw new TpmReader(EMPTY, what).fail(RC.SIZE, `${rd.remaining} byte(s) after the response parameters`);
      return v;
    });
  }

  // ---------------------------------------------------------------- startup, testing, random, capability

  startup(type: number): Promise<Resp> {
    return this.command(CC.Startup, [], [], new TpmWriter(2).u16(type).finish(), { label: `TPM2_Startup(${type === 0 ? 'TPM_SU_CLEAR' : type === 1 ? 'TPM_SU_STATE' : type})` });
  }
  shutdown(type: number): Promise<Resp> {
    return this.command(CC.Shutdown, [], [], new TpmWriter(2).u16(type).finish(), { label: `TPM2_Shutdown(${type === 0 ? 'TPM_SU_CLEAR' : type === 1 ? 'TPM_SU_STATE' : type})` });
  }
  selfTest(full: boolean): Promise<Resp> {
    return this.command(CC.SelfTest, [], [], new Uint8Array([full ? 1 : 0]), { label: `TPM2_SelfTest(fullTest=${full ? 'YES' : 'NO'})` });
  }
  async getTestResult(): Promise<{ rc: number; outData?: Uint8Array; testResult?: number }> {
    const r = await this.command(CC.GetTestResult, [], [], EMPTY, { label: 'TPM2_GetTestResult()' });
    if (r.rc) return { rc: r.rc };
    return { rc: r.rc, ...this.decode(r, 'TPM2_GetTestResult', (d) => ({ outData: d.tpm2b(), testResult: d.u32() })) };
  }
  async getRandom(n: number, auths: Auth[] = []): Promise<{ rc: number; bytes?: Uint8Array; resp: Resp }> {
    const r = await this.command(CC.GetRandom, [], auths, new TpmWriter(2).u16(n).finish(), { label: `TPM2_GetRandom(bytesRequested=${n})` });
    if (r.rc) return { rc: r.rc, resp: r };
    return { rc: r.rc, bytes: this.decode(r, 'TPM2_GetRandom', (d) => d.tpm2b()), resp: r };
  }
  stirRandom(data: Uint8Array): Promise<Resp> {
    return this.command(CC.StirRandom, [], [], new TpmWriter().tpm2b(data).finish(), { label: `TPM2_StirRandom(${data.length} bytes)` });
  }
  async getCapability(cap: number, property: number, count: number): Promise<{ rc: number; moreData?: boolean; data?: CapabilityData; moreDataByte?: number }> {
    const r = await this.command(CC.GetCapability, [], [], new TpmWriter(12).u32(cap).u32(property).u32(count).finish(), {
      label: `TPM2_GetCapability(capability=${cap}, property=0x${(property >>> 0).toString(16)}, propertyCount=${count})`,
    });
    if (r.rc) return { rc: r.rc };
    return { rc: r.rc, ...this.decode(r, 'TPM2_GetCapability', (d) => {
      const more = d.u8('moreData');
      return { moreData: more === 1, moreDataByte: more, data: readCapabilityData(d) };
    }) };
  }

  /** Follows moreData until the list ends (as tpm2-tools does); throws TransportError on a loop that never ends. */
  async getCapabilityAll<T>(cap: number, from: number, pick: (d: CapabilityData) => T[], next: (last: T) => number, count = 64): Promise<{ rc: number; items: T[]; pages: number }> {
    const items: T[] = [];
    let property = from;
    for (let pages = 1; pages < 200; pages++) {
      const r = await this.getCapability(cap, property, count);
      if (r.rc) return { rc: r.rc, items, pages };
      const got = pick(r.data!);
      items.push(...got);
      if (!r.moreData) return { rc: 0, items, pages };
      if (got.length === 0) throw new TransportError('protocol', `TPM2_GetCapability(${cap}) answered moreData=YES with an empty list`);
      const np = next(got[got.length - 1]!);
      if (np <= property) throw new TransportError('protocol', `TPM2_GetCapability(${cap}) paging does not advance`);
      property = np;
    }
    throw new TransportError('protocol', `TPM2_GetCapability(${cap}) kept answering moreData=YES`);
  }

  async properties(from: number, count = 127): Promise<Map<number, number>> {
    const r = await this.getCapabilityAll(CAP.TPM_PROPERTIES, from, (d) => (d.capability === CAP.TPM_PROPERTIES ? d.properties : []), (p) => p.property + 1, count);
    if (r.rc) throw new TransportError('protocol', `TPM2_GetCapability(TPM_PROPERTIES) answered ${rcName(r.rc)}`);
    return new Map(r.items.map((p) => [p.property, p.value]));
  }

  /**
   * Handles of one type (TPM_CAP_HANDLES, all pages). Session lists are by
   * index: loaded sessions come with their own handle (0x02 HMAC or 0x03
   * policy), saved ones in either form, so both forms are kept for them.
   */
  async handles(type: number): Promise<number[]> {
    const session = type === HT.LOADED_SESSION || type === HT.SAVED_SESSION;
    const next = (h: number) => (session ? ((type << 24) | ((h & 0xffffff) + 1)) >>> 0 : h + 1);
    const r = await this.getCapabilityAll(CAP.HANDLES, (type << 24) >>> 0, (d) => (d.capability === CAP.HANDLES ? d.handles : []), next, 254);
    if (r.rc) throw new TransportError('protocol', `TPM2_GetCapability(HANDLES 0x${type.toString(16)}) answered ${rcName(r.rc)}`);
    return r.items.filter((h) => (session ? h >>> 24 === HT.HMAC_SESSION || h >>> 24 === HT.POLICY_SESSION : h >>> 24 === type));
  }

  testParms(parms: Uint8Array): Promise<Resp> {
    return this.command(CC.TestParms, [], [], parms, { label: `TPM2_TestParms(${hex(parms, 16)})` });
  }

  // ---------------------------------------------------------------- PCR and hashing

  async pcrRead(sels: PcrSelection[]): Promise<{ rc: number; counter?: number; selection?: PcrSelection[]; values?: Uint8Array[] }> {
    const w = new TpmWriter();
    writePcrSelections(w, sels);
    const r = await this.command(CC.PCR_Read, [], [], w.finish(), { label: `TPM2_PCR_Read(${describeSel(sels)})` });
    if (r.rc) return { rc: r.rc };
    return { rc: 0, ...this.decode(r, 'TPM2_PCR_Read', (d) => ({ counter: d.u32(), selection: readPcrSelections(d), values: Array.from({ length: d.u32('count') }, () => d.tpm2b()) })) };
  }
  pcrExtend(pcr: number, digests: TaggedHash[], auth: Auth = pw()): Promise<Resp> {
    const w = new TpmWriter();
    writeDigestValues(w, digests);
    return this.command(CC.PCR_Extend, [pcr], [auth], w.finish(), { label: `TPM2_PCR_Extend(pcrHandle=${handleName(pcr)}, digests=[${digests.map((d) => algShort(d.hashAlg)).join(', ')}])` });
  }
  async pcrEvent(pcr: number, data: Uint8Array, auth: Auth = pw()): Promise<{ rc: number; digests?: TaggedHash[] }> {
    const r = await this.command(CC.PCR_Event, [pcr], [auth], new TpmWriter().tpm2b(data).finish(), { label: `TPM2_PCR_Event(pcrHandle=${handleName(pcr)}, ${data.length} bytes)` });
    if (r.rc) return { rc: r.rc };
    return {
      rc: 0,
      digests: this.decode(r, 'TPM2_PCR_Event', (d) => Array.from({ length: d.u32() }, () => {
        const hashAlg = d.u16();
        return { hashAlg, digest: d.bytes(hashSize(hashAlg)) };
      })),
    };
  }
  pcrReset(pcr: number, auth: Auth = pw()): Promise<Resp> {
    return this.command(CC.PCR_Reset, [pcr], [auth], EMPTY, { label: `TPM2_PCR_Reset(pcrHandle=${handleName(pcr)})` });
  }
  async hash(data: Uint8Array, hashAlg: number, hierarchy: number): Promise<{ rc: number; digest?: Uint8Array; ticket?: Ticket }> {
    const r = await this.command(CC.Hash, [], [], new TpmWriter().tpm2b(data).u16(hashAlg).u32(hierarchy).finish(), { label: `TPM2_Hash(${data.length} bytes, ${algShort(hashAlg)}, ${handleName(hierarchy)})` });
    if (r.rc) return { rc: r.rc };
    return { rc: 0, ...this.decode(r, 'TPM2_Hash', (d) => ({ digest: d.tpm2b(), ticket: readTicket(d, ST.HASHCHECK) })) };
  }
  async hashSequenceStart(auth: Uint8Array, hashAlg: number): Promise<{ rc: number; handle?: number }> {
    const r = await this.command(CC.HashSequenceStart, [], [], new TpmWriter().tpm2b(auth).u16(hashAlg).finish(), { rHandle: true, label: `TPM2_HashSequenceStart(${algShort(hashAlg)})` });
    return { rc: r.rc, handle: r.handle };
  }
  sequenceUpdate(seq: Ent, data: Uint8Array, auth: Auth = pw()): Promise<Resp> {
    return this.command(CC.SequenceUpdate, [seqEnt(seq)], [auth], new TpmWriter().tpm2b(data).finish(), { label: `TPM2_SequenceUpdate(${data.length} bytes)` });
  }
  async sequenceComplete(seq: Ent, data: Uint8Array, hierarchy: number, auth: Auth = pw()): Promise<{ rc: number; digest?: Uint8Array; ticket?: Ticket }> {
    const r = await this.command(CC.SequenceComplete, [seqEnt(seq)], [auth], new TpmWriter().tpm2b(data).u32(hierarchy).finish(), { label: `TPM2_SequenceComplete(${data.length} bytes, ${handleName(hierarchy)})` });
    if (r.rc) return { rc: r.rc };
    return { rc: 0, ...this.decode(r, 'TPM2_SequenceComplete', (d) => ({ digest: d.tpm2b(), ticket: readTicket(d, ST.HASHCHECK) })) };
  }
  async eventSequenceComplete(pcr: number, seq: Ent, data: Uint8Array, auths: Auth[] = [pw(), pw()]): Promise<{ rc: number; digests?: TaggedHash[] }> {
    const r = await this.command(CC.EventSequenceComplete, [pcr, seqEnt(seq)], auths, new TpmWriter().tpm2b(data).finish(), { label: `TPM2_EventSequenceComplete(${handleName(pcr)}, ${data.length} bytes)` });
    if (r.rc) return { rc: r.rc };
    return {
      rc: 0,
      digests: this.decode(r, 'TPM2_EventSequenceComplete', (d) => Array.from({ length: d.u32() }, () => {
        const hashAlg = d.u16();
        return { hashAlg, digest: d.bytes(hashSize(hashAlg)) };
      })),
    };
  }

  // ---------------------------------------------------------------- sessions and contexts

  /**
   * TPM2_StartAuthSession. `bind` binds an HMAC session to an entity (its
   * auth must be given); `salt` salts it with an RSA or ECC decrypt key
   * whose public area the caller gives.
   */
  async startAuthSession(o: {
    type?: number;
    authHash?: number;
    bind?: Entity;
    salt?: { handle: number; public: TpmtPublic };
    symmetric?: SymDef;
    nonceCaller?: Uint8Array;
    encryptedSalt?: Uint8Array;
  } = {}): Promise<{ rc: number; session?: ClientSession; resp: Resp }> {
    const type = o.type ?? SE.HMAC;
    const authHash = o.authHash ?? ALG.SHA256;
    const nonceCaller = o.nonceCaller ?? new Uint8Array(randomBytes(hashSize(authHash)));
    const sym = o.symmetric ?? { algorithm: ALG.NULL };
    let saltValue: Uint8Array = EMPTY;
    let encSalt: Uint8Array = o.encryptedSalt ?? EMPTY;
    if (o.salt && !o.encryptedSalt) ({ salt: saltValue, encrypted: encSalt } = makeSalt(o.salt.public));
    const w = new TpmWriter(128).tpm2b(nonceCaller).tpm2b(encSalt).u8(type);
    writeSymDef(w, sym);
    w.u16(authHash);
    const bindHandle = o.bind?.handle ?? 0x40000007;
    const tpmKey = o.salt?.handle ?? 0x40000007;
    const r = await this.command(CC.StartAuthSession, [tpmKey, bindHandle], [], w.finish(), {
      rHandle: true,
      label: `TPM2_StartAuthSession(tpmKey=${handleName(tpmKey)}, bind=${handleName(bindHandle)}, ${type === SE.HMAC ? 'HMAC' : type === SE.POLICY ? 'POLICY' : type === SE.TRIAL ? 'TRIAL' : type}, ${algShort(authHash)})`,
    });
    if (r.rc) return { rc: r.rc, resp: r };
    const nonceTPM = this.decode(r, 'TPM2_StartAuthSession', (d) => d.tpm2b());
    const bindAuth = o.bind ? stripZeros(o.bind.auth ?? EMPTY) : EMPTY;
    const key = sessionKey(authHash, o.bind !== undefined || saltValue.length > 0, concat(bindAuth, saltValue), nonceTPM, nonceCaller);
    const bound = o.bind && type === SE.HMAC ? { name: await this.nameOf(o.bind), auth: bindAuth } : undefined;
    return { rc: 0, session: new ClientSession(r.handle!, type, authHash, nonceTPM, nonceCaller, key, sym, bound), resp: r };
  }

  flushContext(handle: number): Promise<Resp> {
    return this.command(CC.FlushContext, [], [], be32(handle), { label: `TPM2_FlushContext(${handleName(handle)})` });
  }
  async contextSave(handle: number): Promise<{ rc: number; context?: Context }> {
    const r = await this.command(CC.ContextSave, [handle], [], EMPTY, { label: `TPM2_ContextSave(${handleName(handle)})` });
    if (r.rc) return { rc: r.rc };
    return { rc: 0, context: this.decode(r, 'TPM2_ContextSave', (d) => readContext(d)) };
  }
  async contextLoad(ctx: Context): Promise<{ rc: number; handle?: number }> {
    const w = new TpmWriter(1024);
    writeContext(w, ctx);
    const r = await this.command(CC.ContextLoad, [], [], w.finish(), { rHandle: true, label: `TPM2_ContextLoad(savedHandle=${handleName(ctx.savedHandle)}, sequence=${ctx.sequence})` });
    return { rc: r.rc, handle: r.handle };
  }

  policyRestart(s: ClientSession): Promise<Resp> {
    s.needsAuthValue = s.needsPassword = false;
    return this.command(CC.PolicyRestart, [s.handle], [], EMPTY, { label: `TPM2_PolicyRestart(${handleName(s.handle)})` });
  }
  policyPCR(s: ClientSession | number, pcrDigest: Uint8Array, sels: PcrSelection[]): Promise<Resp> {
    const w = new TpmWriter().tpm2b(pcrDigest);
    writePcrSelections(w, sels);
    const h = typeof s === 'number' ? s : s.handle;
    return this.command(CC.PolicyPCR, [h], [], w.finish(), { label: `TPM2_PolicyPCR(${handleName(h)}, ${describeSel(sels)})` });
  }
  policyCommandCode(s: ClientSession | number, code: number): Promise<Resp> {
    const h = typeof s === 'number' ? s : s.handle;
    return this.command(CC.PolicyCommandCode, [h], [], be32(code), { label: `TPM2_PolicyCommandCode(${handleName(h)}, ${ccShort(code)})` });
  }
  async policyAuthValue(s: ClientSession): Promise<Resp> {
    const r = await this.command(CC.PolicyAuthValue, [s.handle], [], EMPTY, { label: `TPM2_PolicyAuthValue(${handleName(s.handle)})` });
    if (r.rc === 0) {
      s.needsAuthValue = true;
      s.needsPassword = false;
    }
    return r;
  }
  async policyPassword(s: ClientSession): Promise<Resp> {
    const r = await this.command(CC.PolicyPassword, [s.handle], [], EMPTY, { label: `TPM2_PolicyPassword(${handleName(s.handle)})` });
    if (r.rc === 0) {
      s.needsPassword = true;
      s.needsAuthValue = false;
    }
    return r;
  }
  async policyGetDigest(s: ClientSession | number): Promise<{ rc: number; digest?: Uint8Array }> {
    const h = typeof s === 'number' ? s : s.handle;
    const r = await this.command(CC.PolicyGetDigest, [h], [], EMPTY, { label: `TPM2_PolicyGetDigest(${handleName(h)})` });
    if (r.rc) return { rc: r.rc };
    return { rc: 0, digest: this.decode(r, 'TPM2_PolicyGetDigest', (d) => d.tpm2b()) };
  }
  policyOR(s: ClientSession, list: Uint8Array[]): Promise<Resp> {
    const w = new TpmWriter().u32(list.length);
    for (const d of list) w.tpm2b(d);
    return this.command(CC.PolicyOR, [s.handle], [], w.finish(), { label: `TPM2_PolicyOR(${handleName(s.handle)}, ${list.length} branches)` });
  }
  policyLocality(s: ClientSession, locality: number): Promise<Resp> {
    return this.command(CC.PolicyLocality, [s.handle], [], new Uint8Array([locality]), { label: `TPM2_PolicyLocality(${handleName(s.handle)}, 0x${locality.toString(16)})` });
  }
  policySecret(authEntity: Ent, s: ClientSession, auth: Auth, policyRef: Uint8Array = EMPTY): Promise<Resp> {
    const w = new TpmWriter().tpm2b(EMPTY).tpm2b(EMPTY).tpm2b(policyRef).u32(0);
    return this.command(CC.PolicySecret, [authEntity, s.handle], [auth], w.finish(), { label: `TPM2_PolicySecret(${handleName(typeof authEntity === 'number' ? authEntity : authEntity.handle)}, ${handleName(s.handle)})` });
  }

  // ---------------------------------------------------------------- objects

  async createPrimary(hierarchy: number, template: TpmtPublic, o: { userAuth?: Uint8Array; data?: Uint8Array; auth?: Auth; outsideInfo?: Uint8Array; creationPCR?: PcrSelection[]; rawPublic?: Uint8Array; timeoutMs?: number } = {}): Promise<{
    rc: number;
    handle?: number;
    public?: TpmtPublic;
    publicBytes?: Uint8Array;
    creationData?: CreationData;
    creationHash?: Uint8Array;
    ticket?: Ticket;
    name?: Uint8Array;
    resp: Resp;
  }> {
    const params = createParams(template, o);
    const r = await this.command(CC.CreatePrimary, [hierarchy], [o.auth ?? pw()], params, { rHandle: true, timeoutMs: o.timeoutMs ?? 120_000, label: `TPM2_CreatePrimary(${handleName(hierarchy)}, ${describeTemplate(template)})` });
    if (r.rc) return { rc: r.rc, resp: r };
    return {
      rc: 0,
      handle: r.handle,
      resp: r,
      ...this.decode(r, 'TPM2_CreatePrimary', (d) => {
        const publicBytes = d.tpm2b('outPublic');
        const pub = readPublic(new TpmReader(publicBytes, 'outPublic'));
        const cd = d.tpm2b('creationData');
        return { public: pub, publicBytes, creationData: readCreationData(new TpmReader(cd, 'creationData')), creationHash: d.tpm2b(), ticket: readTicket(d, ST.CREATION), name: d.tpm2b() };
      }),
    };
  }

  async create(parent: Ent, template: TpmtPublic, o: { userAuth?: Uint8Array; data?: Uint8Array; auth?: Auth; outsideInfo?: Uint8Array; creationPCR?: PcrSelection[] } = {}): Promise<{
    rc: number;
    private?: Uint8Array;
    public?: TpmtPublic;
    publicBytes?: Uint8Array;
    creationData?: CreationData;
    creationHash?: Uint8Array;
    ticket?: Ticket;
    resp: Resp;
  }> {
    const r = await this.command(CC.Create, [parent], [o.auth ?? pw()], createParams(template, o), { timeoutMs: 120_000, label: `TPM2_Create(parent=${handleName(entHandle(parent))}, ${describeTemplate(template)})` });
    if (r.rc) return { rc: r.rc, resp: r };
    return {
      rc: 0,
      resp: r,
      ...this.decode(r, 'TPM2_Create', (d) => {
        const priv = d.tpm2b('outPrivate');
        const publicBytes = d.tpm2b('outPublic');
        const cd = d.tpm2b('creationData');
        return { private: priv, publicBytes, public: readPublic(new TpmReader(publicBytes, 'outPublic')), creationData: readCreationData(new TpmReader(cd, 'creationData')), creationHash: d.tpm2b(), ticket: readTicket(d, ST.CREATION) };
      }),
    };
  }

  async load(parent: Ent, priv: Uint8Array, pub: TpmtPublic | Uint8Array, auth: Auth = pw()): Promise<{ rc: number; handle?: number; name?: Uint8Array; resp: Resp }> {
    const pubBytes = pub instanceof Uint8Array ? pub : marshal((w) => writePublic(w, pub));
    const r = await this.command(CC.Load, [parent], [auth], new TpmWriter().tpm2b(priv).tpm2b(pubBytes).finish(), { rHandle: true, label: `TPM2_Load(parent=${handleName(entHandle(parent))})` });
    if (r.rc) return { rc: r.rc, resp: r };
    return { rc: 0, handle: r.handle, name: this.decode(r, 'TPM2_Load', (d) => d.tpm2b()), resp: r };
  }

  async readPublic(h: number): Promise<{ rc: number; public?: TpmtPublic; publicBytes?: Uint8Array; name?: Uint8Array; qualifiedName?: Uint8Array }> {
    const r = await this.command(CC.ReadPublic, [h], [], EMPTY, { label: `TPM2_ReadPublic(${handleName(h)})` });
    if (r.rc) return { rc: r.rc };
    return {
      rc: 0,
      ...this.decode(r, 'TPM2_ReadPublic', (d) => {
        const publicBytes = d.tpm2b('outPublic');
        return { publicBytes, public: readPublic(new TpmReader(publicBytes, 'outPublic')), name: d.tpm2b('name'), qualifiedName: d.tpm2b('qualifiedName') };
      }),
    };
  }

  async sign(key: Ent, digest: Uint8Array, scheme: Scheme, validation: Ticket | undefined, auth: Auth = pw()): Promise<{ rc: number; signature?: Signature; resp: Resp }> {
    const w = new TpmWriter().tpm2b(digest);
    writeScheme(w, scheme);
    writeTicket(w, validation ?? { tag: ST.HASHCHECK, hierarchy: 0x40000007, digest: EMPTY });
    const r = await this.command(CC.Sign, [key], [auth], w.finish(), { label: `TPM2_Sign(${handleName(entHandle(key))}, ${algShort(scheme.scheme)}/${algShort(scheme.hashAlg ?? ALG.NULL)}, ${digest.length}-byte digest)` });
    if (r.rc) return { rc: r.rc, resp: r };
    return { rc: 0, signature: this.decode(r, 'TPM2_Sign', (d) => readSignature(d, hashSize)), resp: r };
  }

  async verifySignature(key: Ent, digest: Uint8Array, sig: Signature): Promise<{ rc: number; ticket?: Ticket }> {
    const w = new TpmWriter().tpm2b(digest);
    writeSignature(w, sig);
    const r = await this.command(CC.VerifySignature, [key], [], w.finish(), { label: `TPM2_VerifySignature(${handleName(entHandle(key))}, ${algShort(sig.sigAlg)})` });
    if (r.rc) return { rc: r.rc };
    return { rc: 0, ticket: this.decode(r, 'TPM2_VerifySignature', (d) => readTicket(d, ST.VERIFIED)) };
  }

  evictControl(authHandle: number, object: Ent, persistent: number, auth: Auth = pw()): Promise<Resp> {
    return this.command(CC.EvictControl, [authHandle, object], [auth], be32(persistent), { label: `TPM2_EvictControl(${handleName(authHandle)}, ${handleName(entHandle(object))}, ${handleName(persistent)})` });
  }

  async unseal(item: Ent, auth: Auth = pw()): Promise<{ rc: number; data?: Uint8Array; resp: Resp }> {
    const r = await this.command(CC.Unseal, [item], [auth], EMPTY, { label: `TPM2_Unseal(${handleName(entHandle(item))})` });
    if (r.rc) return { rc: r.rc, resp: r };
    return { rc: 0, data: this.decode(r, 'TPM2_Unseal', (d) => d.tpm2b()), resp: r };
  }

  async objectChangeAuth(object: Ent, parent: Ent, newAuth: Uint8Array, auth: Auth): Promise<{ rc: number; private?: Uint8Array }> {
    const r = await this.command(CC.ObjectChangeAuth, [object, parent], [auth], new TpmWriter().tpm2b(newAuth).finish(), { label: `TPM2_ObjectChangeAuth(${handleName(entHandle(object))})` });
    if (r.rc) return { rc: r.rc };
    return { rc: 0, private: this.decode(r, 'TPM2_ObjectChangeAuth', (d) => d.tpm2b()) };
  }

  // ---------------------------------------------------------------- NV

  nvDefineSpace(authHandle: number, authValue: Uint8Array, pub: NvPublic, auth: Auth = pw()): Promise<Resp> {
    const w = new TpmWriter().tpm2b(authValue).sized((x) => writeNvPublic(x, pub));
    return this.command(CC.NV_DefineSpace, [authHandle], [auth], w.finish(), { label: `TPM2_NV_DefineSpace(${handleName(authHandle)}, ${handleName(pub.nvIndex)}, size ${pub.dataSize}, attributes 0x${pub.attributes.toString(16)})` });
  }
  nvUndefineSpace(authHandle: number, index: number, auth: Auth = pw()): Promise<Resp> {
    return this.command(CC.NV_UndefineSpace, [authHandle, index], [auth], EMPTY, { label: `TPM2_NV_UndefineSpace(${handleName(authHandle)}, ${handleName(index)})` });
  }
  async nvReadPublic(index: number): Promise<{ rc: number; public?: NvPublic; name?: Uint8Array }> {
    const r = await this.command(CC.NV_ReadPublic, [index], [], EMPTY, { label: `TPM2_NV_ReadPublic(${handleName(index)})` });
    if (r.rc) return { rc: r.rc };
    return { rc: 0, ...this.decode(r, 'TPM2_NV_ReadPublic', (d) => ({ public: readNvPublic2b(d, 'nvPublic'), name: d.tpm2b('nvName') })) };
  }
  nvWrite(authHandle: Ent, index: Ent, data: Uint8Array, offset = 0, auth: Auth = pw()): Promise<Resp> {
    return this.command(CC.NV_Write, [authHandle, index], [auth], new TpmWriter().tpm2b(data).u16(offset).finish(), { label: `TPM2_NV_Write(${handleName(entHandle(index))}, ${data.length} bytes at ${offset})` });
  }
  async nvRead(authHandle: Ent, index: Ent, size: number, offset = 0, auth: Auth = pw()): Promise<{ rc: number; data?: Uint8Array; resp: Resp }> {
    const r = await this.command(CC.NV_Read, [authHandle, index], [auth], new TpmWriter(4).u16(size).u16(offset).finish(), { label: `TPM2_NV_Read(${handleName(entHandle(index))}, ${size} bytes at ${offset})` });
    if (r.rc) return { rc: r.rc, resp: r };
    return { rc: 0, data: this.decode(r, 'TPM2_NV_Read', (d) => d.tpm2b()), resp: r };
  }
  nvIncrement(authHandle: Ent, index: Ent, auth: Auth = pw()): Promise<Resp> {
    return this.command(CC.NV_Increment, [authHandle, index], [auth], EMPTY, { label: `TPM2_NV_Increment(${handleName(entHandle(index))})` });
  }
  nvExtend(authHandle: Ent, index: Ent, data: Uint8Array, auth: Auth = pw()): Promise<Resp> {
    return this.command(CC.NV_Extend, [authHandle, index], [auth], new TpmWriter().tpm2b(data).finish(), { label: `TPM2_NV_Extend(${handleName(entHandle(index))}, ${data.length} bytes)` });
  }
  nvSetBits(authHandle: Ent, index: Ent, bits: bigint, auth: Auth = pw()): Promise<Resp> {
    return this.command(CC.NV_SetBits, [authHandle, index], [auth], new TpmWriter(8).u64(bits).finish(), { label: `TPM2_NV_SetBits(${handleName(entHandle(index))}, 0x${bits.toString(16)})` });
  }
  nvWriteLock(authHandle: Ent, index: Ent, auth: Auth = pw()): Promise<Resp> {
    return this.command(CC.NV_WriteLock, [authHandle, index], [auth], EMPTY, { label: `TPM2_NV_WriteLock(${handleName(entHandle(index))})` });
  }
  nvReadLock(authHandle: Ent, index: Ent, auth: Auth = pw()): Promise<Resp> {
    return this.command(CC.NV_ReadLock, [authHandle, index], [auth], EMPTY, { label: `TPM2_NV_ReadLock(${handleName(entHandle(index))})` });
  }
  nvChangeAuth(index: Ent, newAuth: Uint8Array, auth: Auth): Promise<Resp> {
    return this.command(CC.NV_ChangeAuth, [index], [auth], new TpmWriter().tpm2b(newAuth).finish(), { label: `TPM2_NV_ChangeAuth(${handleName(entHandle(index))})` });
  }

  // ---------------------------------------------------------------- hierarchy and DA

  hierarchyChangeAuth(h: number, newAuth: Uint8Array, auth: Auth = pw()): Promise<Resp> {
    const a = auth.kind === 'session' ? { ...auth, responseAuth: newAuth } : auth;
    return this.command(CC.HierarchyChangeAuth, [h], [a], new TpmWriter().tpm2b(newAuth).finish(), { label: `TPM2_HierarchyChangeAuth(${handleName(h)}, ${newAuth.length}-byte newAuth)` });
  }
  clear(h: number, auth: Auth = pw()): Promise<Resp> {
    const a = auth.kind === 'session' ? { ...auth, responseAuth: EMPTY } : auth;
    return this.command(CC.Clear, [h], [a], EMPTY, { label: `TPM2_Clear(${handleName(h)})` });
  }
  clearControl(h: number, disable: boolean, auth: Auth = pw()): Promise<Resp> {
    return this.command(CC.ClearControl, [h], [auth], new Uint8Array([disable ? 1 : 0]), { label: `TPM2_ClearControl(${handleName(h)}, disable=${disable ? 'YES' : 'NO'})` });
  }
  hierarchyControl(authHandle: number, enable: number, state: boolean, auth: Auth = pw()): Promise<Resp> {
    return this.command(CC.HierarchyControl, [authHandle], [auth], new TpmWriter(5).u32(enable).u8(state ? 1 : 0).finish(), { label: `TPM2_HierarchyControl(${handleName(authHandle)}, ${handleName(enable)}, ${state ? 'YES' : 'NO'})` });
  }
  dictionaryAttackLockReset(auth: Auth = pw()): Promise<Resp> {
    return this.command(CC.DictionaryAttackLockReset, [0x4000000a], [auth], EMPTY, { label: 'TPM2_DictionaryAttackLockReset(TPM_RH_LOCKOUT)' });
  }
  dictionaryAttackParameters(maxTries: number, recoveryTime: number, lockoutRecovery: number, auth: Auth = pw()): Promise<Resp> {
    return this.command(CC.DictionaryAttackParameters, [0x4000000a], [auth], new TpmWriter(12).u32(maxTries).u32(recoveryTime).u32(lockoutRecovery).finish(), {
      label: `TPM2_DictionaryAttackParameters(maxTries=${maxTries}, recoveryTime=${recoveryTime}, lockoutRecovery=${lockoutRecovery})`,
    });
  }
}

export class PlatformError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'PlatformError';
  }
}

function isBoundTo(s: ClientSession, name: Uint8Array | undefined, auth: Uint8Array | undefined): boolean {
  return s.bound !== undefined && name !== undefined && eq(s.bound.name, name) && eq(s.bound.auth, stripZeros(auth ?? EMPTY));
}

function eq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function entHandle(e: Ent): number {
  return typeof e === 'number' ? e : e.handle;
}

/** A sequence object's name is empty: give it, so no ReadPublic is sent for it. */
function seqEnt(e: Ent): Entity {
  return typeof e === 'number' ? { handle: e, name: EMPTY } : { name: EMPTY, ...e };
}

function marshal(f: (w: TpmWriter) => void): Uint8Array {
  const w = new TpmWriter(256);
  f(w);
  return w.finish();
}

function createParams(template: TpmtPublic, o: { userAuth?: Uint8Array; data?: Uint8Array; outsideInfo?: Uint8Array; creationPCR?: PcrSelection[]; rawPublic?: Uint8Array }): Uint8Array {
  const w = new TpmWriter(512);
  writeSensitiveCreate(w, { userAuth: o.userAuth ?? EMPTY, data: o.data ?? EMPTY });
  w.tpm2b(o.rawPublic ?? marshal((x) => writePublic(x, template)));
  w.tpm2b(o.outsideInfo ?? EMPTY);
  writePcrSelections(w, o.creationPCR ?? []);
  return w.finish();
}

export function algShort(alg: number): string {
  const n = Object.entries(ALG).find(([, v]) => v === alg)?.[0];
  return n ?? `0x${alg.toString(16)}`;
}

export function describeSel(sels: PcrSelection[]): string {
  return sels
    .map((s) => {
      const pcrs: number[] = [];
      s.select.forEach((b, i) => {
        for (let j = 0; j < 8; j++) if (b & (1 << j)) pcrs.push(i * 8 + j);
      });
      return `${algShort(s.hash)}:[${pcrs.join(',')}]`;
    })
    .join(' ');
}

export function describeTemplate(t: TpmtPublic): string {
  const type = algShort(t.type);
  const detail = t.type === ALG.RSA ? `${t.keyBits}` : t.type === ALG.ECC ? `curve 0x${(t.curveId ?? 0).toString(16)}` : '';
  return `${type}${detail ? ` ${detail}` : ''}, attributes 0x${t.objectAttributes.toString(16)}`;
}

/** A salt for a session and its encryption to a TPM key (RSA-OAEP, or ECDH + KDFe for ECC). */
export function makeSalt(pub: TpmtPublic): { salt: Uint8Array; encrypted: Uint8Array } {
  const size = hashSize(pub.nameAlg);
  if (pub.type === ALG.RSA) {
    const salt = new Uint8Array(randomBytes(size));
    const n = Buffer.from(pub.unique).toString('base64url');
    const e = Buffer.from(new TpmWriter(4).u32(pub.exponent || 65537).finish().subarray(1)).toString('base64url');
    const key = createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' });
    const enc = publicEncrypt({ key, padding: C.RSA_PKCS1_OAEP_PADDING, oaepHash: HASH_NAMES[pub.nameAlg], oaepLabel: Buffer.from('SECRET\0') }, salt);
    return { salt, encrypted: new Uint8Array(enc) };
  }
  // ECC: ephemeral key, Z = d_e * Q, salt = KDFe(nameAlg, Z.x, "SECRET", Q_e.x, Q.x)
  const curve = pub.curveId === ECC_CURVE.NIST_P384 ? (p384 as unknown as typeof p256) : p256;
  const de = curve.utils.randomSecretKey();
  const qe = curve.getPublicKey(de, false);
  const half = (qe.length - 1) / 2;
  const z = curve.getSharedSecret(de, concat(new Uint8Array([4]), pub.point!.x, pub.point!.y), true).slice(1);
  const xe = qe.slice(1, 1 + half);
  const salt = kdfe(pub.nameAlg, z, 'SECRET', xe, pub.point!.x, size * 8);
  return { salt, encrypted: new TpmWriter(2 * half + 4).tpm2b(xe).tpm2b(qe.slice(1 + half)).finish() };
}

export { computeName, describeResponse, hex };
