// The reference TPM 2.0: command dispatch in the order of TCG TPM 2.0
// Library Part 3, 5 (header, handle area, authorization area, parameters),
// authorization checks of Part 1, 19 (password, HMAC and policy sessions,
// dictionary-attack protection), response authorization, platform signals
// (_TPM_Init, locality, _TPM_Hash_Start/Data/End) and the state a TPM keeps:
// PCR banks, loaded objects and sessions, NV indices and persistent objects
// (in the reference ITS through TpmStore), hierarchy seeds and proofs.
// Never throws on command bytes: every malformed command gets a TPM_RC.
import { randomBytes } from 'node:crypto';
import { bytesEqual, concat } from '../../protocol/bytes.js';
import { ALG, CC, HT, RH, RS_PW, SE, ST, SU, TPMA_NV, TPMA_OBJECT, TPMA_SESSION, TPM_GENERATED_VALUE, nvType, NT } from '../../protocol/tpm2/constants.js';
import { hash, hashSize, isHashAlg } from '../../protocol/tpm2/crypto.js';
import { errorResponse } from '../../protocol/tpm2/command.js';
import { TpmReader, TpmWriter, be32 } from '../../protocol/tpm2/marshal.js';
import { RC, rcH, rcP, rcS } from '../../protocol/tpm2/rc.js';
import { commandHmac, cpHash as computeCpHash, cryptParameter, responseHmac, rpHash as computeRpHash, stripZeros } from '../../protocol/tpm2/session.js';
import { nvName, type PcrSelection } from '../../protocol/tpm2/structures.js';
import { Params, TpmError, type CommandDef, type CommandState, type HandleType, type KeyObject, type NvIndex, type Session, type TransientObject, type SequenceObject } from './defs.js';
import { ORDERLY_NONE, StoreError, type Permanent, type PersistentRecord, type TpmStore } from './store.js';
import { decodeSavedState, encodeSavedState, type SavedState } from './saved-state.js';
import { COMMANDS } from './commands/index.js';
import { objectFromRecord } from './objects.js';

export interface Tpm2Config {
  maxLoadedObjects: number;
  maxLoadedSessions: number;
  maxActiveSessions: number;
  /** TPM_PT_NV_BUFFER_MAX: largest NV_Write / NV_Read. */
  nvBufferMax: number;
  /** Largest ordinary NV index. */
  maxNvIndexSize: number;
  /** Total bytes of NV index data. */
  nvSpace: number;
  maxNvIndices: number;
  /** Persistent objects the TPM can hold. */
  maxPersistent: number;
  /** TPM_PT_INPUT_BUFFER: largest TPM2B_MAX_BUFFER (Hash, SequenceUpdate). */
  inputBuffer: number;
  maxCommandSize: number;
  maxResponseSize: number;
  /** PCR banks (TPM_ALG_ID of the hash). */
  pcrBanks: number[];
  /** Dictionary-attack defaults after manufacture and TPM2_Clear. */
  daMaxTries: number;
  daRecoveryTime: number;
  daLockoutRecovery: number;
  /** TPM_PT_MANUFACTURER (4 ASCII characters). */
  manufacturer: string;
  vendorString: string;
}

export const DEFAULT_TPM2_CONFIG: Tpm2Config = {
  maxLoadedObjects: 3,
  maxLoadedSessions: 3,
  maxActiveSessions: 64,
  nvBufferMax: 1024,
  maxNvIndexSize: 2048,
  nvSpace: 32768,
  maxNvIndices: 64,
  maxPersistent: 7,
  inputBuffer: 1024,
  maxCommandSize: 4096,
  maxResponseSize: 4096,
  pcrBanks: [ALG.SHA1, ALG.SHA256, ALG.SHA384],
  daMaxTries: 3,
  daRecoveryTime: 1000,
  daLockoutRecovery: 1000,
  manufacturer: 'FWSE',
  vendorString: 'fwsec reference',
};

export const PCR_COUNT = 24;
export const PCR_SELECT_MIN = 3;
export const MAX_SESSION_NUM = 3;
/** PC Client PCR attributes: state saved, reset localities, extend localities (bit n = locality n). */
export const PCR_ATTRIBUTES: readonly { save: boolean; reset: number; extend: number }[] = [
  ...Array.from({ length: 16 }, () => ({ save: true, reset: 0x00, extend: 0x1f })),
  { save: false, reset: 0x0f, extend: 0x1f }, // 16 debug
  { save: false, reset: 0x10, extend: 0x1c }, // 17 DRTM
  { save: false, reset: 0x10, extend: 0x1c }, // 18
  { save: false, reset: 0x10, extend: 0x0c }, // 19
  { save: false, reset: 0x14, extend: 0x0e }, // 20
  { save: false, reset: 0x14, extend: 0x04 }, // 21
  { save: false, reset: 0x14, extend: 0x04 }, // 22
  { save: false, reset: 0x0f, extend: 0x1f }, // 23 application
];
/** PCRs whose change does not increment pcrUpdateCounter (TCB group). */
export const PCR_NO_INCREMENT = new Set([20, 21, 22]);

const EMPTY = new Uint8Array(0);

const rand = (n: number) => new Uint8Array(randomBytes(n));

/** State lost on TPM Reset, restored on Restart/Resume from the Shutdown(STATE) image. */
type ResetState = Omit<SavedState, 'savedSessions' | 'clear' | 'pcrs'> & {
  /** Saved sessions: handle -> sequence of their one valid context. */
  savedSessions: Map<number, bigint>;
};

/** State lost on TPM Restart (Startup(CLEAR)), restored only on Resume. */
interface ClearState {
  shEnable: boolean;
  ehEnable: boolean;
  phEnable: boolean;
  platformAuth: Uint8Array;
  platformPolicy: { alg: number; digest: Uint8Array };
}

interface AuthSlot {
  handle: number;
  nonceCaller: Uint8Array;
  attributes: number;
  hmac: Uint8Array;
  session?: Session;
  /** The handle this session authorizes (undefined: audit/encrypt/decrypt only). */
  associated?: number;
  includeAuth: boolean;
}

