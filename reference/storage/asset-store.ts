// PSA Secure Storage semantics (PSA Storage API 1.0.4) for one partition of
// ITS or PS, over an AssetBackend. Both the packed-c service handler and the
// reference's own services (crypto keys, TPM NV, UEFI variables) use it.
import { PSA } from '../../protocol/psa/status.js';
import {
  STORAGE_DEFINED_FLAGS,
  STORAGE_SUPPORT_SET_EXTENDED,
  StorageFlag,
  type StorageInfo,
} from '../../protocol/psa/storage.js';

export interface AssetRecord {
  flags: number;
  capacity: number;
  data: Uint8Array;
}

/** Where a partition's assets live. Issue #4 swaps in an RPMB-backed one for ITS. */
export interface AssetBackend {
  load(uid: bigint): Promise<AssetRecord | undefined>;
  /** Atomic replace: after a crash, the old record or the new one. */
  store(uid: bigint, rec: AssetRecord): Promise<void>;
  remove(uid: bigint): Promise<void>;
  list(): Promise<bigint[]>;
}

export interface StoreLimits {
  /** Largest asset (bytes of data, or capacity for ps_create). */
  maxAssetSize: number;
  /** Total bytes of asset capacity the partition may hold. */
  capacity: number;
  /** Number of assets the partition may hold. */
  maxAssets: number;
}

export interface AssetStoreOptions extends StoreLimits {
  kind: 'its' | 'ps';
  /** Flags accepted at creation; others answer NOT_SUPPORTED. */
  supportedFlags: number;
  /** PS only: psa_ps_create and psa_ps_set_extended implemented. */
  setExtended: boolean;
}

export type Result<T> = { status: number; value?: T };

/**
 * Thrown by a backend whose stored bytes fail their checks; the store answers
 * the status it carries (PS: PSA_ERROR_DATA_CORRUPT or
 * PSA_ERROR_INVALID_SIGNATURE; ITS: PSA_ERROR_STORAGE_FAILURE).
 */
export class AssetIntegrityError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AssetIntegrityError';
  }
}

const ok = <T>(value?: T): Result<T> => ({ status: PSA.SUCCESS, value });
const err = (status: number): Result<never> => ({ status });

export class AssetStore {
  private used = 0;
  private count = 0;

  private constructor(
    readonly backend: AssetBackend,
    readonly opts: AssetStoreOptions,
  ) {}

  /** Opens a partition and accounts for what its backend already holds. */
  static async open(backend: AssetBackend, opts: AssetStoreOptions): Promise<AssetStore> {
    const s = new AssetStore(backend, opts);
    for (const uid of await backend.list()) {
      try {
        const rec = await backend.load(uid);
        if (rec) s.used += rec.capacity;
      } catch (e) {
        // a damaged asset still occupies its slot; reads of it answer its status
        if (!(e instanceof AssetIntegrityError)) throw e;
      }
      s.count += 1;
    }
    return s;
  }

  get usage(): { bytes: number; assets: number } {
    return { bytes: this.used, assets: this.count };
  }

  private flagsSupported(flags: number): boolean {
    return (flags & ~STORAGE_DEFINED_FLAGS) === 0 && (flags & ~this.opts.supportedFlags) === 0;
  }

  /** Room for replacing `old` (if any) with an asset of `capacity` bytes. */
  private fits(capacity: number, old: AssetRecord | undefined): boolean {
    if (capacity > this.opts.maxAssetSize) return false;
    if (!old && this.count + 1 > this.opts.maxAssets) return false;
    return this.used - (old?.capacity ?? 0) + capacity <= this.opts.capacity;
  }

  private async put(uid: bigint, rec: AssetRecord, old: AssetRecord | undefined): Promise<void> {
    await this.backend.store(uid, rec);
    this.used += rec.capacity - (old?.capacity ?? 0);
    if (!old) this.count += 1;
  }

  private async setImpl(uid: bigint, data: Uint8Array, flags: number): Promise<Result<void>> {
    if (uid === 0n) return err(PSA.ERROR_INVALID_ARGUMENT);
    if (!this.flagsSupported(flags)) return err(PSA.ERROR_NOT_SUPPORTED);
    const old = await this.backend.load(uid);
    if (old && old.flags & StorageFlag.WRITE_ONCE) return err(PSA.ERROR_NOT_PERMITTED);
    if (!this.fits(data.length, old)) return err(PSA.ERROR_INSUFFICIENT_STORAGE);
    await this.put(uid, { flags, capacity: data.length, data: data.slice() }, old);
    return ok();
  }

