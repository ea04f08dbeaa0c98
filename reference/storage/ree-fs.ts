// Protected Storage on the normal world's file system ("REE FS", the way
// OP-TEE keeps REE FS objects in /data/tee through tee-supplicant): files
// the normal world can read, copy, replace and delete, so each one is
// encrypted and authenticated, and what makes an old copy detectable, the
// anti-rollback root, lives in ITS (on RPMB).
//
// Files of one PS partition, under ree-fs/ps/<partition>/ on the Medium:
//   <uid, 16 hex>.<slot 0|1>   "FWSPSDAT" | nonce(12) | AES-256-GCM(record)
//                              AAD "FWSPSDAT" | partition | uid | slot
//   dirf.<slot 0|1>            "FWSPSDIR" | u64le generation | nonce(12) |
//                              AES-256-GCM(u32le n | n × (u64le uid | u8 slot | SHA-256 of the data file))
//                              AAD "FWSPSDIR" | partition | generation
// The root, one ITS asset per PS partition (ITS partition "_ps-root"):
//   "PSRT" | u32le version 1 | u64le generation | u8 directory slot | 3 × 0 | SHA-256 of that dirf file
//
// An update writes the data file into the slot the directory does not use,
// then a new directory into the other dirf slot, then the root: the root
// write (an RPMB write) is the commit point, so a power cut leaves the old
// state whole. Reading checks the directory against the root and the data
// file against the directory: an altered file fails AES-GCM or its hash; an
// older copy of a file (or of the directory) is authentic but does not have
// the hash the newer directory (or the root in RPMB) records.
//   hash or tag mismatch       -> PSA_ERROR_INVALID_SIGNATURE
//   file missing / malformed   -> PSA_ERROR_DATA_CORRUPT
import { gcm } from '@noble/ciphers/aes.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { Reader, Writer, bytesEqual, concat, hex, utf8 } from '../../protocol/bytes.js';
import { PSA } from '../../protocol/psa/status.js';
import type { Medium } from '../medium.js';
import { AssetIntegrityError, type AssetBackend, type AssetRecord, type AssetStore } from './asset-store.js';
import { decodeRecord, encodeRecord, uidKey } from './medium-backend.js';

const DAT = utf8('FWSPSDAT');
const DIR = utf8('FWSPSDIR');
const ROOT_MAGIC = utf8('PSRT');
const NONCE = 12;
export const PS_ROOT_PARTITION = '_ps-root';
export const PS_ROOT_LIMITS = { maxAssetSize: 64, capacity: 64 * 64, maxAssets: 64 };

interface Root {
  gen: bigint;
  slot: number;
  hash: Uint8Array;
}

interface DirEntry {
  slot: number;
  hash: Uint8Array;
}

function encodeRoot(r: Root): Uint8Array {
  return new Writer(52).bytes(ROOT_MAGIC).u32le(1).u64le(r.gen).u8(r.slot).zeros(3).bytes(r.hash).finish();
}

function decodeRoot(b: Uint8Array): Root | undefined {
  if (b.length !== 52 || !bytesEqual(b.subarray(0, 4), ROOT_MAGIC)) return undefined;
  const r = new Reader(b.subarray(4));
  if (r.u32le() !== 1) return undefined;
  const gen = r.u64le();
  const slot = r.u8();
  r.bytes(3);
  return { gen, slot, hash: r.bytes(32).slice() };
}

/** A medium-key-safe directory name for a partition. */
export function partitionDir(partition: string): string {
  return /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/.test(partition) ? partition : `x${hex(utf8(partition))}`;
}

/** The ITS asset uid holding a PS partition's root. */
export function rootUid(partition: string): bigint {
  const v = new DataView(sha256(utf8(`ps-root ${partition}`)).buffer).getBigUint64(0, true);
  return v === 0n ? 1n : v;
}

const damaged = (status: number, message: string) => new AssetIntegrityError(status, message);

