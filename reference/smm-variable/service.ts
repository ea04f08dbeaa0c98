// The reference UEFI variable service behind the MM communication buffer, as
// Standalone MM (edk2 VariableSmm.c + Variable.c + VarCheckLib +
// AuthVariableLib) does it, storing NV variables in the reference PS. One
// request = one buffer; the answer is the buffer as the service left it and
// the ARM_SVC_SPM_RET_* code of the MM layer. Malformed bytes never throw and
// never answer success: the MM layer refuses buffers it cannot frame, the
// handler writes an error ReturnStatus for payloads it cannot parse (where
// edk2 leaves ReturnStatus as the caller wrote it; see docs/smm-variable.md).
import { DecodeError, concat } from '../../protocol/bytes.js';
import type { ServiceResponse } from '../../protocol/services.js';
import {
  ACCESS_VARIABLE_NAME_OFFSET,
  ATTR,
  AUTH2_CERT_DATA_OFFSET,
  EFI,
  GET_NEXT_NAME_OFFSET,
  GUIDS,
  MM_COMMUNICATE_OPCODE,
  MM_HEADER_V1_SIZE,
  QUERY_VARIABLE_INFO_SIZE,
  SMM_VARIABLE_HEADER_SIZE,
  SPM_RET,
  SmmVariableFunction as F,
  VAR_CHECK_NAME_OFFSET,
  VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY,
  VAR_CHECK_VARIABLE_PROPERTY_REVISION,
  WIN_CERT_TYPE_EFI_GUID,
  accessVariableParts,
  authSignedBytes,
  checkedName,
  compareEfiTime,
  decodeAccessVariable,
  decodeAuthentication2,
  decodeEfiTime,
  decodeMmHeader,
  decodeNameGuid,
  decodeName,
  decodeSignatureLists,
  decodeVarCheck,
  encodeName,
  encodeSignatureList,
  encodeVarCheckProperty,
  guidBytes,
  messageOf,
  type SignatureList,
  type VarCheckProperty,
} from '../../protocol/smm-variable/index.js';
import type { StackEnv } from '../stack.js';
import { VARIABLE_HEADER_SIZE, payloadSize, smmVariableConfig, type SmmVariableConfig } from './config.js';
import { fingerprint, parseCertificate, parseSignedData, verifyDetached, type VerifyResult } from './pkcs7.js';
import { VariableStore, varKey, type Variable } from './store.js';
import type * as pkijs from 'pkijs';

const { NON_VOLATILE: NV, BOOTSERVICE_ACCESS: BS, RUNTIME_ACCESS: RT, HARDWARE_ERROR_RECORD: HR } = ATTR;
const AW = ATTR.AUTHENTICATED_WRITE_ACCESS;
const AT = ATTR.TIME_BASED_AUTHENTICATED_WRITE_ACCESS;
const APPEND = ATTR.APPEND_WRITE;
/** edk2 EFI_VARIABLE_ATTRIBUTES_MASK (ENHANCED_AUTHENTICATED_ACCESS is not in it). */
const ATTRIBUTES_MASK = NV | BS | RT | HR | AT | APPEND;

const GLOBAL = GUIDS.GLOBAL_VARIABLE;
const SECURITY_DB = GUIDS.IMAGE_SECURITY_DATABASE;
const DB_NAMES = new Set(['db', 'dbx', 'dbt', 'dbr']);

type Kind = 'pk' | 'kek' | 'db' | 'other';
function kindOf(guid: string, name: string): Kind {
  if (guid === GLOBAL && name === 'PK') return 'pk';
  if (guid === GLOBAL && name === 'KEK') return 'kek';
  if (guid === SECURITY_DB && DB_NAMES.has(name)) return 'db';
  return 'other';
}

const READ_ONLY: VarCheckProperty = {
  revision: VAR_CHECK_VARIABLE_PROPERTY_REVISION,
  property: VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY,
  attributes: BS | RT,
  minSize: 1n,
  maxSize: 1n,
};

class Malformed extends Error {}

