// Shared by the tpm2 checks: the TPM check wrapper (TPM2_Startup before
// the check, RETRY/TESTING warnings retried and reported, cleanup, and the
// tpm2-tss style leak check: the handle lists are the same before and after
// each check), spec references, and helpers that create the resources a
// check needs with unique handles and register their removal.
import { Tpm2Client, pw, withSession, type Auth, type ClientSession, type Ent } from '../../clients/tpm2.js';
import { bytesEqual, concat, fromHex, hex, utf8 } from '../../protocol/bytes.js';
import { ALG, CAP, HT, RH, SE, SU, TPMA_NV, TPMA_SESSION, handleName } from '../../protocol/tpm2/constants.js';
import { hashSize } from '../../protocol/tpm2/crypto.js';
import { RC, rcName } from '../../protocol/tpm2/rc.js';
import { Tpm2Op } from '../../protocol/tpm2/platform.js';
import { eccStorage, rsaStorage } from '../../protocol/tpm2/templates.js';
import type { CapabilityData, NvPublic, PcrSelection, TpmtPublic } from '../../protocol/tpm2/structures.js';
import { TransportError } from '../../transports/types.js';
import { check } from '../harness/check.js';
import { CheckFailure } from '../harness/signals.js';
import type { StatusDomain } from '../harness/signals.js';
import type { CheckContext, CheckDef, CheckSpec } from '../harness/types.js';

export const LIB = 'TCG TPM 2.0 Library 1.59';
export const P1 = 'TCG TPM 2.0 Library 1.59, Part 1: Architecture';
export const P2 = 'TCG TPM 2.0 Library 1.59, Part 2: Structures';
export const P3 = 'TCG TPM 2.0 Library 1.59, Part 3: Commands';
export const PTP = 'TCG PC Client Platform TPM Profile (PTP) for TPM 2.0, 1.05';

/** TPM response codes named in messages: `TPM_RC_VALUE + parameter 1 (0x1c4)`. */
export const TPM_RC: StatusDomain = { name: rcName };

const EMPTY = new Uint8Array(0);

/** Handle types the leak check compares (TPM_CAP_HANDLES), as tpm2-tss test-common does. */
const LEAK_TYPES = [HT.TRANSIENT, HT.LOADED_SESSION, HT.SAVED_SESSION, HT.PERSISTENT, HT.NV_INDEX] as const;
const LEAK_NAMES: Record<number, string> = {
  [HT.TRANSIENT]: 'transient objects',
  [HT.LOADED_SESSION]: 'loaded sessions',
  [HT.SAVED_SESSION]: 'saved sessions',
  [HT.PERSISTENT]: 'persistent objects',
  [HT.NV_INDEX]: 'NV indices',
};

export interface TpmCheckSpec extends Omit<CheckSpec, 'services'> {
  /** Compare handle lists before and after the check (default true). */
  leakCheck?: boolean;
  /** Send TPM2_Startup(CLEAR) first (default true; TPM_RC_INITIALIZE = already started). */
  startup?: boolean;
  run(x: Tx): Promise<void>;
}

/** The platform signal each platform capability stands for (the tpm2 envelope opcodes). */
const SIGNALS: Record<string, { op: number; what: string }> = {
  'tpm2.power-cycle': { op: Tpm2Op.INIT, what: '_TPM_Init' },
  'tpm2.locality': { op: Tpm2Op.SET_LOCALITY, what: 'a locality change' },
  'tpm2.drtm': { op: Tpm2Op.HASH_START, what: '_TPM_Hash_Start' },
  'tpm2.established': { op: Tpm2Op.GET_ESTABLISHED, what: 'TPM_ACCESS.tpmEstablishment' },
};

/**
 * UNSUPPORTED before anything is sent when the profile leaves a platform
 * capability undeclared and the transport says it cannot carry the signal
 * (/dev/tpmrm0, the fTPM TA): a check must not change the TPM and then find
 * it cannot put it back.
 */
function cannotSignal(t: CheckContext, caps: readonly string[]): void {
  for (const cap of caps) {
    const sig = SIGNALS[cap];
    if (!sig || t.cap(cap) !== undefined) continue;
    const ch = t.channel('tpm2');
    if (ch.carries?.(sig.op) === false) t.unsupported(`${ch.uri} cannot carry ${sig.what} (${cap} undeclared); declare ${cap} false in the profile to say so`);
  }
}

