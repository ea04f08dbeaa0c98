// Typed calls for the UEFI variable service over MM Communicate: build the
// communication buffer, send it (envelope opcode 0, as PTA_STMM_CMD_COMMUNICATE),
// read back the buffer the service left. The MM layer's return code (spm)
// and the EFI_STATUS in the buffer (status) are returned, never asserted;
// only a transport failure or an answer that is not a buffer of the request's
// shape throws (TransportError 'protocol': the target answered garbage).
import { hexNum, U64_MAX } from '../protocol/bytes.js';
import {
  ACCESS_VARIABLE_NAME_OFFSET,
  EFI,
  GET_NEXT_NAME_OFFSET,
  MM_COMMUNICATE_OPCODE,
  SmmVariableFunction as F,
  attrName,
  buildCommBuffer,
  decodeAccessVariable,
  decodeCommBuffer,
  decodeName,
  decodeNameGuid,
  decodePayloadSize,
  decodeQueryInfo,
  decodeVarCheck,
  encodeAccessVariable,
  encodeGetNext,
  encodeLockVariable,
  encodeName,
  encodeQueryInfo,
  encodeVarCheck,
  functionName,
  showName,
  type BuildOptions,
  type VarCheckProperty,
  type VariableInfo,
} from '../protocol/smm-variable/index.js';
import type { Channel } from '../transports/types.js';
import { decodeAnswer } from './common.js';
import { TransportError } from '../transports/types.js';

export interface MmAnswer {
  /** ARM_SVC_SPM_RET_* of the MM layer (0 = the buffer was delivered). */
  spm: number;
  /** The buffer as the service left it. */
  buffer: Uint8Array;
}

export interface Answer extends MmAnswer {
  /** ReturnStatus from the buffer (meaningful when spm is 0). */
  status: bigint;
  /** The payload as the service left it. */
  payload: Uint8Array;
}

export interface ClientOptions {
  /** MM header version for every call (default 1). */
  headerVersion?: 1 | 3;
  /** ReturnStatus the client leaves in each request (U-Boot calloc's: 0). */
  returnStatus?: bigint;
}

const size = (v: bigint | number) => (BigInt(v) === U64_MAX ? 'SIZE_MAX' : String(v));

export class SmmVariableClient {
  constructor(
    readonly channel: Channel,
    readonly opts: ClientOptions = {},
  ) {}

  /** Sends raw buffer bytes; nothing is checked. */
  async communicate(buffer: Uint8Array, label: string): Promise<MmAnswer> {
    const r = await this.channel.call(MM_COMMUNICATE_OPCODE, buffer, { label });
    return { spm: r.status, buffer: r.body };
  }

  /** One function call: builds the buffer, sends it, reads ReturnStatus and the payload back. */
  async call(fn: bigint | number, payload: Uint8Array, label: string, o: BuildOptions = {}): Promise<Answer> {
    const req = buildCommBuffer(fn, payload, {
      version: this.opts.headerVersion,
      returnStatus: this.opts.returnStatus ?? EFI.SUCCESS,
      ...o,
    });
    const r = await this.communicate(req, label);
    if (r.spm !== 0) return { ...r, status: EFI.SUCCESS, payload: new Uint8Array(0) };
    if (r.buffer.length !== req.length) {
      throw new TransportError('protocol', `${label}: the answer holds ${r.buffer.length} bytes, not the ${req.length}-byte buffer that was sent`);
    }
    const a = decodeAnswer(label, () => decodeCommBuffer(r.buffer));
    return { ...r, status: a.returnStatus, payload: a.payload };
  }

  async getVariable(name: string | Uint8Array, guid: string, dataSize: bigint | number, o: { nameSize?: bigint; attributes?: number; room?: number } = {}): Promise<
    Answer & { attributes: number; dataSize: bigint; data: Uint8Array }
  > {
    const nameBytes = typeof name === 'string' ? encodeName(name) : name;
    const ds = BigInt(dataSize);
    const room = o.room ?? (ds > 65536n ? 0 : Number(ds));
    const label = `GetVariable(${typeof name === 'string' ? showName(name) : `${name.length} name bytes`}, ${guid}, DataSize=${size(ds)})`;
    const payload = encodeAccessVariable({ guid, name: nameBytes, attributes: o.attributes ?? 0, dataSize: ds, nameSize: o.nameSize, room });
    const r = await this.call(F.GET_VARIABLE, payload, label);
    if (r.spm !== 0) return { ...r, attributes: 0, dataSize: 0n, data: new Uint8Array(0) };
    const a = decodeAnswer(label, () => decodeAccessVariable(r.payload));
    const start = ACCESS_VARIABLE_NAME_OFFSET + nameBytes.length;
    const n = a.dataSize <= BigInt(r.payload.length - start) ? Number(a.dataSize) : 0;
    const data = r.status === EFI.SUCCESS ? r.payload.slice(start, start + n) : new Uint8Array(0);
    if (r.status === EFI.SUCCESS && a.dataSize > BigInt(r.payload.length - start)) {
      throw new TransportError('protocol', `${label}: answered SUCCESS with DataSize ${a.dataSize}, beyond the ${r.payload.length - start} bytes of room`);
    }
    return { ...r, attributes: a.attributes, dataSize: a.dataSize, data };
  }