export class SmmVariableService {
  private endOfDxe = false;
  private atRuntime = false;
  protected readonly properties = new Map<string, VarCheckProperty>();
  private readonly locks = new Set<string>();
  private readonly bad: bigint;
  private readonly maxPayload: number;

  constructor(
    protected readonly store: VariableStore,
    readonly cfg: SmmVariableConfig,
  ) {
    this.bad = cfg.malformedStatus === 'INVALID_PARAMETER' ? EFI.INVALID_PARAMETER : EFI.ACCESS_DENIED;
    this.maxPayload = payloadSize(cfg);
  }

  /**
   * Opens the service on the stack's PS partition "smm-variable". `make`
   * builds the instance (tests pass subclasses that break one rule).
   */
  static async open<T extends SmmVariableService>(
    env: StackEnv,
    make: (store: VariableStore, cfg: SmmVariableConfig) => T = (store, cfg) => new SmmVariableService(store, cfg) as T,
  ): Promise<T> {
    const cfg = smmVariableConfig(env.config.smmVariable);
    const ps = await env.ps('smm-variable', {
      maxAssetSize: Math.max(cfg.maxVariableSize, cfg.maxVolatileVariableSize) + 1024,
      capacity: cfg.nvStorageSize * 2 + 65536,
      maxAssets: cfg.maxVariables * 2,
    });
    const s = make(await VariableStore.open(ps, cfg), cfg);
    if (cfg.authenticated) {
      s.properties.set(varKey(GLOBAL, 'SetupMode'), READ_ONLY);
      s.properties.set(varKey(GLOBAL, 'SecureBoot'), READ_ONLY);
      await s.updatePlatformMode();
    }
    return s;
  }

  /** The envelope handler: opcode 0 carries one MM communication buffer. */
  async handle(opcode: number, body: Uint8Array): Promise<ServiceResponse> {
    if (opcode !== MM_COMMUNICATE_OPCODE) return { status: SPM_RET.NOT_SUPPORTED, body };
    if (body.length > this.cfg.commBufferSize) return { status: SPM_RET.NO_MEMORY, body };
    if (body.length < MM_HEADER_V1_SIZE) return { status: SPM_RET.INVALID_PARAMS, body };
    let header;
    let message: Uint8Array;
    const out = body.slice();
    try {
      header = decodeMmHeader(out);
      message = messageOf(out, header);
    } catch (e) {
      if (e instanceof DecodeError) return { status: SPM_RET.INVALID_PARAMS, body };
      throw e;
    }
    if (header.version === 3 && !this.cfg.mmHeaderV3) return { status: SPM_RET.NOT_SUPPORTED, body };
    if (header.guid !== GUIDS.SMM_VARIABLE) return { status: SPM_RET.NOT_SUPPORTED, body };
    if (message.length < SMM_VARIABLE_HEADER_SIZE) return { status: SPM_RET.INVALID_PARAMS, body };
    const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
    const fn = view.getBigUint64(0, true);
    const payload = message.subarray(SMM_VARIABLE_HEADER_SIZE);
    let status: bigint;
    if (payload.length > this.maxPayload) status = EFI.BAD_BUFFER_SIZE;
    else {
      try {
        status = await this.dispatch(fn, payload);
      } catch (e) {
        if (e instanceof Malformed || e instanceof DecodeError) status = this.bad;
        else throw e;
      }
    }
    view.setBigUint64(8, status, true);
    return { status: SPM_RET.SUCCESS, body: out };
  }