export class Tpm {
  // platform
  locality = 0;
  running = true;
  started = false;
  private drtm: SequenceObject | undefined;
  /** An H-CRTM sequence (_TPM_Hash_Start/End before TPM2_Startup) set PCR 0; Startup keeps it. */
  private hcrtm = false;
  // permanent (mirrors the store)
  perm!: Permanent;
  nv = new Map<number, NvIndex>();
  persistent = new Map<number, PersistentRecord>();
  private persistentCache = new Map<number, KeyObject>();
  // volatile
  pcrs = new Map<number, Uint8Array[]>();
  objects = new Map<number, TransientObject>();
  sessions = new Map<number, Session>();
  reset!: ResetState;
  clear!: ClearState;
  selfTested = false;
  /** Count of TPM_RC_FAILURE answers caused by the store (failure mode). */
  failureMode = false;
  private daTimer = Date.now();
  private lockoutTimer = Date.now();
  /** CreatePrimary key cache: (seed, template) -> material (the derivation is deterministic). */
  readonly primaryCache = new Map<string, unknown>();

  private constructor(
    readonly store: TpmStore,
    readonly config: Tpm2Config,
    readonly log: (line: string) => void,
  ) {}

  static async create(store: TpmStore, config: Tpm2Config, log: (line: string) => void = () => {}): Promise<Tpm> {
    const t = new Tpm(store, config, log);
    const perm = await store.loadPermanent();
    t.perm = perm ?? t.manufacture();
    if (!perm) await store.savePermanent(t.perm);
    for (const [k, v] of await store.loadNv()) t.nv.set(k, { pub: v.pub, auth: v.auth, data: v.data });
    t.persistent = await store.loadPersistent();
    t.powerOn();
    return t;
  }

  private manufacture(): Permanent {
    const c = this.config;
    return {
      eps: rand(64),
      sps: rand(64),
      pps: rand(64),
      ehProof: rand(64),
      shProof: rand(64),
      phProof: rand(64),
      ownerAuth: EMPTY,
      endorsementAuth: EMPTY,
      lockoutAuth: EMPTY,
      ownerPolicy: { alg: ALG.NULL, digest: EMPTY },
      endorsementPolicy: { alg: ALG.NULL, digest: EMPTY },
      lockoutPolicy: { alg: ALG.NULL, digest: EMPTY },
      disableClear: false,
      lockoutAuthEnabled: true,
      phEnableNV: true,
      tpmEstablished: false,
      failedTries: 0,
      maxTries: c.daMaxTries,
      recoveryTime: c.daRecoveryTime,
      lockoutRecovery: c.daLockoutRecovery,
      orderlyState: SU.CLEAR,
      resetCount: 0,
      totalResetCount: 0,
      clock: 0n,
      maxCounter: 0n,
      savedState: EMPTY,
    };
  }

  /** _TPM_Init: every volatile thing is gone; the TPM waits for TPM2_Startup. */
  powerOn(): void {
    this.started = false;
    this.running = true;
    this.locality = 0;
    this.drtm = undefined;
    this.hcrtm = false;
    this.objects.clear();
    this.sessions.clear();
    this.persistentCache.clear();
    this.selfTested = false;
    this.failureMode = false;
    this.reset = { nullProof: rand(64), nullSeed: rand(64), clearCount: 0, restartCount: 0, pcrCounter: 0, contextCounter: 0n, savedSessions: new Map() };
    this.clear = { shEnable: true, ehEnable: true, phEnable: true, platformAuth: EMPTY, platformPolicy: { alg: ALG.NULL, digest: EMPTY } };
    this.pcrs.clear();
    for (const alg of this.config.pcrBanks) this.pcrs.set(alg, this.freshPcrs(alg));
  }

  private freshPcrs(alg: number): Uint8Array[] {
    return Array.from({ length: PCR_COUNT }, (_, i) => new Uint8Array(hashSize(alg)).fill(PCR_ATTRIBUTES[i]!.reset & 0x10 ? 0xff : 0));
  }

  async savePerm(): Promise<void> {
    await this.store.savePermanent(this.perm);
  }

  // ------------------------------------------------------------------ platform signals

  stop(): void {
    this.running = false;
  }

  hashStart(): void {
    this.drtm = { kind: 'sequence', auth: EMPTY, hashAlg: ALG.NULL, data: [], dataLength: 0, ticketOk: true, started: true };
    this.perm.tpmEstablished = true;
    void this.savePerm().catch((e) => this.log(`tpm2: saving tpmEstablished failed: ${e}`));
  }

  hashData(data: Uint8Array): void {
    if (!this.drtm) return;
    this.drtm.data.push(data.slice());
    this.drtm.dataLength += data.length;
  }

  hashEnd(): void {
    const seq = this.drtm;
    this.drtm = undefined;
    if (!seq) return;
    if (!this.started) {
      // H-CRTM: PCR 0 = H(0...04 || H(data)) in every bank, kept by the next TPM2_Startup
      for (const [alg, bank] of this.pcrs) {
        const init = new Uint8Array(hashSize(alg));
        init[init.length - 1] = 4;
        bank[0] = hash(alg, init, hash(alg, ...seq.data));
      }
      this.hcrtm = true;
      return;
    }
    for (let p = 0; p < PCR_COUNT; p++) if (PCR_ATTRIBUTES[p]!.reset & 0x10) for (const bank of this.pcrs.values()) bank[p]!.fill(0);
    for (const [alg, bank] of this.pcrs) {
      const digest = hash(alg, ...seq.data);
      bank[17] = hash(alg, new Uint8Array(hashSize(alg)), digest);
    }
    this.reset.restartCount += 1;
    this.pcrChanged(17);
  }

  async resetEstablished(locality: number): Promise<boolean> {
    if (locality !== 3 && locality !== 4) return false;
    this.perm.tpmEstablished = false;
    await this.savePerm();
    return true;
  }

  // ------------------------------------------------------------------ helpers used by commands

  random(n: number): Uint8Array {
    return rand(n);
  }

  pcrChanged(pcr: number): void {
    if (pcr === 0 || !PCR_NO_INCREMENT.has(pcr)) this.reset.pcrCounter = (this.reset.pcrCounter + 1) >>> 0;
  }

  /** Selected PCRs filtered to the allocated banks, in selection order. */
  filterSelection(sels: readonly PcrSelection[]): PcrSelection[] {
    return sels.map((s) => {
      const sel = s.select.slice();
      if (!this.pcrs.has(s.hash)) sel.fill(0);
      for (let i = 0; i < sel.length; i++) sel[i]! &= i < 3 ? 0xff : 0;
      return { hash: s.hash, select: sel };
    });
  }

