// Where the reference keeps UEFI variables. Non-volatile variables are PS
// assets of the reference's own partition "smm-variable" (as the Trusted
// Services SMM gateway stores variables in PS), one asset per variable, so
// they survive a reboot; volatile variables live only in this object, which
// the stack rebuilds at every boot. Enumeration order is the order of the
// map: NV variables as found at boot, then later creations.
//
// Asset record: GUID (16) | Attributes u32 | name length in CHAR16 u16 |
// name (UTF-16LE, no NUL) | has-timestamp u8 | TimeStamp (16) |
// signer fingerprint length u8 | fingerprint | data.
import { createHash } from 'node:crypto';
import { Reader, Writer } from '../../protocol/bytes.js';
import { PSA } from '../../protocol/psa/status.js';
import { EFI } from '../../protocol/smm-variable/status.js';
import { ATTR, encodeName } from '../../protocol/smm-variable/payloads.js';
import { guidBytes, guidText } from '../../protocol/smm-variable/guid.js';
import type { AssetStore } from '../storage/asset-store.js';
import { VARIABLE_HEADER_SIZE, type SmmVariableConfig } from './config.js';

export interface Variable {
  guid: string;
  name: string;
  attributes: number;
  data: Uint8Array;
  /** EFI_TIME of the last authenticated write (TBAW variables). */
  timestamp?: Uint8Array;
  /** SHA-256 of the signer certificate of a private authenticated variable. */
  signer?: Uint8Array;
}

export const varKey = (guid: string, name: string) => `${guid.toLowerCase()}/${name}`;

export function variableCost(v: { name: string; data: Uint8Array }): number {
  return VARIABLE_HEADER_SIZE + (v.name.length + 1) * 2 + v.data.length;
}

function encodeRecord(v: Variable): Uint8Array {
  const w = new Writer(64 + v.name.length * 2 + v.data.length);
  w.bytes(guidBytes(v.guid)).u32le(v.attributes).u16le(v.name.length);
  const n = encodeName(v.name);
  w.bytes(n.subarray(0, n.length - 2));
  w.u8(v.timestamp ? 1 : 0).bytes(v.timestamp ?? new Uint8Array(16));
  w.u8(v.signer?.length ?? 0).bytes(v.signer ?? new Uint8Array(0));
  return w.bytes(v.data).finish();
}

function decodeRecord(b: Uint8Array): Variable | undefined {
  try {
    const r = new Reader(b, 'variable record');
    const guid = guidText(r.bytes(16));
    const attributes = r.u32le();
    const n = r.u16le();
    const nv = new DataView(b.buffer, b.byteOffset + r.offset, n * 2);
    let name = '';
    for (let i = 0; i < n; i++) name += String.fromCharCode(nv.getUint16(i * 2, true));
    r.bytes(n * 2);
    const hasTs = r.u8();
    const ts = r.bytes(16).slice();
    const sl = r.u8();
    const signer = sl ? r.bytes(sl).slice() : undefined;
    return { guid, name, attributes, data: r.rest().slice(), timestamp: hasTs ? ts : undefined, signer };
  } catch {
    return undefined;
  }
}

function baseUid(guid: string, name: string): bigint {
  const h = createHash('sha256').update(guidBytes(guid)).update(encodeName(name)).digest();
  return (h.readBigUInt64LE(0) | (1n << 63n)) & ~0xffn;
}

interface Entry {
  v: Variable;
  uid?: bigint;
}

export class VariableStore {
  private readonly vars = new Map<string, Entry>();
  private readonly usedUids = new Set<bigint>();

  private constructor(
    private readonly ps: AssetStore,
    readonly cfg: SmmVariableConfig,
  ) {}

  /** Loads every NV variable from the PS partition (damaged records are skipped). */
  static async open(ps: AssetStore, cfg: SmmVariableConfig): Promise<VariableStore> {
    const s = new VariableStore(ps, cfg);
    for (const uid of await ps.backend.list()) {
      s.usedUids.add(uid);
      const r = await ps.get(uid, 0n, BigInt(cfg.maxVariableSize + 4096));
      if (r.status !== PSA.SUCCESS || !r.value) continue;
      const v = decodeRecord(r.value);
      if (!v || !(v.attributes & ATTR.NON_VOLATILE)) continue;
      s.vars.set(varKey(v.guid, v.name), { v, uid });
    }
    return s;
  }

  get(guid: string, name: string): Variable | undefined {
    return this.vars.get(varKey(guid, name))?.v;
  }

  /** All variables, in enumeration order. */
  all(): Variable[] {
    return [...this.vars.values()].map((e) => e.v);
  }

  get count(): number {
    return this.vars.size;
  }

  /** Bytes used in the NV (true) or volatile (false) store, headers included. */
  used(nv: boolean): number {
    let n = 0;
    for (const { v } of this.vars.values()) if (Boolean(v.attributes & ATTR.NON_VOLATILE) === nv) n += variableCost(v);
    return n;
  }

  capacity(nv: boolean): number {
    return nv ? this.cfg.nvStorageSize : this.cfg.volatileStorageSize;
  }

  /** Room check for replacing the current value (if any) with `v`. */
  fits(v: Variable): boolean {
    const nv = Boolean(v.attributes & ATTR.NON_VOLATILE);
    const old = this.get(v.guid, v.name);
    const oldCost = old && Boolean(old.attributes & ATTR.NON_VOLATILE) === nv ? variableCost(old) : 0;
    if (!old && this.vars.size >= this.cfg.maxVariables) return false;
    return this.used(nv) - oldCost + variableCost(v) <= this.capacity(nv);
  }

  /** Creates or replaces a variable; the EFI status of the write. */
  async put(v: Variable): Promise<bigint> {
    if (!this.fits(v)) return EFI.OUT_OF_RESOURCES;
    const key = varKey(v.guid, v.name);
    const entry = this.vars.get(key);
    const nv = Boolean(v.attributes & ATTR.NON_VOLATILE);
    if (nv) {
      const uid = entry?.uid ?? this.freeUid(v.guid, v.name);
      const r = await this.ps.set(uid, encodeRecord(v), 0);
      if (r.status !== PSA.SUCCESS) return r.status === PSA.ERROR_INSUFFICIENT_STORAGE ? EFI.OUT_OF_RESOURCES : EFI.DEVICE_ERROR;
      this.usedUids.add(uid);
      if (entry) entry.v = v;
      else this.vars.set(key, { v, uid });
      return EFI.SUCCESS;
    }
    if (entry) entry.v = v;
    else this.vars.set(key, { v });
    return EFI.SUCCESS;
  }

  async remove(guid: string, name: string): Promise<bigint> {
    const key = varKey(guid, name);
    const entry = this.vars.get(key);
    if (!entry) return EFI.NOT_FOUND;
    if (entry.uid !== undefined) {
      const r = await this.ps.remove(entry.uid);
      if (r.status !== PSA.SUCCESS && r.status !== PSA.ERROR_DOES_NOT_EXIST) return EFI.DEVICE_ERROR;
      this.usedUids.delete(entry.uid);
    }
    this.vars.delete(key);
    return EFI.SUCCESS;
  }

  private freeUid(guid: string, name: string): bigint {
    let uid = baseUid(guid, name);
    while (this.usedUids.has(uid)) uid += 1n;
    return uid;
  }
}