  private dispatch(fn: bigint, p: Uint8Array): Promise<bigint> {
    switch (fn) {
      case BigInt(F.GET_VARIABLE):
        return this.getVariable(p);
      case BigInt(F.GET_NEXT_VARIABLE_NAME):
        return this.getNextVariableName(p);
      case BigInt(F.SET_VARIABLE):
        return this.setVariableRequest(p);
      case BigInt(F.QUERY_VARIABLE_INFO):
        return Promise.resolve(this.queryVariableInfo(p));
      case BigInt(F.READY_TO_BOOT):
        if (this.atRuntime) return Promise.resolve(EFI.UNSUPPORTED);
        this.endOfDxe = true;
        return Promise.resolve(EFI.SUCCESS);
      case BigInt(F.EXIT_BOOT_SERVICE):
        this.endOfDxe = true;
        this.atRuntime = true;
        return Promise.resolve(EFI.SUCCESS);
      case BigInt(F.LOCK_VARIABLE):
        return Promise.resolve(this.lockVariable(p));
      case BigInt(F.VAR_CHECK_VARIABLE_PROPERTY_SET):
        return Promise.resolve(this.propertySet(p));
      case BigInt(F.VAR_CHECK_VARIABLE_PROPERTY_GET):
        return Promise.resolve(this.propertyGet(p));
      case BigInt(F.GET_PAYLOAD_SIZE):
        if (p.length < 8) throw new Malformed();
        new DataView(p.buffer, p.byteOffset, 8).setBigUint64(0, BigInt(this.maxPayload), true);
        return Promise.resolve(EFI.SUCCESS);
      default:
        // GET_STATISTICS (edk2 #9758 leaked SMRAM pointers through it) and the
        // runtime-cache functions are not implemented
        return Promise.resolve(EFI.UNSUPPORTED);
    }
  }

  /** A variable as a caller at the current phase sees it (BS-only ones vanish at runtime). */
  private visible(v: Variable | undefined): Variable | undefined {
    if (!v) return undefined;
    if (this.atRuntime && !(v.attributes & RT)) return undefined;
    return v;
  }

  // ---- GetVariable ------------------------------------------------------------------

  private async getVariable(p: Uint8Array): Promise<bigint> {
    if (p.length < ACCESS_VARIABLE_NAME_OFFSET) throw new Malformed();
    const a = decodeAccessVariable(p);
    const { name } = accessVariableParts(a, true);
    const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
    if (name === '') return EFI.NOT_FOUND;
    const v = this.visible(this.store.get(a.guid, name));
    if (!v) return EFI.NOT_FOUND;
    const len = BigInt(v.data.length);
    view.setUint32(32, v.attributes, true);
    if (a.dataSize < len) {
      view.setBigUint64(16, len, true);
      return EFI.BUFFER_TOO_SMALL;
    }
    p.set(v.data, ACCESS_VARIABLE_NAME_OFFSET + Number(a.nameSize));
    view.setBigUint64(16, len, true);
    return EFI.SUCCESS;
  }

  // ---- GetNextVariableName ----------------------------------------------------------

  private async getNextVariableName(p: Uint8Array): Promise<bigint> {
    if (p.length < GET_NEXT_NAME_OFFSET) throw new Malformed();
    const g = decodeNameGuid(p);
    if (g.nameSize > BigInt(g.tail.length)) throw new Malformed();
    const size = Number(g.nameSize);
    const name = decodeName(g.tail, size);
    if (size < 2 || name === undefined) return EFI.INVALID_PARAMETER;
    const list = this.store.all().filter((v) => this.visible(v));
    let next: Variable | undefined;
    if (name === '') next = list[0];
    else {
      const i = list.findIndex((v) => v.guid === g.guid && v.name === name);
      if (i < 0) return EFI.INVALID_PARAMETER;
      next = list[i + 1];
    }
    if (!next) return EFI.NOT_FOUND;
    const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const enc = encodeName(next.name);
    view.setBigUint64(16, BigInt(enc.length), true);
    if (enc.length > size) return EFI.BUFFER_TOO_SMALL;
    p.set(enc, GET_NEXT_NAME_OFFSET);
    p.set(guidBytes(next.guid), 0);
    return EFI.SUCCESS;
  }

  // ---- SetVariable --------------------------------------------------------------------

  private async setVariableRequest(p: Uint8Array): Promise<bigint> {
    if (p.length < ACCESS_VARIABLE_NAME_OFFSET) throw new Malformed();
    const a = decodeAccessVariable(p);
    const { name, data } = accessVariableParts(a, true);
    return this.setVariable(name, a.guid, a.attributes, data.slice());
  }

