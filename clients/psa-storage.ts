// Typed calls for PSA ITS and PS over a channel: encode -> call -> decode.
// Statuses are returned, never thrown; only transport failures throw.
import { hexNum } from '../protocol/bytes.js';
import * as S from '../protocol/psa/storage.js';
import { PSA } from '../protocol/psa/status.js';
import type { Channel, ServiceResponse } from '../transports/types.js';
import { decodeAnswer } from './common.js';

export type StorageApi = 'its' | 'ps';

export class StorageClient {
  constructor(
    readonly channel: Channel,
    readonly api: StorageApi = channel.service === 'ps' ? 'ps' : 'its',
  ) {}

  private fn(name: string): string {
    return `psa_${this.api}_${name}`;
  }

  raw(opcode: number, body: Uint8Array, label?: string): Promise<ServiceResponse> {
    return this.channel.call(opcode, body, { label: label ?? `${this.api} ${S.storageOpcodeName(opcode)} (raw)` });
  }

  async set(uid: bigint, data: Uint8Array, flags = 0): Promise<number> {
    const label = `${this.fn('set')}(uid=${hexNum(uid)}, data_length=${data.length}, create_flags=${S.storageFlagsName(flags)})`;
    const r = await this.channel.call(S.StorageOpcode.SET, S.encodeSet({ uid, data, flags }), { label });
    return r.status;
  }

  async get(uid: bigint, offset: bigint | number, size: bigint | number): Promise<{ status: number; data: Uint8Array }> {
    const label = `${this.fn('get')}(uid=${hexNum(uid)}, data_offset=${offset}, data_size=${size})`;
    const req = { uid, offset: BigInt(offset), size: BigInt(size) };
    const r = await this.channel.call(S.StorageOpcode.GET, S.encodeGet(req), { label });
    return { status: r.status, data: r.body };
  }

  async getInfo(uid: bigint): Promise<{ status: number; info?: S.StorageInfo }> {
    const label = `${this.fn('get_info')}(uid=${hexNum(uid)})`;
    const r = await this.channel.call(S.StorageOpcode.GET_INFO, S.encodeUid(uid), { label });
    if (r.status !== PSA.SUCCESS) return { status: r.status };
    return { status: r.status, info: decodeAnswer(label, () => S.decodeInfo(r.body)) };
  }

  async remove(uid: bigint): Promise<number> {
    const label = `${this.fn('remove')}(uid=${hexNum(uid)})`;
    return (await this.channel.call(S.StorageOpcode.REMOVE, S.encodeUid(uid), { label })).status;
  }

  async create(uid: bigint, capacity: bigint | number, flags = 0): Promise<number> {
    const label = `psa_ps_create(uid=${hexNum(uid)}, capacity=${capacity}, create_flags=${S.storageFlagsName(flags)})`;
    const body = S.encodeCreate({ uid, capacity: BigInt(capacity), flags });
    return (await this.channel.call(S.StorageOpcode.CREATE, body, { label })).status;
  }

  async setExtended(uid: bigint, offset: bigint | number, data: Uint8Array): Promise<number> {
    const label = `psa_ps_set_extended(uid=${hexNum(uid)}, data_offset=${offset}, data_length=${data.length})`;
    const body = S.encodeSetExtended({ uid, offset: BigInt(offset), data });
    return (await this.channel.call(S.StorageOpcode.SET_EXTENDED, body, { label })).status;
  }

  async getSupport(): Promise<{ status: number; support?: number }> {
    const label = 'psa_ps_get_support()';
    const r = await this.channel.call(S.StorageOpcode.GET_SUPPORT, new Uint8Array(0), { label });
    if (r.status !== PSA.SUCCESS) return { status: r.status };
    return { status: r.status, support: decodeAnswer(label, () => S.decodeSupport(r.body)) };
  }
}