export class ReeFsBackend implements AssetBackend {
  private readonly dir: string;
  private root: Root | undefined;
  private cache: { hash: Uint8Array; entries: Map<bigint, DirEntry> } | undefined;

  private constructor(
    private readonly medium: Medium,
    private readonly partition: string,
    private readonly key: Uint8Array,
    private readonly roots: AssetStore,
    private readonly log: (line: string) => void,
  ) {
    this.dir = `ree-fs/ps/${partitionDir(partition)}`;
  }

  /** Opens a PS partition: its root from ITS, then removes files no directory references. */
  static async open(medium: Medium, partition: string, key: Uint8Array, roots: AssetStore, log: (line: string) => void = () => {}): Promise<ReeFsBackend> {
    const b = new ReeFsBackend(medium, partition, key, roots, log);
    const r = await roots.get(rootUid(partition), 0n, 64n);
    if (r.status === PSA.SUCCESS) {
      b.root = decodeRoot(r.value!);
      if (!b.root) throw new Error(`PS root of partition ${partition} in ITS is malformed`);
    } else if (r.status !== PSA.ERROR_DOES_NOT_EXIST) {
      throw new Error(`PS root of partition ${partition}: ITS answered ${r.status}`);
    }
    await b.collectGarbage();
    return b;
  }

  private dataPath(uid: bigint, slot: number): string {
    return `${this.dir}/${uidKey(uid)}.${slot}`;
  }

  private dataAad(uid: bigint, slot: number): Uint8Array {
    return concat(DAT, utf8(this.partition), new Writer(9).u64le(uid).u8(slot).finish());
  }

  private dirAad(gen: bigint): Uint8Array {
    return concat(DIR, utf8(this.partition), new Writer(8).u64le(gen).finish());
  }

  /** The directory, checked against the root; throws AssetIntegrityError when it fails. */
  private async entries(): Promise<Map<bigint, DirEntry>> {
    if (!this.root) return new Map();
    const path = `${this.dir}/dirf.${this.root.slot}`;
    const bytes = this.medium.read(path);
    if (!bytes) throw damaged(PSA.ERROR_DATA_CORRUPT, `PS ${this.partition}: directory file ${path} is missing`);
    const hash = sha256(bytes);
    if (this.cache && bytesEqual(this.cache.hash, hash)) return this.cache.entries;
    if (!bytesEqual(hash, this.root.hash)) {
      throw damaged(PSA.ERROR_INVALID_SIGNATURE, `PS ${this.partition}: directory file does not match the root in ITS (altered or rolled back)`);
    }
    let plain: Uint8Array;
    try {
      const r = new Reader(bytes, 'PS directory');
      if (!bytesEqual(r.bytes(8), DIR)) throw new Error('magic');
      const gen = r.u64le();
      if (gen !== this.root.gen) throw new Error('generation');
      const nonce = r.bytes(NONCE);
      plain = gcm(this.key, nonce, this.dirAad(gen)).decrypt(r.rest());
    } catch {
      throw damaged(PSA.ERROR_INVALID_SIGNATURE, `PS ${this.partition}: directory file failed authentication`);
    }
    const entries = new Map<bigint, DirEntry>();
    try {
      const r = new Reader(plain, 'PS directory entries');
      const n = r.u32le();
      for (let i = 0; i < n; i++) entries.set(r.u64le(), { slot: r.u8(), hash: r.bytes(32).slice() });
    } catch {
      throw damaged(PSA.ERROR_DATA_CORRUPT, `PS ${this.partition}: directory malformed`);
    }
    this.cache = { hash, entries };
    return entries;
  }

  async list(): Promise<bigint[]> {
    try {
      return [...(await this.entries()).keys()];
    } catch (e) {
      if (!(e instanceof AssetIntegrityError)) throw e;
      // every access to the partition answers the damage; nothing is listed
      this.log(e.message);
      return [];
    }
  }