  /** Variable.c VariableServiceSetVariable, VarCheckLib, AuthVariableLib, UpdateVariable. */
  async setVariable(name: string, guid: string, attributes: number, data: Uint8Array): Promise<bigint> {
    const attrs = attributes >>> 0;
    if (name === '') return EFI.INVALID_PARAMETER;
    if (attrs & ~(ATTRIBUTES_MASK | AW)) return EFI.INVALID_PARAMETER;
    if ((attrs & (RT | BS)) === RT) return attrs & AW ? EFI.UNSUPPORTED : EFI.INVALID_PARAMETER;
    if ((attrs & ATTRIBUTES_MASK) === NV) return EFI.INVALID_PARAMETER;
    if (attrs & AW) return EFI.UNSUPPORTED; // deprecated count-based authentication
    if (attrs & AT && !this.cfg.authenticated) return EFI.INVALID_PARAMETER;
    if (attrs & HR && !this.cfg.hardwareErrorRecords) return EFI.INVALID_PARAMETER;

    let payloadLen = data.length;
    if (attrs & AT) {
      if (data.length < AUTH2_CERT_DATA_OFFSET) return EFI.SECURITY_VIOLATION;
      const dw = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(16, true);
      if (dw > data.length - 16 || dw < 24) return EFI.SECURITY_VIOLATION;
      payloadLen = data.length - 16 - dw;
    }
    const nameSize = (name.length + 1) * 2;
    const max = attrs & NV || attrs & AT ? this.cfg.maxVariableSize : this.cfg.maxVolatileVariableSize;
    if (nameSize + payloadLen > max - VARIABLE_HEADER_SIZE) return EFI.INVALID_PARAMETER;

    // VarCheckLib: locks, READ_ONLY, property attributes and sizes
    const key = varKey(guid, name);
    const isDelete = (!(attrs & APPEND) && data.length === 0) || attrs === 0;
    if (this.locks.has(key)) return EFI.WRITE_PROTECTED;
    const prop = this.properties.get(key);
    if (prop) {
      if (prop.property & VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY) return EFI.WRITE_PROTECTED;
      if (!isDelete) {
        if (prop.attributes !== 0 && (attrs & ~APPEND) !== prop.attributes) return EFI.INVALID_PARAMETER;
        if (payloadLen !== 0 && (BigInt(payloadLen) < prop.minSize || BigInt(payloadLen) > prop.maxSize)) return EFI.INVALID_PARAMETER;
      }
    }

    const existing = this.store.get(guid, name);
    if (existing) {
      if (this.atRuntime && !(existing.attributes & RT)) return EFI.WRITE_PROTECTED;
      if (attrs !== 0 && (attrs & ~APPEND) !== existing.attributes) return EFI.INVALID_PARAMETER;
    }

    if (this.cfg.authenticated) {
      const kind = kindOf(guid, name);
      if (kind !== 'other') return this.processKeyVariable(kind, name, guid, attrs, data, existing);
      if (attrs & AT) return this.processPrivate(name, guid, attrs, data, existing);
      if (existing && existing.attributes & AT) return EFI.WRITE_PROTECTED;
    }
    return this.update(name, guid, attrs, data, existing);
  }

  /** UpdateVariable: runtime restrictions, delete, append, quota, write. */
  private async update(name: string, guid: string, attrs: number, data: Uint8Array, existing: Variable | undefined, auth?: { timestamp?: Uint8Array; signer?: Uint8Array }): Promise<bigint> {
    if (this.atRuntime) {
      if (existing) {
        if (!(existing.attributes & NV)) return EFI.WRITE_PROTECTED;
        if (!(existing.attributes & RT)) return EFI.INVALID_PARAMETER;
      } else if (attrs !== 0 && (!(attrs & NV) || !(attrs & RT))) {
        return EFI.INVALID_PARAMETER;
      }
    }
    const deleting = (!(attrs & APPEND) && data.length === 0) || (attrs & (BS | RT)) === 0;
    if (deleting) {
      if (!existing) return EFI.NOT_FOUND;
      const s = await this.store.remove(guid, name);
      if (s === EFI.SUCCESS && kindOf(guid, name) === 'pk') await this.updatePlatformMode();
      return s;
    }
    if (!existing && attrs & APPEND && data.length === 0) return EFI.SUCCESS;
    let next = data;
    if (existing && attrs & APPEND) {
      if (data.length === 0) return EFI.SUCCESS;
      next = isSignatureDb(guid, name) ? appendSignatures(existing.data, data) : concat(existing.data, data);
    }
    const v: Variable = {
      guid,
      name,
      attributes: attrs & ~APPEND,
      data: next,
      timestamp: auth?.timestamp ?? existing?.timestamp,
      signer: auth?.signer ?? existing?.signer,
    };
    return this.store.put(v);
  }