/** A check of the tpm2 suite. */
export function tpmCheck(spec: TpmCheckSpec): CheckDef {
  const { run, leakCheck, startup, ...rest } = spec;
  return check({
    ...rest,
    services: ['tpm2'],
    run: async (t) => {
      cannotSignal(t, rest.capabilities ?? []);
      const x = new Tx(t);
      if (startup !== false) await x.ensureStarted();
      // taken even without the leak check: a check the transport interrupts (no _TPM_Init to
      // clean up after it) has its leftovers flushed, so later checks find the TPM as it was
      const before = await x.snapshot();
      let failure: unknown;
      try {
        await run(x);
      } catch (e) {
        failure = e;
      }
      await x.cleanup();
      const interrupted = failure instanceof TransportError && failure.kind === 'unsupported';
      if (leakCheck === false && interrupted) {
        const left = await x.leaks(before).catch(() => []);
        if (left.length) {
          await x.flushLeftovers(left);
          t.note(`flushed what the interrupted check left: ${left.map(handleName).join(', ')}`);
        }
      }
      if (leakCheck !== false) {
        let leaked: number[];
        try {
          leaked = await x.leaks(before);
        } catch (e) {
          // the finding stands; a TPM the check left unusable must not turn it into ERROR
          if (failure === undefined) throw e;
          t.note(`leak check skipped: ${(e as Error).message}`);
          await x.ensureStarted().catch(() => undefined);
          throw failure;
        }
        if (leaked.length) {
          await x.flushLeftovers(leaked);
          if (failure === undefined) {
            const kinds = [...new Set(leaked.map((h) => LEAK_NAMES[h >>> 24] ?? 'handles'))].join(', ');
            t.fail(`${kinds} left over after the check: ${leaked.map(handleName).join(', ')}`, {
              expected: 'the same TPM_CAP_HANDLES lists before and after the check (every object and session the check flushed is gone)',
              actual: `still present: ${leaked.map((h) => `0x${h.toString(16).padStart(8, '0')}`).join(', ')}`,
              notes: ['a command that answered TPM_RC_SUCCESS to TPM2_FlushContext / TPM2_NV_UndefineSpace / TPM2_EvictControl kept the entity, or the check did not clean up'],
            });
          }
          t.note(`flushed handles left over after the failure: ${leaked.map(handleName).join(', ')}`);
        }
      }
      if (failure instanceof TransportError && failure.kind === 'unsupported') {
        // a platform signal this transport cannot carry (mssim has no tpmEstablished, say)
        t.unsupported(`${failure.message}; declare the matching tpm2.* capability false in the profile`);
      }
      if (failure !== undefined) throw failure;
    },
  });
}

export class Tx {
  readonly c: Tpm2Client;
  private readonly cleanups: (() => Promise<unknown>)[] = [];
  private propCache: Map<number, number> | undefined;

  constructor(readonly t: CheckContext) {
    this.c = new Tpm2Client(t.channel('tpm2'), {
      onRetry: (rc, attempt, what) => t.note(`${what}: ${rcName(rc)} — retried (attempt ${attempt})`),
    });
  }

  // ------------------------------------------------------------ lifecycle

  async ensureStarted(): Promise<void> {
    const r = await this.c.startup(SU.CLEAR);
    if (r.rc !== RC.SUCCESS && r.rc !== RC.INITIALIZE) {
      throw new TransportError('protocol', `the TPM cannot be started: TPM2_Startup(CLEAR) answered ${rcName(r.rc)}`);
    }
  }

  /** Power cycle (_TPM_Init) and TPM2_Startup(type); UNSUPPORTED without tpm2.power-cycle. */
  async reboot(type: number = SU.CLEAR): Promise<number> {
    this.need('tpm2.power-cycle', 'this check power-cycles the TPM (_TPM_Init)');
    await this.c.init();
    return (await this.c.startup(type)).rc;
  }

  need(cap: string, why: string): void {
    if (this.t.cap(cap) === false) this.t.unsupported(`profile declares ${cap} = false; ${why}`);
  }

  defer(fn: () => Promise<unknown>): void {
    this.cleanups.push(fn);
  }

