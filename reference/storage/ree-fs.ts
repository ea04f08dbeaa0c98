// Protected Storage on the normal world's file system ("REE FS", the way
// OP-TEE keeps REE FS objects in /data/tee through tee-supplicant): files
// the normal world can read, copy, replace and delete, so each one is
// encrypted and authenticated, and what makes an old copy detectable, the
// anti-rollback root of every asset, lives in ITS (on RPMB).
//
// Files of one PS partition, under ree-fs/ps/<partition>/ on the Medium:
//   <uid, 16 hex>.<slot 0|1>   "FWSPSDAT" | nonce(12) | AES-256-GCM(record)
//                              AAD "FWSPSDAT" | partition | uid | slot
// Roots, one ITS asset per PS asset, same uid, ITS partition "_ps-root.<partition>":
//   "PSRT" | u32le version 2 | u64le generation | u8 slot | 3 × 0 | SHA-256 of the data file
//
// An update writes the data file into the slot the root does not name, then
// the root: the root write (an RPMB write, in place) is the commit point, so
// a power cut leaves the old version whole. Reading checks the data file
// against its root, every time, since the normal world can change files while
// the target runs: an altered file fails its hash (and AES-GCM); an older copy
// is authentic but is not the file the root names.
//   hash or tag mismatch       -> PSA_ERROR_INVALID_SIGNATURE
//   file missing / malformed   -> PSA_ERROR_DATA_CORRUPT
import { gcm } from '@noble/ciphers/aes.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { Reader, Writer, bytesEqual, concat, hex, utf8 } from '../../protocol/bytes.js';
import { PSA } from '../../protocol/psa/status.js';
import type { Medium } from '../medium.js';
import { AssetIntegrityError, type AssetBackend, type AssetRecord } from './asset-store.js';
import { decodeRecord, encodeRecord, uidKey } from './medium-backend.js';

const DAT = utf8('FWSPSDAT');
const ROOT_MAGIC = utf8('PSRT');
const ROOT_VERSION = 2;
const NONCE = 12;

/** The ITS partition holding the roots of a PS partition. */
export function rootPartition(partition: string): string {
  return `_ps-root.${partitionDir(partition)}`;
}

interface Root {
  gen: bigint;
  slot: number;
  hash: Uint8Array;
}

function encodeRoot(r: Root): Uint8Array {
  return new Writer(52).bytes(ROOT_MAGIC).u32le(ROOT_VERSION).u64le(r.gen).u8(r.slot).zeros(3).bytes(r.hash).finish();
}

function decodeRoot(b: Uint8Array): Root | undefined {
  if (b.length !== 52 || !bytesEqual(b.subarray(0, 4), ROOT_MAGIC)) return undefined;
  const r = new Reader(b.subarray(4));
  if (r.u32le() !== ROOT_VERSION) return undefined;
  const gen = r.u64le();
  const slot = r.u8();
  r.bytes(3);
  return slot > 1 ? undefined : { gen, slot, hash: r.bytes(32).slice() };
}

/** A medium-key-safe directory name for a partition. */
export function partitionDir(partition: string): string {
  return /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/.test(partition) ? partition : `x${hex(utf8(partition))}`;
}

const damaged = (status: number, message: string) => new AssetIntegrityError(status, message);

export class ReeFsBackend implements AssetBackend {
  private readonly dir: string;

  private constructor(
    private readonly medium: Medium,
    private readonly partition: string,
    private readonly key: Uint8Array,
    /** The roots, in ITS (their own RPMB-backed partition). */
    private readonly roots: AssetBackend,
  ) {
    this.dir = `ree-fs/ps/${partitionDir(partition)}`;
  }

  /** Opens a PS partition and removes files no root names (left by a power cut, or stale slots). */
  static async open(medium: Medium, partition: string, key: Uint8Array, roots: AssetBackend): Promise<ReeFsBackend> {
    const b = new ReeFsBackend(medium, partition, key, roots);
    await b.collectGarbage();
    return b;
  }

  private dataPath(uid: bigint, slot: number): string {
    return `${this.dir}/${uidKey(uid)}.${slot}`;
  }

  private dataAad(uid: bigint, slot: number): Uint8Array {
    return concat(DAT, utf8(this.partition), new Writer(9).u64le(uid).u8(slot).finish());
  }

  private async root(uid: bigint): Promise<Root | undefined> {
    const rec = await this.roots.load(uid);
    if (!rec) return undefined;
    const root = decodeRoot(rec.data);
    if (!root) throw damaged(PSA.ERROR_DATA_CORRUPT, `PS ${this.partition} asset ${uidKey(uid)}: root in ITS malformed`);
    return root;
  }

  list(): Promise<bigint[]> {
    return this.roots.list();
  }

  async load(uid: bigint): Promise<AssetRecord | undefined> {
    const root = await this.root(uid);
    if (!root) return undefined;
    const bytes = this.medium.read(this.dataPath(uid, root.slot));
    if (!bytes) throw damaged(PSA.ERROR_DATA_CORRUPT, `PS ${this.partition} asset ${uidKey(uid)}: file missing`);
    if (!bytesEqual(sha256(bytes), root.hash)) {
      throw damaged(PSA.ERROR_INVALID_SIGNATURE, `PS ${this.partition} asset ${uidKey(uid)}: file is not the version its root in ITS records (altered or rolled back)`);
    }
    let plain: Uint8Array;
    try {
      if (!bytesEqual(bytes.subarray(0, 8), DAT)) throw new Error('magic');
      plain = gcm(this.key, bytes.subarray(8, 8 + NONCE), this.dataAad(uid, root.slot)).decrypt(bytes.subarray(8 + NONCE));
    } catch {
      throw damaged(PSA.ERROR_INVALID_SIGNATURE, `PS ${this.partition} asset ${uidKey(uid)}: file failed authentication`);
    }
    const rec = decodeRecord(plain);
    if (!rec) throw damaged(PSA.ERROR_DATA_CORRUPT, `PS ${this.partition} asset ${uidKey(uid)}: record malformed`);
    return rec;
  }

  async store(uid: bigint, rec: AssetRecord): Promise<void> {
    const old = await this.root(uid);
    const slot = old ? 1 - old.slot : 0;
    const nonce = new Uint8Array(randomBytes(NONCE));
    const file = concat(DAT, nonce, gcm(this.key, nonce, this.dataAad(uid, slot)).encrypt(encodeRecord(rec)));
    this.medium.write(this.dataPath(uid, slot), file);
    const root = encodeRoot({ gen: (old?.gen ?? 0n) + 1n, slot, hash: sha256(file) });
    await this.roots.store(uid, { flags: 0, capacity: root.length, data: root }); // the commit point
  }

  async remove(uid: bigint): Promise<void> {
    await this.roots.remove(uid); // the commit point
    for (const slot of [0, 1]) this.medium.delete(this.dataPath(uid, slot));
  }

  private async collectGarbage(): Promise<void> {
    const keep = new Set<string>();
    try {
      for (const uid of await this.roots.list()) {
        const root = await this.root(uid);
        if (root) keep.add(`${uidKey(uid)}.${root.slot}`);
      }
    } catch {
      return; // roots unreadable: keep every file for whoever investigates
    }
    for (const name of this.medium.list(this.dir)) {
      if (!keep.has(name)) this.medium.delete(`${this.dir}/${name}`);
    }
  }
}
