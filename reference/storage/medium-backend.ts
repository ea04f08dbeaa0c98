// AssetBackend on a Medium: one record per uid under `<prefix>/<uid hex>`.
// Record: u32le version 1 | u32le flags | u64le capacity | u64le size | data
// | u32le CRC-32 of everything before it. A record that fails its CRC or
// length checks is reported as damaged (AssetIntegrityError).
import { crc32 } from 'node:zlib';
import { PSA } from '../../protocol/psa/status.js';
import { Reader, Writer } from '../../protocol/bytes.js';
import type { Medium } from '../medium.js';
import { AssetIntegrityError, type AssetBackend, type AssetRecord } from './asset-store.js';

const RECORD_VERSION = 1;

export function encodeRecord(rec: AssetRecord): Uint8Array {
  const w = new Writer(28 + rec.data.length);
  w.u32le(RECORD_VERSION).u32le(rec.flags).u64le(rec.capacity).u64le(rec.data.length).bytes(rec.data);
  const body = w.finish();
  return w.u32le(crc32(body)).finish();
}

export function decodeRecord(bytes: Uint8Array): AssetRecord | undefined {
  try {
    if (bytes.length < 28) return undefined;
    const body = bytes.subarray(0, bytes.length - 4);
    const r = new Reader(bytes);
    if (r.u32le() !== RECORD_VERSION) return undefined;
    const flags = r.u32le();
    const capacity = Number(r.u64le());
    const size = Number(r.u64le());
    if (size !== body.length - 24 || size > capacity) return undefined;
    const data = r.bytes(size).slice();
    if (r.u32le() !== crc32(body)) return undefined;
    return { flags, capacity, data };
  } catch {
    return undefined;
  }
}

export const uidKey = (uid: bigint): string => uid.toString(16).padStart(16, '0');

export class MediumBackend implements AssetBackend {
  constructor(
    private readonly medium: Medium,
    private readonly prefix: string,
    /** Status answered for a damaged record. */
    private readonly damagedStatus: number = PSA.ERROR_STORAGE_FAILURE,
  ) {}

  async load(uid: bigint): Promise<AssetRecord | undefined> {
    const bytes = this.medium.read(`${this.prefix}/${uidKey(uid)}`);
    if (!bytes) return undefined;
    const rec = decodeRecord(bytes);
    if (!rec) {
      throw new AssetIntegrityError(this.damagedStatus, `asset ${uidKey(uid)} in ${this.prefix} is damaged`);
    }
    return rec;
  }

  async store(uid: bigint, rec: AssetRecord): Promise<void> {
    this.medium.write(`${this.prefix}/${uidKey(uid)}`, encodeRecord(rec));
  }

  async remove(uid: bigint): Promise<void> {
    this.medium.delete(`${this.prefix}/${uidKey(uid)}`);
  }

  async list(): Promise<bigint[]> {
    return this.medium
      .list(this.prefix)
      .filter((n) => /^[0-9a-f]{16}$/.test(n))
      .map((n) => BigInt(`0x${n}`));
  }
}