  private async getImpl(uid: bigint, offset: bigint, size: bigint): Promise<Result<Uint8Array>> {
    if (uid === 0n) return err(PSA.ERROR_INVALID_ARGUMENT);
    const rec = await this.backend.load(uid);
    if (!rec) return err(PSA.ERROR_DOES_NOT_EXIST);
    const len = BigInt(rec.data.length);
    if (offset > len) return err(PSA.ERROR_INVALID_ARGUMENT);
    const n = size < len - offset ? size : len - offset;
    return ok(rec.data.slice(Number(offset), Number(offset + n)));
  }

  private async infoImpl(uid: bigint): Promise<Result<StorageInfo>> {
    if (uid === 0n) return err(PSA.ERROR_INVALID_ARGUMENT);
    const rec = await this.backend.load(uid);
    if (!rec) return err(PSA.ERROR_DOES_NOT_EXIST);
    return ok({ capacity: BigInt(rec.capacity), size: BigInt(rec.data.length), flags: rec.flags });
  }

  private async removeImpl(uid: bigint): Promise<Result<void>> {
    if (uid === 0n) return err(PSA.ERROR_INVALID_ARGUMENT);
    const rec = await this.backend.load(uid);
    if (!rec) return err(PSA.ERROR_DOES_NOT_EXIST);
    if (rec.flags & StorageFlag.WRITE_ONCE) return err(PSA.ERROR_NOT_PERMITTED);
    await this.backend.remove(uid);
    this.used -= rec.capacity;
    this.count -= 1;
    return ok();
  }

  private async createImpl(uid: bigint, capacity: bigint, flags: number): Promise<Result<void>> {
    if (!this.opts.setExtended) return err(PSA.ERROR_NOT_SUPPORTED);
    if (uid === 0n) return err(PSA.ERROR_INVALID_ARGUMENT);
    if (flags & StorageFlag.WRITE_ONCE || !this.flagsSupported(flags)) {
      return err(PSA.ERROR_NOT_SUPPORTED);
    }
    if (await this.backend.load(uid)) return err(PSA.ERROR_ALREADY_EXISTS);
    if (capacity > BigInt(this.opts.maxAssetSize) || !this.fits(Number(capacity), undefined)) {
      return err(PSA.ERROR_INSUFFICIENT_STORAGE);
    }
    await this.put(uid, { flags, capacity: Number(capacity), data: new Uint8Array(0) }, undefined);
    return ok();
  }

  private async setExtendedImpl(uid: bigint, offset: bigint, data: Uint8Array): Promise<Result<void>> {
    if (!this.opts.setExtended) return err(PSA.ERROR_NOT_SUPPORTED);
    if (uid === 0n) return err(PSA.ERROR_INVALID_ARGUMENT);
    const rec = await this.backend.load(uid);
    if (!rec) return err(PSA.ERROR_DOES_NOT_EXIST);
    if (rec.flags & StorageFlag.WRITE_ONCE) return err(PSA.ERROR_NOT_PERMITTED);
    const size = BigInt(rec.data.length);
    const end = offset + BigInt(data.length);
    if (offset > size || end > BigInt(rec.capacity)) return err(PSA.ERROR_INVALID_ARGUMENT);
    if (data.length === 0) return ok();
    const next = new Uint8Array(Math.max(rec.data.length, Number(end)));
    next.set(rec.data);
    next.set(data, Number(offset));
    await this.put(uid, { ...rec, data: next }, rec);
    return ok();
  }

  private async guard<T>(op: () => Promise<Result<T>>): Promise<Result<T>> {
    try {
      return await op();
    } catch (e) {
      if (e instanceof AssetIntegrityError) return err(e.status);
      throw e;
    }
  }

  set(uid: bigint, data: Uint8Array, flags: number): Promise<Result<void>> {
    return this.guard(() => this.setImpl(uid, data, flags));
  }
  get(uid: bigint, offset: bigint, size: bigint): Promise<Result<Uint8Array>> {
    return this.guard(() => this.getImpl(uid, offset, size));
  }
  info(uid: bigint): Promise<Result<StorageInfo>> {
    return this.guard(() => this.infoImpl(uid));
  }
  remove(uid: bigint): Promise<Result<void>> {
    return this.guard(() => this.removeImpl(uid));
  }
  create(uid: bigint, capacity: bigint, flags: number): Promise<Result<void>> {
    return this.guard(() => this.createImpl(uid, capacity, flags));
  }
  setExtended(uid: bigint, offset: bigint, data: Uint8Array): Promise<Result<void>> {
    return this.guard(() => this.setExtendedImpl(uid, offset, data));
  }

  getSupport(): number {
    return this.opts.setExtended ? STORAGE_SUPPORT_SET_EXTENDED : 0;
  }
}