  async load(uid: bigint): Promise<AssetRecord | undefined> {
    const e = (await this.entries()).get(uid);
    if (!e) return undefined;
    const bytes = this.medium.read(this.dataPath(uid, e.slot));
    if (!bytes) throw damaged(PSA.ERROR_DATA_CORRUPT, `PS ${this.partition} asset ${uidKey(uid)}: file missing`);
    if (!bytesEqual(sha256(bytes), e.hash)) {
      throw damaged(PSA.ERROR_INVALID_SIGNATURE, `PS ${this.partition} asset ${uidKey(uid)}: file is not the version the directory records`);
    }
    let plain: Uint8Array;
    try {
      if (!bytesEqual(bytes.subarray(0, 8), DAT)) throw new Error('magic');
      plain = gcm(this.key, bytes.subarray(8, 8 + NONCE), this.dataAad(uid, e.slot)).decrypt(bytes.subarray(8 + NONCE));
    } catch {
      throw damaged(PSA.ERROR_INVALID_SIGNATURE, `PS ${this.partition} asset ${uidKey(uid)}: file failed authentication`);
    }
    const rec = decodeRecord(plain);
    if (!rec) throw damaged(PSA.ERROR_DATA_CORRUPT, `PS ${this.partition} asset ${uidKey(uid)}: record malformed`);
    return rec;
  }

  private async commit(entries: Map<bigint, DirEntry>): Promise<void> {
    const gen = (this.root?.gen ?? 0n) + 1n;
    const slot = this.root ? 1 - this.root.slot : 0;
    const w = new Writer(4 + entries.size * 41).u32le(entries.size);
    for (const [uid, e] of entries) w.u64le(uid).u8(e.slot).bytes(e.hash);
    const nonce = new Uint8Array(randomBytes(NONCE));
    const file = concat(DIR, new Writer(8).u64le(gen).finish(), nonce, gcm(this.key, nonce, this.dirAad(gen)).encrypt(w.finish()));
    this.medium.write(`${this.dir}/dirf.${slot}`, file);
    const root: Root = { gen, slot, hash: sha256(file) };
    const s = await this.roots.set(rootUid(this.partition), encodeRoot(root), 0);
    if (s.status !== PSA.SUCCESS) throw damaged(PSA.ERROR_STORAGE_FAILURE, `PS ${this.partition}: the root in ITS could not be updated (${s.status})`);
    this.root = root;
    this.cache = { hash: root.hash, entries };
  }

  async store(uid: bigint, rec: AssetRecord): Promise<void> {
    const current = await this.entries();
    const slot = current.has(uid) ? 1 - current.get(uid)!.slot : 0;
    const nonce = new Uint8Array(randomBytes(NONCE));
    const file = concat(DAT, nonce, gcm(this.key, nonce, this.dataAad(uid, slot)).encrypt(encodeRecord(rec)));
    this.medium.write(this.dataPath(uid, slot), file);
    const next = new Map(current);
    next.set(uid, { slot, hash: sha256(file) });
    await this.commit(next);
  }

  async remove(uid: bigint): Promise<void> {
    const current = await this.entries();
    if (!current.has(uid)) return;
    const next = new Map(current);
    next.delete(uid);
    await this.commit(next);
    for (const slot of [0, 1]) this.medium.delete(this.dataPath(uid, slot));
  }

  /** Deletes files the committed directory does not reference (left by a power cut). */
  private async collectGarbage(): Promise<void> {
    let entries: Map<bigint, DirEntry>;
    try {
      entries = await this.entries();
    } catch {
      return; // a damaged partition keeps its files for whoever investigates
    }
    const keep = new Set<string>();
    if (this.root) keep.add(`dirf.${this.root.slot}`);
    for (const [uid, e] of entries) keep.add(`${uidKey(uid)}.${e.slot}`);
    for (const name of this.medium.list(this.dir)) {
      if (!keep.has(name)) this.medium.delete(`${this.dir}/${name}`);
    }
  }
}