  // ---- Authenticated variables (AuthService.c) ------------------------------------------

  /** Checks the AUTHENTICATION_2 descriptor and signature; the payload and new timestamp, or an EFI status. */
  private async verifyTimeBased(
    name: string,
    guid: string,
    attrs: number,
    data: Uint8Array,
    existing: Variable | undefined,
    trusted: pkijs.Certificate[] | 'self' | 'private' | 'none',
  ): Promise<bigint | { payload: Uint8Array; timestamp: Uint8Array; signer?: Uint8Array }> {
    let d;
    try {
      d = decodeAuthentication2(data);
    } catch {
      return EFI.SECURITY_VIOLATION;
    }
    const t = d.timeStamp;
    if (t.pad1 || t.nanosecond || t.timeZone || t.daylight || t.pad2) return EFI.SECURITY_VIOLATION;
    if (d.wCertificateType !== WIN_CERT_TYPE_EFI_GUID || d.certType !== GUIDS.CERT_TYPE_PKCS7) return EFI.SECURITY_VIOLATION;
    let timestamp: Uint8Array = d.timeStampBytes.slice();
    if (existing?.timestamp) {
      const cmp = compareEfiTime(t, decodeEfiTime(existing.timestamp));
      if (!this.timestampAccepted(cmp, Boolean(attrs & APPEND))) return EFI.SECURITY_VIOLATION;
      if (cmp <= 0) timestamp = existing.timestamp;
    }
    if (trusted === 'none') return { payload: d.payload, timestamp };
    const sd = parseSignedData(d.certData);
    if (!sd) return EFI.SECURITY_VIOLATION;
    const signed = authSignedBytes(name, guid, attrs, d.timeStampBytes, d.payload);
    let roots: pkijs.Certificate[] | undefined;
    if (Array.isArray(trusted)) roots = trusted;
    else if (trusted === 'self') roots = certsOf(d.payload);
    const r = await this.verifySignature(sd, signed, roots);
    if (!r.ok) return EFI.SECURITY_VIOLATION;
    const fp = fingerprint(r.signer);
    if (trusted === 'private' && existing?.signer && !Buffer.from(existing.signer).equals(Buffer.from(fp))) return EFI.SECURITY_VIOLATION;
    return { payload: d.payload, timestamp, signer: trusted === 'private' ? fp : undefined };
  }

  /** AuthService.c: a write (not APPEND) needs a TimeStamp strictly later than the stored one. */
  protected timestampAccepted(cmp: number, append: boolean): boolean {
    return append || cmp > 0;
  }

  protected verifySignature(sd: pkijs.SignedData, signed: Uint8Array, roots: pkijs.Certificate[] | undefined): Promise<VerifyResult> {
    return verifyDetached(sd, signed, roots);
  }

  private async processPrivate(name: string, guid: string, attrs: number, data: Uint8Array, existing: Variable | undefined): Promise<bigint> {
    const r = await this.verifyTimeBased(name, guid, attrs, data, existing, 'private');
    if (typeof r === 'bigint') return r;
    return this.update(name, guid, attrs, r.payload, existing, r);
  }

  private userMode(): boolean {
    return this.store.get(GLOBAL, 'PK') !== undefined;
  }