  async cleanup(): Promise<void> {
    while (this.cleanups.length) {
      const fn = this.cleanups.pop()!;
      try {
        await fn();
      } catch (e) {
        this.t.note(`cleanup failed: ${(e as Error).message}`);
      }
    }
  }

  async snapshot(): Promise<Map<number, number[]>> {
    const m = new Map<number, number[]>();
    for (const ty of LEAK_TYPES) m.set(ty, await this.c.handles(ty));
    return m;
  }

  async leaks(before: Map<number, number[]>): Promise<number[]> {
    const out: number[] = [];
    for (const ty of LEAK_TYPES) {
      const was = new Set(before.get(ty));
      for (const h of await this.c.handles(ty)) if (!was.has(h)) out.push(h);
    }
    return out;
  }

  async flushLeftovers(handles: number[]): Promise<void> {
    for (const h of handles) {
      const ty = h >>> 24;
      try {
        if (ty === HT.TRANSIENT || ty === HT.HMAC_SESSION || ty === HT.POLICY_SESSION) {
          await this.c.flushContext(h);
        } else if (ty === HT.PERSISTENT) await this.c.evictControl(RH.OWNER, h, h, this.ownerAuth());
        else if (ty === HT.NV_INDEX) await this.c.nvUndefineSpace(RH.OWNER, h, this.ownerAuth());
      } catch (e) {
        this.t.note(`flushing ${handleName(h)} failed: ${(e as Error).message}`);
      }
    }
  }

  // ------------------------------------------------------------ judging

  rc(actual: number, expected: number | readonly number[], what: string): void {
    this.t.expectStatus(TPM_RC, actual, expected, what);
  }

  /** A precondition that must succeed; otherwise the check fails saying which. */
  ok(r: { rc: number }, what: string): void {
    if (r.rc !== RC.SUCCESS) this.t.fail(`precondition ${what} answered ${rcName(r.rc)}`, { expected: rcName(RC.SUCCESS), actual: rcName(r.rc) });
  }

  bytes(actual: Uint8Array | undefined, expected: Uint8Array, what: string): void {
    this.t.expectBytes(actual ?? EMPTY, expected, what);
  }

  // ------------------------------------------------------------ authorization values from the profile

  private authCap(name: string): Uint8Array {
    const v = this.t.cap(`tpm2.${name}-auth`);
    return typeof v === 'string' ? (v.startsWith('hex:') ? fromHex(v.slice(4)) : utf8(v)) : EMPTY;
  }
  ownerAuthValue(): Uint8Array {
    return this.authCap('owner');
  }
  /** The profile's authValue of a hierarchy handle (owner, endorsement, lockout; platform is empty). */
  authValueOf(h: number): Uint8Array {
    return h === RH.OWNER ? this.authCap('owner') : h === RH.ENDORSEMENT ? this.authCap('endorsement') : h === RH.LOCKOUT ? this.authCap('lockout') : EMPTY;
  }
  ownerAuth(): Auth {
    return pw(this.authCap('owner'));
  }
  endorsementAuth(): Auth {
    return pw(this.authCap('endorsement'));
  }
  lockoutAuth(): Auth {
    return pw(this.authCap('lockout'));
  }
  platformAuth(): Auth {
    this.need('tpm2.platform-auth', 'the platform hierarchy must be usable with an empty platformAuth');
    return pw();
  }

  // ------------------------------------------------------------ resources

  /** A storage primary in `hierarchy` (ECC P-256 by default), flushed after the check. */
  async primary(kind: 'ecc' | 'rsa' = 'ecc', hierarchy: number = RH.OWNER, template?: TpmtPublic): Promise<{ handle: number; public: TpmtPublic; name: Uint8Array }> {
    const tpl = template ?? (kind === 'rsa' ? rsaStorage() : eccStorage());
    const auth = hierarchy === RH.OWNER ? this.ownerAuth() : hierarchy === RH.ENDORSEMENT ? this.endorsementAuth() : hierarchy === RH.PLATFORM ? this.platformAuth() : pw();
    const r = await this.c.createPrimary(hierarchy, tpl, { auth });
    this.ok(r, `TPM2_CreatePrimary(${handleName(hierarchy)}, ${kind} storage key)`);
    this.defer(() => this.c.flushContext(r.handle!));
    return { handle: r.handle!, public: r.public!, name: r.name! };
  }