  /** H_alg of the concatenated values of the selected PCRs (PCRComputeCurrentDigest). */
  pcrDigest(alg: number, sels: readonly PcrSelection[]): Uint8Array {
    const parts: Uint8Array[] = [];
    for (const s of this.filterSelection(sels)) {
      const bank = this.pcrs.get(s.hash);
      if (!bank) continue;
      for (let p = 0; p < PCR_COUNT; p++) if (s.select[p >> 3]! & (1 << (p & 7))) parts.push(bank[p]!);
    }
    return hash(alg, ...parts);
  }

  proof(hierarchy: number): Uint8Array {
    switch (hierarchy) {
      case RH.OWNER:
        return this.perm.shProof;
      case RH.ENDORSEMENT:
        return this.perm.ehProof;
      case RH.PLATFORM:
        return this.perm.phProof;
      default:
        return this.reset.nullProof;
    }
  }

  seed(hierarchy: number): Uint8Array {
    switch (hierarchy) {
      case RH.OWNER:
        return this.perm.sps;
      case RH.ENDORSEMENT:
        return this.perm.eps;
      case RH.PLATFORM:
        return this.perm.pps;
      default:
        return this.reset.nullSeed;
    }
  }

  hierarchyEnabled(h: number): boolean {
    switch (h) {
      case RH.OWNER:
        return this.clear.shEnable;
      case RH.ENDORSEMENT:
        return this.clear.ehEnable;
      case RH.PLATFORM:
        return this.clear.phEnable;
      default:
        return true;
    }
  }

  /** A loaded key object (transient or persistent), or undefined. */
  keyObject(handle: number): KeyObject | undefined {
    if (handle >>> 24 === HT.PERSISTENT) return this.persistentObject(handle);
    const o = this.objects.get(handle);
    return o?.kind === 'key' ? o : undefined;
  }

  persistentObject(handle: number): KeyObject | undefined {
    const rec = this.persistent.get(handle);
    if (!rec) return undefined;
    let o = this.persistentCache.get(handle);
    if (!o) {
      o = objectFromRecord(rec, handle);
      this.persistentCache.set(handle, o);
    }
    return o;
  }

  forgetPersistent(handle: number): void {
    this.persistentCache.delete(handle);
  }

  sequence(handle: number): SequenceObject | undefined {
    const o = this.objects.get(handle);
    return o?.kind === 'sequence' ? o : undefined;
  }

  /** A free transient handle, or TPM_RC_OBJECT_MEMORY. */
  allocObjectHandle(): number {
    if (this.objects.size >= this.config.maxLoadedObjects) throw new TpmError(RC.OBJECT_MEMORY);
    for (let i = 0; ; i++) if (!this.objects.has(0x80000000 + i)) return 0x80000000 + i;
  }

  loadedSessionCount(): number {
    return this.sessions.size;
  }

  activeSessionCount(): number {
    return this.sessions.size + this.reset.savedSessions.size;
  }

  /** Index of a free session slot (shared by loaded and saved sessions). */
  allocSessionIndex(): number {
    if (this.sessions.size >= this.config.maxLoadedSessions) throw new TpmError(RC.SESSION_MEMORY);
    if (this.activeSessionCount() >= this.config.maxActiveSessions) throw new TpmError(RC.SESSION_HANDLES);
    const used = new Set<number>([...this.sessions.keys(), ...this.reset.savedSessions.keys()].map((h) => h & 0xffffff));
    for (let i = 0; ; i++) if (!used.has(i)) return i;
  }

  async saveNvIndex(ix: NvIndex): Promise<void> {
    await this.store.saveNv({ pub: ix.pub, auth: ix.auth, data: ix.data });
  }

  nvUsedBytes(): number {
    let n = 0;
    for (const ix of this.nv.values()) n += ix.pub.dataSize;
    return n;
  }

  // ------------------------------------------------------------------ entities

  /** Name of the entity a handle refers to (Part 1, 16). */
  entityName(h: number): Uint8Array {
    switch (h >>> 24) {
      case HT.TRANSIENT: {
        const o = this.objects.get(h);
        return o?.kind === 'key' ? o.name : EMPTY;
      }
      case HT.PERSISTENT:
        return this.persistentObject(h)?.name ?? be32(h);
      case HT.NV_INDEX: {
        const ix = this.nv.get(h);
        return ix ? nvName(ix.pub) : be32(h);
      }
      default:
        return be32(h);
    }
  }

  /** authValue of an entity, trailing zeros removed. */
  entityAuth(h: number): Uint8Array {
    switch (h) {
      case RH.OWNER:
        return stripZeros(this.perm.ownerAuth);
      case RH.ENDORSEMENT:
        return stripZeros(this.perm.endorsementAuth);
      case RH.PLATFORM:
        return stripZeros(this.clear.platformAuth);
      case RH.LOCKOUT:
        return stripZeros(this.perm.lockoutAuth);
      case RH.NULL:
        return EMPTY;
    }
    switch (h >>> 24) {
      case HT.TRANSIENT: {
        const o = this.objects.get(h);
        if (o?.kind === 'sequence') return stripZeros(o.auth);
        return stripZeros(o?.sens?.authValue ?? EMPTY);
      }
      case HT.PERSISTENT:
        return stripZeros(this.persistentObject(h)?.sens?.authValue ?? EMPTY);
      case HT.NV_INDEX:
        return stripZeros(this.nv.get(h)?.auth ?? EMPTY);
      default:
        return EMPTY;
    }
  }

  entityPolicy(h: number): { alg: number; digest: Uint8Array } {
    switch (h) {
      case RH.OWNER:
        return this.perm.ownerPolicy;
      case RH.ENDORSEMENT:
        return this.perm.endorsementPolicy;
      case RH.PLATFORM:
        return this.clear.platformPolicy;
      case RH.LOCKOUT:
        return this.perm.lockoutPolicy;
    }
    switch (h >>> 24) {
      case HT.TRANSIENT:
      case HT.PERSISTENT: {
        const o = this.keyObject(h);
        return o ? { alg: o.pub.nameAlg, digest: o.pub.authPolicy } : { alg: ALG.NULL, digest: EMPTY };
      }
      case HT.NV_INDEX: {
        const ix = this.nv.get(h);
        return ix ? { alg: ix.pub.nameAlg, digest: ix.pub.authPolicy } : { alg: ALG.NULL, digest: EMPTY };
      }
      default:
        return { alg: ALG.NULL, digest: EMPTY };
    }
  }