  /** ProcessVarWithPk / ProcessVarWithKek. */
  private async processKeyVariable(kind: Kind, name: string, guid: string, attrs: number, data: Uint8Array, existing: Variable | undefined): Promise<bigint> {
    if (!(attrs & NV) || !(attrs & AT)) return EFI.INVALID_PARAMETER;
    const user = this.userMode();
    let trusted: pkijs.Certificate[] | 'none';
    if (!user) trusted = 'none';
    else if (kind === 'pk' || kind === 'kek') trusted = certsOf(this.store.get(GLOBAL, 'PK')!.data);
    else trusted = [...certsOf(this.store.get(GLOBAL, 'KEK')?.data), ...certsOf(this.store.get(GLOBAL, 'PK')!.data)];
    const r = await this.verifyTimeBased(name, guid, attrs, data, existing, trusted);
    if (typeof r === 'bigint') return r;
    if (r.payload.length && !signatureListsValid(kind, r.payload)) return EFI.INVALID_PARAMETER;
    const s = await this.update(name, guid, attrs, r.payload, existing, r);
    if (s === EFI.SUCCESS && kind === 'pk') await this.updatePlatformMode();
    return s;
  }

  /** SetupMode and SecureBoot follow the presence of PK. */
  protected async updatePlatformMode(): Promise<void> {
    const user = this.userMode();
    for (const [n, val] of [['SetupMode', user ? 0 : 1], ['SecureBoot', user ? 1 : 0]] as const) {
      await this.store.put({ guid: GLOBAL, name: n, attributes: BS | RT, data: new Uint8Array([val]) });
    }
  }

  // ---- QueryVariableInfo ----------------------------------------------------------------

  private queryVariableInfo(p: Uint8Array): bigint {
    if (p.length < QUERY_VARIABLE_INFO_SIZE) throw new Malformed();
    const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const attrs = view.getUint32(24, true);
    if (attrs === 0) return EFI.INVALID_PARAMETER;
    if (attrs & AW) return EFI.UNSUPPORTED;
    if ((attrs & ATTRIBUTES_MASK) === 0) return EFI.UNSUPPORTED;
    if ((attrs & ATTRIBUTES_MASK) === NV) return EFI.INVALID_PARAMETER;
    if ((attrs & (RT | BS)) === RT) return EFI.INVALID_PARAMETER;
    if (this.atRuntime && !(attrs & RT)) return EFI.INVALID_PARAMETER;
    if ((attrs & (NV | HR)) === HR) return EFI.INVALID_PARAMETER;
    if (attrs & AT && !this.cfg.authenticated) return EFI.UNSUPPORTED;
    if (attrs & HR && !this.cfg.hardwareErrorRecords) return EFI.UNSUPPORTED;
    const nv = Boolean(attrs & NV);
    const max = BigInt(this.store.capacity(nv));
    const used = BigInt(this.store.used(nv));
    const remaining = used < max ? max - used : 0n;
    let maxVar = BigInt((nv || attrs & AT ? this.cfg.maxVariableSize : this.cfg.maxVolatileVariableSize) - VARIABLE_HEADER_SIZE);
    const hdr = BigInt(VARIABLE_HEADER_SIZE);
    if (remaining < hdr) maxVar = 0n;
    else if (remaining - hdr < maxVar) maxVar = remaining - hdr;
    view.setBigUint64(0, max, true);
    view.setBigUint64(8, remaining, true);
    view.setBigUint64(16, maxVar, true);
    return EFI.SUCCESS;
  }

  // ---- VarCheck and VariableLock ------------------------------------------------------------

  private nameAt(tail: Uint8Array, nameSize: bigint): string {
    if (nameSize > BigInt(tail.length)) throw new Malformed();
    return checkedName(tail.subarray(0, Number(nameSize)));
  }

  private lockVariable(p: Uint8Array): bigint {
    if (p.length < GET_NEXT_NAME_OFFSET) throw new Malformed();
    const g = decodeNameGuid(p, 'SMM_VARIABLE_COMMUNICATE_LOCK_VARIABLE');
    const name = this.nameAt(g.tail, g.nameSize);
    if (this.endOfDxe) return EFI.ACCESS_DENIED;
    if (name === '') return EFI.INVALID_PARAMETER;
    this.locks.add(varKey(g.guid, name));
    return EFI.SUCCESS;
  }