  async setVariable(
    name: string | Uint8Array,
    guid: string,
    attributes: number,
    data: Uint8Array,
    o: { dataSize?: bigint; nameSize?: bigint; note?: string } = {},
  ): Promise<Answer> {
    const shown = typeof name === 'string' ? showName(name) : `${name.length} name bytes`;
    const label = `SetVariable(${shown}, ${guid}, ${attrName(attributes)}, DataSize=${size(o.dataSize ?? data.length)}${o.nameSize !== undefined ? `, NameSize=${size(o.nameSize)}` : ''})${o.note ? ` ${o.note}` : ''}`;
    return this.call(F.SET_VARIABLE, encodeAccessVariable({ guid, name, attributes, data, dataSize: o.dataSize, nameSize: o.nameSize }), label);
  }

  async deleteVariable(name: string, guid: string, attributes = 0): Promise<Answer> {
    return this.setVariable(name, guid, attributes, new Uint8Array(0));
  }

  /** GetNextVariableName with a name buffer of `bufferSize` bytes (default 512) and NameSize = that size. */
  async getNextVariableName(name: string | Uint8Array, guid: string, o: { nameSize?: bigint; bufferSize?: number } = {}): Promise<
    Answer & { nameSize: bigint; name?: string; guid: string }
  > {
    const enc = typeof name === 'string' ? encodeName(name) : name;
    const bufferSize = Math.max(o.bufferSize ?? 512, enc.length);
    const ns = o.nameSize ?? BigInt(bufferSize);
    const label = `GetNextVariableName(${typeof name === 'string' ? showName(name) : `${enc.length} name bytes`}, ${guid}, VariableNameSize=${size(ns)})`;
    const r = await this.call(F.GET_NEXT_VARIABLE_NAME, encodeGetNext({ guid, name: enc, nameSize: ns, bufferSize }), label);
    if (r.spm !== 0) return { ...r, nameSize: 0n, guid };
    const g = decodeAnswer(label, () => decodeNameGuid(r.payload));
    const outName = r.status === EFI.SUCCESS ? decodeName(r.payload.subarray(GET_NEXT_NAME_OFFSET), Number(g.nameSize > BigInt(bufferSize) ? BigInt(bufferSize) : g.nameSize)) : undefined;
    return { ...r, nameSize: g.nameSize, name: outName, guid: g.guid };
  }

  async queryVariableInfo(attributes: number): Promise<Answer & { info?: VariableInfo }> {
    const label = `QueryVariableInfo(${attrName(attributes)})`;
    const payload = encodeQueryInfo({ maximumVariableStorageSize: 0n, remainingVariableStorageSize: 0n, maximumVariableSize: 0n, attributes });
    const r = await this.call(F.QUERY_VARIABLE_INFO, payload, label);
    if (r.spm !== 0 || r.status !== EFI.SUCCESS) return r;
    return { ...r, info: decodeAnswer(label, () => decodeQueryInfo(r.payload)) };
  }

  readyToBoot(): Promise<Answer> {
    return this.call(F.READY_TO_BOOT, new Uint8Array(0), `${functionName(F.READY_TO_BOOT)}()`);
  }

  exitBootServices(): Promise<Answer> {
    return this.call(F.EXIT_BOOT_SERVICE, new Uint8Array(0), `${functionName(F.EXIT_BOOT_SERVICE)}()`);
  }

  async getPayloadSize(): Promise<Answer & { payloadSize?: bigint }> {
    const label = `${functionName(F.GET_PAYLOAD_SIZE)}()`;
    const r = await this.call(F.GET_PAYLOAD_SIZE, new Uint8Array(8), label);
    if (r.spm !== 0 || r.status !== EFI.SUCCESS) return r;
    return { ...r, payloadSize: decodeAnswer(label, () => decodePayloadSize(r.payload)) };
  }

  lockVariable(name: string, guid: string): Promise<Answer> {
    return this.call(F.LOCK_VARIABLE, encodeLockVariable(guid, name), `RequestToLock(${showName(name)}, ${guid})`);
  }

  varCheckPropertySet(name: string | Uint8Array, guid: string, property: VarCheckProperty, nameSize?: bigint): Promise<Answer> {
    const p = property;
    const label = `VariablePropertySet(${typeof name === 'string' ? showName(name) : 'raw name'}, ${guid}, Revision=${p.revision}, Property=${hexNum(p.property)}, Attributes=${attrName(p.attributes)}, MinSize=${size(p.minSize)}, MaxSize=${size(p.maxSize)})`;
    return this.call(F.VAR_CHECK_VARIABLE_PROPERTY_SET, encodeVarCheck({ guid, name, property, nameSize }), label);
  }

  async varCheckPropertyGet(name: string, guid: string): Promise<Answer & { property?: VarCheckProperty }> {
    const label = `VariablePropertyGet(${showName(name)}, ${guid})`;
    const r = await this.call(F.VAR_CHECK_VARIABLE_PROPERTY_GET, encodeVarCheck({ guid, name }), label);
    if (r.spm !== 0 || r.status !== EFI.SUCCESS) return r;
    return { ...r, property: decodeAnswer(label, () => decodeVarCheck(r.payload).property) };
  }
}