  private isDaExempt(h: number): boolean {
    switch (h >>> 24) {
      case HT.PERMANENT:
        return h !== RH.LOCKOUT;
      case HT.TRANSIENT: {
        const o = this.objects.get(h);
        return o?.kind === 'sequence' ? true : ((o?.pub.objectAttributes ?? 0) & TPMA_OBJECT.noDA) !== 0;
      }
      case HT.PERSISTENT:
        return ((this.persistentObject(h)?.pub.objectAttributes ?? 0) & TPMA_OBJECT.noDA) !== 0;
      case HT.NV_INDEX:
        return ((this.nv.get(h)?.pub.attributes ?? 0) & TPMA_NV.NO_DA) !== 0;
      case HT.PCR:
        return true;
      default:
        return false;
    }
  }

  // ------------------------------------------------------------------ dictionary attack

  /** Self-healing: one failure forgiven per recoveryTime; lockoutAuth usable again after lockoutRecovery. */
  private daUpdate(): void {
    const now = Date.now();
    const p = this.perm;
    let changed = false;
    if (p.recoveryTime > 0 && p.failedTries > 0) {
      const n = Math.floor((now - this.daTimer) / (p.recoveryTime * 1000));
      if (n > 0) {
        p.failedTries = Math.max(0, p.failedTries - n);
        this.daTimer += n * p.recoveryTime * 1000;
        changed = true;
      }
    } else this.daTimer = now;
    if (!p.lockoutAuthEnabled && p.lockoutRecovery > 0 && now - this.lockoutTimer >= p.lockoutRecovery * 1000) {
      p.lockoutAuthEnabled = true;
      changed = true;
    }
    if (changed) void this.savePerm().catch(() => undefined);
  }

  private checkLockedOut(lockoutAuth: boolean): void {
    if (lockoutAuth) {
      if (!this.perm.lockoutAuthEnabled) throw new TpmError(RC.LOCKOUT);
    } else if (this.perm.failedTries >= this.perm.maxTries) throw new TpmError(RC.LOCKOUT);
  }

  /** An authorization failure: TPM_RC_AUTH_FAIL when it counts against DA, TPM_RC_BAD_AUTH otherwise. */
  private async incrementLockout(slot: AuthSlot): Promise<number> {
    let h = slot.associated!;
    if (slot.handle === RS_PW) {
      if (this.isDaExempt(h)) return RC.BAD_AUTH;
    } else {
      const s = slot.session!;
      if (s.isLockoutBound) h = RH.LOCKOUT;
      if (!s.isDaBound && (this.isDaExempt(h) || !slot.includeAuth)) return RC.BAD_AUTH;
    }
    if (h === RH.LOCKOUT) {
      this.perm.lockoutAuthEnabled = false;
      this.lockoutTimer = Date.now();
    } else if (this.perm.recoveryTime !== 0) {
      if (this.perm.failedTries === 0) this.daTimer = Date.now();
      this.perm.failedTries += 1;
    }
    await this.savePerm();
    return RC.AUTH_FAIL;
  }

  // ------------------------------------------------------------------ execution

  /** Executes one command; always answers a complete TPM response. */
  async execute(cmd: Uint8Array): Promise<Uint8Array> {
    if (!this.running) return errorResponse(RC.FAILURE);
    try {
      return await this.dispatch(cmd);
    } catch (e) {
      if (e instanceof TpmError) return errorResponse(e.rc);
      if (e instanceof StoreError) {
        this.log(`tpm2: NV failure, entering failure mode: ${e.message}`);
        this.failureMode = true;
        return errorResponse(RC.FAILURE);
      }
      throw e;
    }
  }