  /** Create + Load a child of `parent`; flushed after the check. */
  async child(parent: number, template: TpmtPublic, o: { userAuth?: Uint8Array; data?: Uint8Array } = {}): Promise<{ handle: number; public: TpmtPublic; name: Uint8Array; private: Uint8Array }> {
    const c = await this.c.create(parent, template, o);
    this.ok(c, 'TPM2_Create of the object the check uses');
    const l = await this.c.load(parent, c.private!, c.publicBytes!);
    this.ok(l, 'TPM2_Load of the object the check uses');
    this.defer(() => this.c.flushContext(l.handle!));
    return { handle: l.handle!, public: c.public!, name: l.name!, private: c.private! };
  }

  /** Starts a session that is flushed after the check if it is still open. */
  async session(type: number = SE.HMAC, o: Parameters<Tpm2Client['startAuthSession']>[0] = {}): Promise<ClientSession> {
    const r = await this.c.startAuthSession({ ...o, type });
    this.ok(r, `TPM2_StartAuthSession(${type === SE.HMAC ? 'HMAC' : type === SE.POLICY ? 'POLICY' : 'TRIAL'})`);
    const s = r.session!;
    this.defer(async () => {
      if (s.open) await this.c.flushContext(s.handle);
    });
    return s;
  }

  /** A fresh NV index handle in the owner range that no other check or run uses. */
  nvHandle(): number {
    const base = this.t.capNumber('tpm2.nv-base') ?? 0x01500000;
    return (base + (((this.t.runNonce & 0xff) << 8) | (this.t.unique() & 0xff))) >>> 0;
  }

  /** A fresh persistent handle in the owner range. */
  persistentHandle(): number {
    const base = this.t.capNumber('tpm2.persistent-base') ?? 0x81000100;
    return (base + (((this.t.runNonce & 0x3f) << 6) | (this.t.unique() & 0x3f))) >>> 0;
  }

  /** Defines an owner NV index (owner authorization), undefined after the check. */
  async nv(attributes: number, dataSize: number, o: { authValue?: Uint8Array; nameAlg?: number; authPolicy?: Uint8Array; index?: number } = {}): Promise<NvPublic> {
    const pub: NvPublic = { nvIndex: o.index ?? this.nvHandle(), nameAlg: o.nameAlg ?? ALG.SHA256, attributes, authPolicy: o.authPolicy ?? EMPTY, dataSize };
    const r = await this.c.nvDefineSpace(RH.OWNER, o.authValue ?? EMPTY, pub, this.ownerAuth());
    this.ok(r, `TPM2_NV_DefineSpace(${handleName(pub.nvIndex)}, size ${dataSize}, attributes 0x${attributes.toString(16)})`);
    this.defer(() => this.c.nvUndefineSpace(RH.OWNER, pub.nvIndex, this.ownerAuth()));
    return pub;
  }

  /** Sets the command locality for the rest of the check (restored to 0 afterwards). */
  async locality(n: number): Promise<void> {
    this.need('tpm2.locality', 'the check sends commands at other localities');
    await this.c.setLocality(n);
    this.defer(() => this.c.setLocality(0));
  }

  // ------------------------------------------------------------ what the TPM says about itself

  async props(): Promise<Map<number, number>> {
    if (!this.propCache) {
      const fixed = await this.c.properties(0x100);
      for (const [k, v] of await this.c.properties(0x200)) fixed.set(k, v);
      this.propCache = fixed;
    }
    return this.propCache;
  }

  async prop(pt: number): Promise<number> {
    const v = (await this.props()).get(pt);
    if (v === undefined) this.t.fail(`TPM2_GetCapability(TPM_PROPERTIES) does not report property 0x${pt.toString(16)}`, { expected: 'the property listed', actual: 'absent' });
    return v;
  }

  /** A property read now (not cached): TPMA_PERMANENT, TPMA_STARTUP_CLEAR, DA counters. */
  async propNow(pt: number): Promise<number> {
    const v = (await this.c.properties(pt & 0xffffff00)).get(pt);
    if (v === undefined) this.t.fail(`TPM2_GetCapability(TPM_PROPERTIES) does not report property 0x${pt.toString(16)}`, { expected: 'the property listed', actual: 'absent' });
    return v;
  }