  private propertySet(p: Uint8Array): bigint {
    if (p.length < VAR_CHECK_NAME_OFFSET) throw new Malformed();
    const c = decodeVarCheck(p);
    const name = this.nameAt(c.tail, c.nameSize);
    if (this.endOfDxe) return EFI.ACCESS_DENIED;
    if (name === '' || c.property.revision !== VAR_CHECK_VARIABLE_PROPERTY_REVISION) return EFI.INVALID_PARAMETER;
    if (c.property.minSize > c.property.maxSize) return EFI.INVALID_PARAMETER;
    this.properties.set(varKey(c.guid, name), { ...c.property });
    return EFI.SUCCESS;
  }

  private propertyGet(p: Uint8Array): bigint {
    if (p.length < VAR_CHECK_NAME_OFFSET) throw new Malformed();
    const c = decodeVarCheck(p);
    const name = this.nameAt(c.tail, c.nameSize);
    if (name === '') return EFI.INVALID_PARAMETER;
    const prop = this.properties.get(varKey(c.guid, name));
    if (!prop) return EFI.NOT_FOUND;
    p.set(encodeVarCheckProperty(prop), GET_NEXT_NAME_OFFSET);
    return EFI.SUCCESS;
  }
}

function isSignatureDb(guid: string, name: string): boolean {
  const k = kindOf(guid, name);
  return k === 'db' || k === 'kek';
}

/** X.509 certificates of a signature database (unparseable entries are ignored). */
function certsOf(data: Uint8Array | undefined): pkijs.Certificate[] {
  if (!data?.length) return [];
  let lists: SignatureList[];
  try {
    lists = decodeSignatureLists(data);
  } catch {
    return [];
  }
  const out: pkijs.Certificate[] = [];
  for (const l of lists) {
    if (l.type !== GUIDS.CERT_X509) continue;
    for (const s of l.signatures) {
      const c = parseCertificate(s.data);
      if (c) out.push(c);
    }
  }
  return out;
}

const FIXED_SIZES: Record<string, number> = {
  [GUIDS.CERT_SHA256]: 16 + 32,
  [GUIDS.CERT_RSA2048]: 16 + 256,
};

/** CheckSignatureListFormat: PK is one X.509 certificate; KEK/db lists of known types. */
function signatureListsValid(kind: Kind, data: Uint8Array): boolean {
  let lists: SignatureList[];
  try {
    lists = decodeSignatureLists(data);
  } catch {
    return false;
  }
  if (lists.length === 0) return false;
  if (kind === 'pk' && (lists.length !== 1 || lists[0]!.type !== GUIDS.CERT_X509 || lists[0]!.signatures.length !== 1)) return false;
  for (const l of lists) {
    if (l.header.length !== 0 || l.signatures.length === 0) return false;
    if (l.type === GUIDS.CERT_X509) {
      if (!l.signatures.every((s) => parseCertificate(s.data))) return false;
    } else if (FIXED_SIZES[l.type] !== undefined) {
      if (l.signatureSize !== FIXED_SIZES[l.type]) return false;
      if (kind === 'pk') return false;
      if (kind === 'kek' && l.type !== GUIDS.CERT_RSA2048) return false;
    } else if (kind !== 'db') return false;
  }
  return true;
}

/** APPEND to a signature database: entries already present are not added again. */
function appendSignatures(old: Uint8Array, add: Uint8Array): Uint8Array {
  let oldLists: SignatureList[];
  let newLists: SignatureList[];
  try {
    oldLists = decodeSignatureLists(old);
    newLists = decodeSignatureLists(add);
  } catch {
    return concat(old, add);
  }
  const seen = new Set<string>();
  for (const l of oldLists) for (const s of l.signatures) seen.add(`${l.type}:${Buffer.from(s.data).toString('hex')}`);
  const parts: Uint8Array[] = [old];
  for (const l of newLists) {
    const fresh = l.signatures.filter((s) => {
      const k = `${l.type}:${Buffer.from(s.data).toString('hex')}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    if (fresh.length) parts.push(encodeSignatureList({ type: l.type, header: l.header, signatureSize: l.signatureSize, signatures: fresh }));
  }
  return concat(...parts);
}

export async function smmVariableHandler(env: StackEnv) {
  const svc = await SmmVariableService.open(env);
  return (opcode: number, body: Uint8Array) => svc.handle(opcode, body);
}