  private async dispatch(cmd: Uint8Array): Promise<Uint8Array> {
    // _TPM_Hash_Data/_TPM_Hash_End sequence ends with any command
    this.drtm = undefined;
    const r = new TpmReader(cmd, 'command');
    if (cmd.length < 2) throw new TpmError(RC.INSUFFICIENT);
    const tag = r.u16();
    if (tag !== ST.NO_SESSIONS && tag !== ST.SESSIONS) throw new TpmError(RC.BAD_TAG);
    if (cmd.length < 6) throw new TpmError(RC.INSUFFICIENT);
    const size = r.u32();
    if (size !== cmd.length || size > this.config.maxCommandSize) throw new TpmError(RC.COMMAND_SIZE);
    if (cmd.length < 10) throw new TpmError(RC.INSUFFICIENT);
    const cc = r.u32();
    const def = COMMANDS.get(cc);
    if (!def) throw new TpmError(RC.COMMAND_CODE);
    if (this.failureMode && cc !== CC.GetTestResult && cc !== CC.GetCapability) throw new TpmError(RC.FAILURE);
    if (!this.started !== (cc === CC.Startup)) throw new TpmError(RC.INITIALIZE);
    this.daUpdate();

    // handle area
    const handles: number[] = [];
    for (let i = 0; i < def.handles.length; i++) {
      if (r.remaining < 4) throw new TpmError(rcH(RC.INSUFFICIENT, i + 1));
      const h = r.u32();
      handles.push(h);
      if (!handleTypeOk(def.handles[i]!.type, h)) throw new TpmError(rcH(RC.VALUE, i + 1));
    }
    for (let i = 0; i < handles.length; i++) {
      const rc = this.loadStatus(handles[i]!, cc);
      if (rc === RC.REFERENCE_H0) throw new TpmError(RC.REFERENCE_H0 + i);
      if (rc) throw new TpmError(rcH(rc, i + 1));
    }

    // authorization area
    let slots: AuthSlot[] = [];
    let params: Uint8Array;
    const cpHashes = new Map<number, Uint8Array>();
    const names = () => handles.map((h) => this.entityName(h));
    let paramBytesForCp: Uint8Array = EMPTY;
    const state: CommandState = {
      cc,
      locality: this.locality,
      handles,
      cpHash: (alg) => {
        let v = cpHashes.get(alg);
        if (!v) {
          v = computeCpHash(alg, cc, names(), paramBytesForCp);
          cpHashes.set(alg, v);
        }
        return v;
      },
    };
    if (tag === ST.SESSIONS) {
      if (def.noSessions) throw new TpmError(RC.AUTH_CONTEXT);
      if (r.remaining < 4) throw new TpmError(RC.INSUFFICIENT);
      const authSize = r.u32();
      if (authSize < 9 || authSize > r.remaining) throw new TpmError(RC.SIZE);
      const auth = new TpmReader(r.bytes(authSize), 'authorization area');
      params = r.rest();
      paramBytesForCp = params;
      slots = this.parseSessions(auth, def);
      for (let i = 0; i < handles.length; i++) {
        if (def.handles[i]!.auth) {
          if (i >= slots.length) throw new TpmError(RC.AUTH_MISSING);
          slots[i]!.associated = handles[i];
        }
      }
      params = await this.checkSessions(slots, def, state, params);
    } else {
      if (def.handles.some((h) => h.auth)) throw new TpmError(RC.AUTH_MISSING);
      params = r.rest();
      paramBytesForCp = params;
    }

    // parameters
    const p = new Params(new TpmReader(params, 'parameters'));
    const input = def.parse(p, this, handles);
    if (p.r.remaining !== 0) throw new TpmError(RC.SIZE);
    const out = await def.run(this, handles, input, state);

    // response
    const w = new TpmWriter(64 + out.params.length);
    let outParams = out.params;
    if (tag === ST.SESSIONS) {
      for (const s of slots) if (s.session) s.session.nonceTPM = rand(s.session.nonceTPM.length);
      const enc = slots.find((s) => s.attributes & TPMA_SESSION.encrypt);
      if (enc && def.encrypt && outParams.length >= 2) {
        const s = enc.session!;
        const key = concat(s.sessionKey, enc.associated !== undefined ? this.entityAuth(enc.associated) : EMPTY);
        const n = (outParams[0]! << 8) | outParams[1]!;
        const body = cryptParameter(s.symmetric, s.authHash, key, s.nonceTPM, enc.nonceCaller, outParams.subarray(2, 2 + n), true);
        outParams = concat(outParams.subarray(0, 2), body, outParams.subarray(2 + n));
      }
      const body = new TpmWriter(64 + outParams.length);
      if (out.handle !== undefined) body.u32(out.handle);
      body.u32(outParams.length).bytes(outParams);
      for (const s of slots) {
        if (!s.session) {
          body.tpm2b(EMPTY).u8(s.attributes | TPMA_SESSION.continueSession).tpm2b(EMPTY);
          continue;
        }
        const sess = s.session;
        let hmacOut: Uint8Array = EMPTY;
        if (!(sess.type !== SE.HMAC && sess.isPasswordNeeded)) {
          const key = concat(sess.sessionKey, s.includeAuth && s.associated !== undefined ? this.entityAuth(s.associated) : EMPTY);
          if (key.length !== 0 || s.hmac.length !== 0) {
            hmacOut = responseHmac(sess.authHash, key, computeRpHash(sess.authHash, RC.SUCCESS, cc, outParams), sess.nonceTPM, s.nonceCaller, s.attributes);
          }
        }
        body.tpm2b(sess.nonceTPM).u8(s.attributes).tpm2b(hmacOut);
        if (sess.type !== SE.HMAC && s.attributes & TPMA_SESSION.continueSession) this.resetPolicy(sess);
        if (!(s.attributes & TPMA_SESSION.continueSession)) this.sessions.delete(sess.handle);
      }
      const b = body.finish();
      w.u16(ST.SESSIONS).u32(10 + b.length).u32(RC.SUCCESS).bytes(b);
    } else {
      const n = (out.handle !== undefined ? 4 : 0) + outParams.length;
      w.u16(ST.NO_SESSIONS).u32(10 + n).u32(RC.SUCCESS);
      if (out.handle !== undefined) w.u32(out.handle);
      w.bytes(outParams);
    }
    const resp = w.finish();
    if (resp.length > this.config.maxResponseSize) throw new TpmError(RC.FAILURE, 'response larger than the response buffer');
    return resp;
  }

  resetPolicy(s: Session): void {
    s.policyDigest = new Uint8Array(hashSize(s.authHash));
    s.commandCode = 0;
    s.cpHash = EMPTY;
    s.isAuthValueNeeded = false;
    s.isPasswordNeeded = false;
    s.pcrCounter = -1;
    s.commandLocality = 0;
  }

  /** EntityGetLoadStatus: 0, a base code (HANDLE, HIERARCHY, VALUE) or REFERENCE_H0. */
  private loadStatus(h: number, cc: number): number {
    switch (h >>> 24) {
      case HT.PERMANENT:
        switch (h) {
          case RH.OWNER:
          case RH.ENDORSEMENT:
          case RH.PLATFORM:
            return this.hierarchyEnabled(h) ? 0 : RC.HIERARCHY;
          case RH.NULL:
          case RS_PW:
          case RH.LOCKOUT:
          case RH.PLATFORM_NV:
            return 0;
          default:
            return RC.VALUE;
        }
      case HT.TRANSIENT:
        return this.objects.has(h) ? 0 : RC.REFERENCE_H0;
      case HT.PERSISTENT: {
        if (h >= 0x81800000 ? !this.clear.phEnable : !this.clear.shEnable) return RC.HANDLE;
        const o = this.persistentObject(h);
        if (!o) return RC.HANDLE;
        if (o.hierarchy === RH.ENDORSEMENT && !this.clear.ehEnable && cc !== CC.EvictControl) return RC.HANDLE;
        return 0;
      }
      case HT.HMAC_SESSION:
      case HT.POLICY_SESSION: {
        const s = this.sessions.get(h);
        return s ? 0 : RC.REFERENCE_H0;
      }
      case HT.NV_INDEX: {
        const ix = this.nv.get(h);
        if (!ix) return RC.HANDLE;
        if (ix.pub.attributes & TPMA_NV.PLATFORMCREATE ? !this.perm.phEnableNV : !this.clear.shEnable) return RC.HANDLE;
        return 0;
      }
      case HT.PCR:
        return 0;
      default:
        return RC.VALUE;
    }
  }