  /** PCR banks with at least one PCR allocated. */
  async banks(): Promise<number[]> {
    const r = await this.c.getCapability(CAP.PCRS, 0, 16);
    this.ok(r, 'TPM2_GetCapability(TPM_CAP_PCRS)');
    const d = r.data as Extract<CapabilityData, { capability: typeof CAP.PCRS }>;
    return d.pcrs.filter((s) => s.select.some((b) => b !== 0)).map((s) => s.hash);
  }

  async implementedCommands(): Promise<number[]> {
    const r = await this.c.getCapabilityAll(CAP.COMMANDS, 0, (d) => (d.capability === CAP.COMMANDS ? d.commands : []), (a) => (a & 0xffff) + 1 + (a & 0x20000000 ? 0x20000000 : 0));
    this.ok(r, 'TPM2_GetCapability(TPM_CAP_COMMANDS)');
    return r.items.map((a) => (a & 0xffff) | (a & 0x20000000 ? 0x20000000 : 0));
  }

  async implementedAlgs(): Promise<Map<number, number>> {
    const r = await this.c.getCapabilityAll(CAP.ALGS, 0, (d) => (d.capability === CAP.ALGS ? d.algs : []), (a) => a.alg + 1);
    this.ok(r, 'TPM2_GetCapability(TPM_CAP_ALGS)');
    return new Map(r.items.map((a) => [a.alg, a.attributes]));
  }

  /** UNSUPPORTED unless the TPM lists `alg` in TPM_CAP_ALGS. */
  async needAlg(alg: number, name: string): Promise<void> {
    if (!(await this.implementedAlgs()).has(alg)) this.t.unsupported(`the TPM does not list ${name} in TPM_CAP_ALGS`);
  }

  async pcr(alg: number, index: number): Promise<Uint8Array> {
    const r = await this.c.pcrRead([{ hash: alg, select: selectOne(index) }]);
    this.ok(r, `TPM2_PCR_Read(${algName(alg)}:${index})`);
    if (r.values!.length !== 1) this.t.fail(`TPM2_PCR_Read(${algName(alg)}:${index}) returned ${r.values!.length} digests`, { expected: '1 digest', actual: `${r.values!.length}` });
    return r.values![0]!;
  }

  // ------------------------------------------------------------ small helpers

  hmac(s: ClientSession, auth: Uint8Array = EMPTY, attributes: number = TPMA_SESSION.continueSession): Auth {
    return withSession(s, auth, attributes);
  }
}

export function selectOne(pcr: number): Uint8Array {
  const s = new Uint8Array(3);
  s[pcr >> 3] = 1 << (pcr & 7);
  return s;
}

export function sel(alg: number, ...pcrs: number[]): PcrSelection {
  const s = new Uint8Array(3);
  for (const p of pcrs) s[p >> 3]! |= 1 << (p & 7);
  return { hash: alg, select: s };
}

export function algName(alg: number): string {
  return { [ALG.SHA1]: 'SHA-1', [ALG.SHA256]: 'SHA-256', [ALG.SHA384]: 'SHA-384', [ALG.SHA512]: 'SHA-512' }[alg] ?? `alg 0x${alg.toString(16)}`;
}

export function digestOf(alg: number, fill: number): Uint8Array {
  return new Uint8Array(hashSize(alg)).fill(fill);
}

/** NV attributes used throughout: owner and auth read/write, no DA. */
export const NV_RW = TPMA_NV.OWNERWRITE | TPMA_NV.OWNERREAD | TPMA_NV.AUTHWRITE | TPMA_NV.AUTHREAD | TPMA_NV.NO_DA;

/** Builds a raw command from parts (for malformed-command checks). */
export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0);
  return b;
}
export function u16(v: number): Uint8Array {
  return Uint8Array.from([(v >> 8) & 0xff, v & 0xff]);
}
/** A raw command: tag, size (computed unless given), command code, body. */
export function rawCmd(tag: number, cc: number, body: Uint8Array = EMPTY, size?: number): Uint8Array {
  return concat(u16(tag), u32(size ?? 10 + body.length), u32(cc), body);
}
/** An empty password session area entry. */
export const PW_SESSION = concat(u32(0x40000009), u16(0), new Uint8Array([0]), u16(0));

export function isFailure(e: unknown): e is CheckFailure {
  return e instanceof CheckFailure;
}

export { RC, SE, bytesEqual, hex, utf8, concat, fromHex };
export type { Ent };