  /** RetrieveSessionData: unmarshals the authorization area. */
  private parseSessions(a: TpmReader, def: CommandDef): AuthSlot[] {
    const slots: AuthSlot[] = [];
    for (let i = 0; a.remaining > 0; i++) {
      if (i === MAX_SESSION_NUM) throw new TpmError(rcS(RC.SIZE, i + 1));
      const wrap = <T>(f: () => T): T => {
        try {
          return f();
        } catch (e) {
          if (e instanceof TpmError) throw e;
          const rc = (e as { rc?: number }).rc ?? RC.INSUFFICIENT;
          throw new TpmError(rcS(rc, i + 1));
        }
      };
      const handle = wrap(() => a.u32('session handle'));
      const ht = handle >>> 24;
      if (handle !== RS_PW && ht !== HT.HMAC_SESSION && ht !== HT.POLICY_SESSION) throw new TpmError(rcS(RC.VALUE, i + 1));
      const nonceCaller = wrap(() => a.tpm2b('nonceCaller', 64));
      const attributes = wrap(() => a.u8('sessionAttributes'));
      if (attributes & 0x18) throw new TpmError(rcS(RC.RESERVED_BITS, i + 1));
      const hmacIn = wrap(() => a.tpm2b('hmac', 64));
      const slot: AuthSlot = { handle, nonceCaller, attributes, hmac: hmacIn, includeAuth: false };
      if (handle === RS_PW) {
        if (attributes & (TPMA_SESSION.encrypt | TPMA_SESSION.decrypt | TPMA_SESSION.audit | TPMA_SESSION.auditExclusive | TPMA_SESSION.auditReset)) {
          throw new TpmError(rcS(RC.ATTRIBUTES, i + 1));
        }
        if (nonceCaller.length !== 0) throw new TpmError(rcS(RC.NONCE, i + 1));
      } else {
        const s = this.sessions.get(handle);
        if (!s) throw new TpmError(RC.REFERENCE_S0 + i);
        if ((s.type === SE.HMAC) !== (ht === HT.HMAC_SESSION)) throw new TpmError(rcS(RC.HANDLE, i + 1));
        if (slots.some((x) => x.handle === handle)) throw new TpmError(rcS(RC.HANDLE, i + 1));
        if (attributes & TPMA_SESSION.decrypt) {
          if (!def.decrypt || slots.some((x) => x.attributes & TPMA_SESSION.decrypt)) throw new TpmError(rcS(RC.ATTRIBUTES, i + 1));
          if (s.symmetric.algorithm === ALG.NULL) throw new TpmError(rcS(RC.SYMMETRIC, i + 1));
        }
        if (attributes & TPMA_SESSION.encrypt) {
          if (!def.encrypt || slots.some((x) => x.attributes & TPMA_SESSION.encrypt)) throw new TpmError(rcS(RC.ATTRIBUTES, i + 1));
          if (s.symmetric.algorithm === ALG.NULL) throw new TpmError(rcS(RC.SYMMETRIC, i + 1));
        }
        if (attributes & (TPMA_SESSION.audit | TPMA_SESSION.auditExclusive | TPMA_SESSION.auditReset)) {
          // audit sessions are not implemented by the reference (TPM2_GetSessionAuditDigest is not)
          throw new TpmError(rcS(RC.ATTRIBUTES, i + 1));
        }
        slot.session = s;
      }
      slots.push(slot);
    }
    return slots;
  }

  /** ParseSessionBuffer's checks and authorizations; returns the (decrypted) parameters. */
  private async checkSessions(slots: AuthSlot[], def: CommandDef, state: CommandState, params: Uint8Array): Promise<Uint8Array> {
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const sIdx = i + 1;
      if (slot.handle === RS_PW) {
        if (slot.associated === undefined) throw new TpmError(rcS(RC.HANDLE, sIdx));
      } else {
        const s = slot.session!;
        if (s.type === SE.TRIAL) throw new TpmError(rcS(RC.ATTRIBUTES, sIdx));
        if (s.isDaBound) this.checkLockedOut(s.isLockoutBound);
      }
      if (slot.associated !== undefined) {
        try {
          await this.checkAuth(slot, def, i, state);
        } catch (e) {
          if (e instanceof TpmError) throw new TpmError(addSession(e.rc, sIdx), e.message);
          throw e;
        }
      } else {
        if (!(slot.attributes & (TPMA_SESSION.encrypt | TPMA_SESSION.decrypt | TPMA_SESSION.audit))) throw new TpmError(rcS(RC.ATTRIBUTES, sIdx));
        slot.includeAuth = false;
        if (!this.hmacOk(slot, state, slots)) throw new TpmError(rcS(RC.BAD_AUTH, sIdx));
      }
    }
    const dec = slots.find((s) => s.attributes & TPMA_SESSION.decrypt);
    if (dec && params.length >= 2) {
      const s = dec.session!;
      const key = concat(s.sessionKey, dec.associated !== undefined ? this.entityAuth(dec.associated) : EMPTY);
      const n = (params[0]! << 8) | params[1]!;
      if (n > params.length - 2) throw new TpmError(rcS(RC.SIZE, slots.indexOf(dec) + 1));
      const body = cryptParameter(s.symmetric, s.authHash, key, dec.nonceCaller, s.nonceTPM, params.subarray(2, 2 + n), false);
      params = concat(params.subarray(0, 2), body, params.subarray(2 + n));
    }
    return params;
  }

  private policyRequired(def: CommandDef, i: number, h: number): boolean {
    const role = def.handles[i]?.auth;
    if (role === 'dup') return true;
    if (role === 'admin') {
      if (h >>> 24 === HT.TRANSIENT || h >>> 24 === HT.PERSISTENT) {
        const o = this.keyObject(h);
        return ((o?.pub.objectAttributes ?? 0) & TPMA_OBJECT.adminWithPolicy) !== 0;
      }
      return true;
    }
    return false;
  }

  private authValueAvailable(def: CommandDef, i: number, h: number): boolean {
    switch (h >>> 24) {
      case HT.PERMANENT:
        return h === RH.OWNER || h === RH.ENDORSEMENT || h === RH.PLATFORM || h === RH.LOCKOUT || h === RH.NULL;
      case HT.TRANSIENT:
      case HT.PERSISTENT: {
        const o = this.objects.get(h) ?? this.persistentObject(h);
        if (!o) return false;
        if (o.kind === 'sequence') return true;
        if (!o.sens) return false;
        const a = o.pub.objectAttributes;
        return (a & TPMA_OBJECT.userWithAuth) !== 0 || (def.handles[i]?.auth === 'admin' && !(a & TPMA_OBJECT.adminWithPolicy));
      }
      case HT.NV_INDEX: {
        const a = this.nv.get(h)?.pub.attributes ?? 0;
        return isNvWrite(def.cc) ? (a & TPMA_NV.AUTHWRITE) !== 0 : (a & TPMA_NV.AUTHREAD) !== 0;
      }
      case HT.PCR:
        return true;
      default:
        return false;
    }
  }

  private authPolicyAvailable(def: CommandDef, i: number, h: number): boolean {
    switch (h >>> 24) {
      case HT.PERMANENT:
        return this.entityPolicy(h).digest.length !== 0;
      case HT.TRANSIENT:
      case HT.PERSISTENT: {
        const o = this.objects.get(h) ?? this.persistentObject(h);
        return o?.kind === 'key' && o.sens !== undefined;
      }
      case HT.NV_INDEX: {
        const ix = this.nv.get(h);
        if (!ix || ix.pub.authPolicy.length === 0) return false;
        if (this.policyRequired(def, i, h)) return true;
        return isNvWrite(def.cc) ? (ix.pub.attributes & TPMA_NV.POLICYWRITE) !== 0 : (ix.pub.attributes & TPMA_NV.POLICYREAD) !== 0;
      }
      default:
        return false;
    }
  }

  /** CheckAuthSession: throws the base code (the caller adds the session number). */
  private async checkAuth(slot: AuthSlot, def: CommandDef, i: number, state: CommandState): Promise<void> {
    const h = slot.associated!;
    const s = slot.session;
    let authUsed = true;
    if (s) {
      slot.includeAuth = s.type === SE.HMAC ? !this.isBoundTo(s, h) : s.isAuthValueNeeded || s.isPasswordNeeded;
      authUsed = slot.includeAuth;
    }
    if (authUsed && !this.isDaExempt(h)) this.checkLockedOut(h === RH.LOCKOUT);
    if (!s || s.type === SE.HMAC) {
      if (this.policyRequired(def, i, h)) throw new TpmError(RC.AUTH_TYPE);
      if (!this.authValueAvailable(def, i, h)) throw new TpmError(RC.AUTH_UNAVAILABLE);
    } else {
      if (!this.authPolicyAvailable(def, i, h)) throw new TpmError(RC.AUTH_UNAVAILABLE);
      this.checkPolicy(s, def, i, h, state);
    }
    let ok: boolean;
    if (!s || s.isPasswordNeeded) {
      ok = bytesEqual(stripZeros(slot.hmac), this.entityAuth(h));
    } else {
      ok = this.hmacOk(slot, state, undefined);
    }
    if (!ok) throw new TpmError(await this.incrementLockout(slot));
  }

  private isBoundTo(s: Session, h: number): boolean {
    return s.isBound && bytesEqual(s.boundName, this.entityName(h)) && bytesEqual(s.boundAuth, this.entityAuth(h));
  }

  private checkPolicy(s: Session, def: CommandDef, i: number, h: number, state: CommandState): void {
    if (s.pcrCounter !== -1 && s.pcrCounter !== this.reset.pcrCounter) throw new TpmError(RC.PCR_CHANGED);
    const pol = this.entityPolicy(h);
    if (!bytesEqual(s.policyDigest, pol.digest) || pol.alg !== s.authHash) throw new TpmError(RC.POLICY_FAIL);
    if (s.commandCode !== 0) {
      if (s.commandCode !== def.cc) throw new TpmError(RC.POLICY_CC);
    } else {
      const role = def.handles[i]?.auth;
      if (role === 'admin' || role === 'dup') throw new TpmError(RC.POLICY_FAIL);
    }
    if (s.commandLocality !== 0 && !(s.commandLocality & (1 << this.locality))) throw new TpmError(RC.LOCALITY);
    if (s.cpHash.length && !bytesEqual(s.cpHash, state.cpHash(s.authHash))) throw new TpmError(RC.POLICY_FAIL);
  }

  private hmacOk(slot: AuthSlot, state: CommandState, all: AuthSlot[] | undefined): boolean {
    const s = slot.session!;
    const key = concat(s.sessionKey, slot.includeAuth ? this.entityAuth(slot.associated!) : EMPTY);
    if (key.length === 0 && slot.hmac.length === 0) return true;
    void all;
    const want = commandHmac(s.authHash, key, state.cpHash(s.authHash), slot.nonceCaller, s.nonceTPM, slot.attributes);
    return bytesEqual(want, slot.hmac);
  }

  // ------------------------------------------------------------------ startup / shutdown

  async startup(type: number): Promise<void> {
    const p = this.perm;
    const prev = p.orderlyState;
    if (this.locality !== 0 && this.locality !== 3) throw new TpmError(RC.LOCALITY);
    if (type === SU.STATE && prev !== SU.STATE) throw new TpmError(rcP(RC.VALUE, 1), 'no state was saved by TPM2_Shutdown(STATE)');
    let saved: SavedState | undefined;
    if (prev === SU.STATE && p.savedState.length) {
      try {
        saved = decodeSavedState(p.savedState);
      } catch {
        saved = undefined;
      }
    }
    const kind: 'resume' | 'restart' | 'reset' = saved ? (type === SU.STATE ? 'resume' : 'restart') : 'reset';
    
    // DA: a non-orderly shutdown counts as a failure (Part 1, 19.8.6; libtpms#332)
    if (p.lockoutRecovery === 0) p.lockoutAuthEnabled = true;
    if (p.recoveryTime !== 0 && p.failedTries < p.maxTries && prev === ORDERLY_NONE) p.failedTries += 1;
    if (saved) {
      this.reset = {
        nullProof: saved.nullProof,
        nullSeed: saved.nullSeed,
        clearCount: saved.clearCount,
        restartCount: saved.restartCount,
        pcrCounter: saved.pcrCounter,
        contextCounter: saved.contextCounter,
        savedSessions: new Map(saved.savedSessions),
      };
    } else {
      this.reset = { nullProof: rand(64), nullSeed: rand(64), clearCount: 0, restartCount: 0, pcrCounter: 0, contextCounter: 0n, savedSessions: new Map() };
    }
    if (kind === 'resume') {
      this.clear = saved!.clear;
      for (const [alg, bank] of saved!.pcrs) {
        const mine = this.pcrs.get(alg);
        if (!mine) continue;
        for (let i = 0; i < PCR_COUNT; i++) if (PCR_ATTRIBUTES[i]!.save) mine[i] = bank[i]!;
      }
      this.reset.restartCount += 1;
    } else {
      this.clear = { shEnable: true, ehEnable: true, phEnable: true, platformAuth: EMPTY, platformPolicy: { alg: ALG.NULL, digest: EMPTY } };
      for (const [alg, old] of this.pcrs) {
        const fresh = this.freshPcrs(alg);
        if (this.hcrtm) fresh[0] = old[0]!;
        // PTP "PCR Initial and Reset Values": PCR 0 records a locality-3 TPM2_Startup in its last octet
        else if (this.locality === 3) fresh[0]![fresh[0]!.length - 1] = 3;
        this.pcrs.set(alg, fresh);
      }
      if (kind === 'restart') {
        this.reset.clearCount += 1;
        this.reset.restartCount += 1;
      } else {
        p.resetCount += 1;
        p.totalResetCount += 1;
      }
      // Startup(CLEAR): stClear NV attributes
      for (const ix of this.nv.values()) {
        const a = ix.pub.attributes;
        let b = a;
        if (b & TPMA_NV.WRITE_STCLEAR) b &= ~TPMA_NV.WRITELOCKED;
        b &= ~TPMA_NV.READLOCKED;
        if (b & TPMA_NV.CLEAR_STCLEAR) b &= ~TPMA_NV.WRITTEN;
        if (b !== a) {
          ix.pub = { ...ix.pub, attributes: b >>> 0 };
          await this.saveNvIndex(ix);
        }
      }
    }
    // objects whose contexts must not survive: stClear objects lose them via clearCount
    p.orderlyState = ORDERLY_NONE;
    p.savedState = EMPTY;
    await this.savePerm();
    this.hcrtm = false;
    this.started = true;
  }

  async shutdown(type: number): Promise<void> {
    const p = this.perm;
    if (type === SU.STATE) {
      p.savedState = encodeSavedState({
        nullProof: this.reset.nullProof,
        nullSeed: this.reset.nullSeed,
        clearCount: this.reset.clearCount,
        restartCount: this.reset.restartCount,
        pcrCounter: this.reset.pcrCounter,
        contextCounter: this.reset.contextCounter,
        savedSessions: [...this.reset.savedSessions],
        clear: this.clear,
        pcrs: [...this.pcrs],
      });
    } else p.savedState = EMPTY;
    p.orderlyState = type;
    await this.savePerm();
  }

  /** A command changed state that Shutdown(STATE) saved: the saved state is no longer valid. */
  async clearOrderly(): Promise<void> {
    if (this.perm.orderlyState !== ORDERLY_NONE) {
      this.perm.orderlyState = ORDERLY_NONE;
      this.perm.savedState = EMPTY;
      await this.savePerm();
    }
  }

  /** Next context sequence number. */
  nextContextSequence(): bigint {
    this.reset.contextCounter += 1n;
    return this.reset.contextCounter;
  }

  /** Whether the sequence (data hashed so far) may still produce a ticket. */
  static seqTicketOk(first: Uint8Array): boolean {
    return !(first.length >= 4 && new DataView(first.buffer, first.byteOffset).getUint32(0) === TPM_GENERATED_VALUE);
  }
}

/** RcSafeAddToResult: session numbers only go on format-1 codes. */
function addSession(rc: number, n: number): number {
  return rc & 0x080 && (rc & 0xf00) === 0 ? rcS(rc, n) : rc;
}

/** Commands that write an NV index (they use the write attributes for authorization). */
export function isNvWrite(cc: number): boolean {
  return (
    cc === CC.NV_Write ||
    cc === CC.NV_Increment ||
    cc === CC.NV_Extend ||
    cc === CC.NV_SetBits ||
    cc === CC.NV_WriteLock ||
    cc === CC.NV_ChangeAuth ||
    cc === CC.NV_UndefineSpaceSpecial
  );
}

export function handleTypeOk(type: HandleType, h: number): boolean {
  const ht = h >>> 24;
  const isObject = ht === HT.TRANSIENT || ht === HT.PERSISTENT;
  switch (type) {
    case 'object':
      return isObject;
    case 'object+':
      return isObject || h === RH.NULL;
    case 'pcr':
      return h < PCR_COUNT;
    case 'pcr+':
      return h < PCR_COUNT || h === RH.NULL;
    case 'hierarchy':
      return h === RH.OWNER || h === RH.PLATFORM || h === RH.ENDORSEMENT;
    case 'hierarchy+':
      return h === RH.OWNER || h === RH.PLATFORM || h === RH.ENDORSEMENT || h === RH.NULL;
    case 'enables+':
      return h === RH.OWNER || h === RH.PLATFORM || h === RH.ENDORSEMENT || h === RH.PLATFORM_NV || h === RH.NULL;
    case 'provision':
      return h === RH.OWNER || h === RH.PLATFORM;
    case 'clear':
      return h === RH.LOCKOUT || h === RH.PLATFORM;
    case 'lockout':
      return h === RH.LOCKOUT;
    case 'platform':
      return h === RH.PLATFORM;
    case 'hierarchyAuth':
      return h === RH.OWNER || h === RH.PLATFORM || h === RH.ENDORSEMENT || h === RH.LOCKOUT;
    case 'nvAuth':
      return h === RH.OWNER || h === RH.PLATFORM || ht === HT.NV_INDEX;
    case 'nvIndex':
      return ht === HT.NV_INDEX;
    case 'policySession':
      return ht === HT.POLICY_SESSION;
    case 'context':
      return ht === HT.HMAC_SESSION || ht === HT.POLICY_SESSION || ht === HT.TRANSIENT;
    case 'entity+':
    case 'entity': {
      if (h === RH.OWNER || h === RH.ENDORSEMENT || h === RH.PLATFORM || h === RH.LOCKOUT) return true;
      if (h === RH.NULL) return type === 'entity+';
      return isObject || ht === HT.NV_INDEX || h < PCR_COUNT;
    }
  }
}

export { isHashAlg, nvType, NT };
